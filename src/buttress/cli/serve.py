"""``buttress serve``: run the team server (FastAPI under uvicorn) over a ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from buttress.cli.ledger_options import Key, Ledger, Project
from buttress.errors import UsageError


def command(
    ledger: Ledger = None, project: Project = Path(), key: Key = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8080,
    gitops: Annotated[Path | None, typer.Option("--gitops", help="Write each promoted bundle into DIR/ENV "
                                                                 "(a git repository gets one commit per promotion).")] = None,
    insecure_cookies: Annotated[bool, typer.Option(
        "--insecure-cookies", help="Send session cookies over plain HTTP too (only behind a TLS-terminating proxy "
                                   "that connects over plain HTTP).")] = False,
) -> int:
    """Serve the API (OpenAPI at /openapi.json) and the web pages over the ledger.

    Accounts: an admin sets passwords with `buttress accounts password NAME` and creates API tokens with
    `buttress tokens create`. Put the server behind TLS; session cookies are Secure.

    Login throttling: 5 failed logins of one identity from one client address within 15 minutes refuse
    that address for that identity until the 15 minutes are over (other addresses can still log in);
    beyond 20 failures of one identity across all addresses in that window, the identity is slowed to
    one attempt every 30 s (never locked out). The client address is the TCP peer's: behind a reverse
    proxy every client shares the proxy's address.

    Example:

        buttress serve --ledger postgresql+psycopg://buttress@db/buttress --host 0.0.0.0 --port 8080
    """
    import uvicorn

    from buttress.server.app import create_app
    from buttress.server.context import ServerConfig

    folder = project.resolve()
    if not folder.is_dir():
        raise UsageError(f"--project {project} is not a folder")
    app = create_app(ServerConfig(project=folder, ledger_url=ledger, key_path=key, gitops=gitops,
                                  secure_cookies=not insecure_cookies))
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False, server_header=False)
    return 0
