"""How the ledger's refusals become HTTP answers: a missing role 403, bad input 422 (an invalid blueprint
with every located problem), nothing there 404, login throttling 429 — each with the same reason text the
command line prints.

Installed by ``server.app.create_app``.
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from buttress.app.accounts import Throttled
from buttress.errors import BlueprintError, UsageError
from buttress.ledger.roles import Forbidden


def _answer(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


async def _forbidden(_request: Request, exc: Exception) -> JSONResponse:
    return _answer(403, str(exc))


async def _usage(_request: Request, exc: Exception) -> JSONResponse:
    return _answer(422, str(exc))


async def _blueprint(_request: Request, exc: Exception) -> JSONResponse:
    problems = exc.problems if isinstance(exc, BlueprintError) else []
    return JSONResponse({"detail": "; ".join(p.format() for p in problems) or str(exc),
                         "problems": [asdict(p) for p in problems]}, status_code=422)


async def _missing(_request: Request, exc: Exception) -> JSONResponse:
    if type(exc) is not LookupError:  # a KeyError or IndexError is a bug, not a missing resource
        return _answer(500, "internal error")
    return _answer(404, str(exc.args[0]) if exc.args else "not found")


async def _throttled(_request: Request, exc: Exception) -> JSONResponse:
    wait = exc.retry_after if isinstance(exc, Throttled) else 60
    return JSONResponse({"detail": str(exc)}, status_code=429, headers={"Retry-After": str(wait)})


def install(app: FastAPI) -> None:
    """Map the ledger's exceptions to status codes."""
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(UsageError, _usage)
    app.add_exception_handler(BlueprintError, _blueprint)
    app.add_exception_handler(LookupError, _missing)
    app.add_exception_handler(Throttled, _throttled)
