"""Response headers every answer carries: a strict Content-Security-Policy (no inline scripts or styles,
no framing), no MIME sniffing, no referrer, HSTS when cookies are Secure, and no caching of authenticated
content. And a bound on request bodies: a declared ``Content-Length`` beyond what the largest blueprint
upload needs is refused with 413 before the body is read.

Installed by ``server.app.create_app`` as HTTP middlewares.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from buttress.app.server_upload import MAX_FILES, MAX_PATH_CHARS, MAX_SOURCE_BYTES

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

MAX_BODY_BYTES = MAX_SOURCE_BYTES * 4 // 3 + MAX_FILES * (MAX_PATH_CHARS + 16) + 4096
"""The largest body a request may declare: a maximal blueprint upload, base64-encoded, in JSON."""


async def body_limit(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Refuse with 413 a request whose declared body is over ``MAX_BODY_BYTES``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return JSONResponse({"detail": f"request body over {MAX_BODY_BYTES} bytes"}, status_code=413)
    return await call_next(request)


async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Add the security headers (and ``Cache-Control: no-store`` outside ``/static``)."""
    response = await call_next(request)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.app.state.server.config.secure_cookies:  # served over TLS (directly or behind a proxy)
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if not request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
