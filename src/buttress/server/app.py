"""The application factory: ``create_app(config)`` opens the ledger, loads the signing key and mounts the
API routers, the web pages, the static files, the error mapping and the security headers.

Called by ``cli.serve`` (through uvicorn) and by the tests (with a fixed clock).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from buttress.app.accounts import Principal
from buttress.app.ledger_session import KEY_PATH, signing_key
from buttress.ledger.store import default_url, open_ledger
from buttress.server import api_accounts, api_audit, api_environments, api_releases, errors, web
from buttress.server.auth import principal
from buttress.server.context import Server, ServerConfig
from buttress.server.security import body_limit, security_headers

VERSION = "0.1.0"


def create_app(config: ServerConfig | None = None) -> FastAPI:
    """The team server over the ledger ``config`` names."""
    config = config or ServerConfig()
    ledger = open_ledger(config.ledger_url or default_url(config.project), create=False)  # `keys init` creates it
    key = signing_key(config.key_path, config.key_path or (config.project / KEY_PATH))
    app = FastAPI(title="buttress", version=VERSION, docs_url=None, redoc_url=None, openapi_url=None,
                  description="The team server of a buttress ledger: releases, environments, approvals, promotions "
                              "and the audit log. Authenticate with `Authorization: Bearer TOKEN`.")
    app.state.server = Server(config, ledger, key)
    errors.install(app)
    app.middleware("http")(body_limit)
    app.middleware("http")(security_headers)  # outermost: the 413 carries the headers too
    for router in (api_accounts.router, api_releases.router, api_environments.router, api_audit.router, web.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).with_name("static"))), name="static")

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(_who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
        return app.openapi()

    @app.exception_handler(web.LoginRequired)
    async def _login(_request: Request, _exc: Exception) -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)

    return app
