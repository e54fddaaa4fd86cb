"""``buttress release create --server URL``: build a release locally (validate, check, render every
environment — exactly what ``release create`` stores) and send it to a team server, which signs and stores
it with the token's identity as its creator.

Called by ``cli.release``; the server side is ``POST /api/releases`` (``server.api_releases``).
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from pathlib import Path
from typing import Any

import httpx

from buttress.app.check import check
from buttress.app.release import _render, policy_of
from buttress.app.release_query import ReleaseSummary
from buttress.app.validate import validate
from buttress.errors import UsageError


def release_body(path: Path | str, on: dt.date) -> dict[str, Any]:
    """The ``POST /api/releases`` body for the blueprint at ``path``: its files, policy and findings."""
    validated = validate(path)
    envs = list(validated.environments)
    report = check(validated, envs, on)
    bp = validated.blueprint
    return {
        "blueprint": str(bp.spec.name), "sourceDigest": bp.digest, "sourceUri": Path(bp.file).name,
        "files": {env: {name: base64.b64encode(content).decode() for name, content in sorted(_render(validated, env).items())}
                  for env in envs},
        "policy": policy_of(bp.spec),
        "findings": {name: [f.to_json() for f in result.findings] for name, result in report.environments.items()},
    }


def upload(path: Path | str, server: str, on: dt.date, token: str | None = None, timeout: float = 120) -> ReleaseSummary:
    """Send the release to ``server`` with the API token ``token`` (default: ``$BUTTRESS_TOKEN``, so that it
    stays out of process listings); the stored release's summary. Refusals become ``UsageError``s with the
    server's reason (never the token)."""
    token = token or os.environ.get("BUTTRESS_TOKEN")
    if not token:
        raise UsageError("--server needs an API token: set BUTTRESS_TOKEN (buttress tokens create ci ...)")
    if not server.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise UsageError(f"--server {server} must be https:// (plain http only to localhost)")
    body = release_body(path, on)
    try:
        answer = httpx.post(server.rstrip("/") + "/api/releases", json=body, timeout=timeout,
                            headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        raise UsageError(f"cannot reach {server}: {type(exc).__name__}") from None
    if answer.status_code != 201:
        try:
            detail = answer.json().get("detail")
        except ValueError:
            detail = answer.text[:300]
        raise UsageError(f"{server} refused the release ({answer.status_code}): {detail}")
    stored = answer.json()
    return ReleaseSummary(id=stored["id"], number=stored["number"], created_at=stored["createdAt"],
                          creator=stored["creator"], blueprint=stored["blueprint"], source_digest=stored["sourceDigest"],
                          bundle_digest=stored["bundleDigest"], environments=stored["environments"])
