"""``/api/blueprints``, ``/api/modules`` and ``/api/releases``: the releases in the ledger, their findings,
attestation, files and differences, release creation from CI, and approvals and rejections.

Approvals and rejections go through ``app.release_decisions.decide``, exactly as ``buttress approve``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from buttress.app import server_upload, server_views
from buttress.app.accounts import Principal
from buttress.app.release_decisions import decide
from buttress.app.server_catalog import catalog
from buttress.server.auth import principal, require_approver, writer
from buttress.server.context import server_of
from buttress.server.params import ENV_PATTERN, RELEASE_PATTERN, EnvName, IdentityName, ReleaseRef

router = APIRouter(prefix="/api", tags=["releases"])
Reader = Annotated[Principal, Depends(principal)]
Writer = Annotated[Principal, Depends(writer)]


class DecisionIn(BaseModel):
    """An approval, rejection or withdrawal for one environment."""

    environment: str = Field(pattern=ENV_PATTERN)
    reason: str = Field(default="", max_length=2000)


SourcePath = Annotated[str, Field(pattern=server_upload.PATH_PATTERN, max_length=server_upload.MAX_PATH_CHARS)]
SourceText = Annotated[str, Field(max_length=(server_upload.MAX_FILE_BYTES + 2) // 3 * 4)]


class ReleaseIn(BaseModel):
    """A blueprint's source as ``buttress release create --server`` (or any CI) sends it: the blueprint file
    and the pattern and Rego files it reads, by path relative to its folder, base64-encoded. The server
    validates, checks, renders and signs the release itself; nothing else is accepted."""

    model_config = ConfigDict(extra="forbid")
    blueprintFile: str = Field(default="blueprint.yaml", pattern=server_upload.FILE_PATTERN, max_length=128)
    source: dict[SourcePath, SourceText] = Field(min_length=1, max_length=server_upload.MAX_FILES)
    """path -> base64 content"""


@router.get("/blueprints")
def list_blueprints(request: Request, _who: Reader) -> list[dict[str, Any]]:
    """Every blueprint with releases in the ledger."""
    return server_views.blueprints(server_of(request).context())


@router.get("/modules")
def list_modules(request: Request, _who: Reader) -> dict[str, Any]:
    """The module catalog of the blueprint the server runs beside."""
    return catalog(server_of(request).config.project)


@router.get("/blueprints/{name}/modules")
def blueprint_modules(request: Request, name: IdentityName, _who: Reader) -> dict[str, Any]:
    """The module catalog, when ``name`` is the blueprint the server runs beside."""
    found = catalog(server_of(request).config.project)
    if found["blueprint"] != name:
        raise HTTPException(404, f"the server has no catalog of blueprint {name!r}")
    return found


@router.get("/releases")
def list_releases(request: Request, _who: Reader) -> list[dict[str, Any]]:
    """Every release, newest first."""
    return server_views.releases(server_of(request).context())


@router.post("/releases", status_code=201)
def create_release(request: Request, body: ReleaseIn, who: Writer) -> dict[str, Any]:
    """Build a release from a blueprint's source — validate, check, render, sign and store it, as
    ``buttress release create`` does — with the authenticated identity as its creator. A source that does
    not validate is refused with 422: ``detail`` and ``problems`` (file, line, column, message, keypath)."""
    try:
        files = {path: base64.b64decode(text, validate=True) for path, text in body.source.items()}
    except (binascii.Error, ValueError):
        raise HTTPException(422, "every source file's content must be base64") from None
    ctx = server_of(request).context(who.identity)
    return server_upload.create_from_source(ctx, body.blueprintFile, files).to_json()


def _resolve(request: Request, ref: str) -> str:
    found = server_views.lookup(server_of(request).context(), ref)
    if found is None:
        raise HTTPException(404, f"no release {ref!r} in this ledger")
    return found


@router.get("/releases/{ref}")
def release_detail(request: Request, ref: ReleaseRef, who: Reader) -> dict[str, Any]:
    """A release with, per environment, its findings, gates (as a promotion by you now would see them) and changes."""
    return server_views.release_detail(server_of(request).context(who.identity), _resolve(request, ref))


@router.get("/releases/{ref}/findings/{env}")
def release_findings(request: Request, ref: ReleaseRef, env: EnvName, _who: Reader) -> list[dict[str, Any]]:
    """The release's check findings for one environment."""
    return server_views.findings(server_of(request).context(), _resolve(request, ref), env)


@router.get("/releases/{ref}/attestation")
def release_attestation(request: Request, ref: ReleaseRef, _who: Reader) -> dict[str, Any]:
    """Verify the release's signed provenance and every file's digest."""
    return server_views.verify_attestation(server_of(request).context(), _resolve(request, ref))


@router.get("/releases/{ref}/diff")
def release_diff(request: Request, ref: ReleaseRef, _who: Reader,
                 environment: Annotated[str, Query(pattern=ENV_PATTERN)],
                 against: Annotated[str | None, Query(pattern=RELEASE_PATTERN)] = None,
                 against_environment: Annotated[str | None, Query(alias="againstEnvironment", pattern=ENV_PATTERN)] = None,
                 ) -> dict[str, Any]:
    """What changes from ``against@againstEnvironment`` (default: this release) to this release's environment."""
    this = _resolve(request, ref)
    other = _resolve(request, against) if against else this
    return server_views.diff(server_of(request).context(), other, against_environment or environment, this, environment)


@router.get("/releases/{ref}/files/{env}/{path:path}")
def release_file(request: Request, ref: ReleaseRef, env: EnvName, path: str, _who: Reader) -> Response:
    """One file of the release's bundle for an environment, as plain text."""
    content = server_views.release_file(server_of(request).context(), _resolve(request, ref), env, path)
    if content is None:
        raise HTTPException(404, f"release {ref} has no file {env}/{path}")
    return Response(content, media_type="text/plain; charset=utf-8")


def _decide(request: Request, ref: str, body: DecisionIn, who: Principal, kind: str) -> dict[str, Any]:
    rid = _resolve(request, ref)
    ctx = server_of(request).context(who.identity)
    if kind == "approve":
        require_approver(who, server_views.policy(ctx, rid), body.environment)
    return decide(ctx, rid, body.environment, kind, body.reason).to_json()


@router.post("/releases/{ref}/approvals", status_code=201)
def approve(request: Request, ref: ReleaseRef, body: DecisionIn, who: Writer) -> dict[str, Any]:
    """Approve the release for an environment (a holder of a required role; never its creator)."""
    return _decide(request, ref, body, who, "approve")


@router.post("/releases/{ref}/rejections", status_code=201)
def reject(request: Request, ref: ReleaseRef, body: DecisionIn, who: Writer) -> dict[str, Any]:
    """Reject the release for an environment (blocks promotion until withdrawn); needs a reason."""
    return _decide(request, ref, body, who, "reject")


@router.post("/releases/{ref}/withdrawals", status_code=201)
def withdraw(request: Request, ref: ReleaseRef, body: DecisionIn, who: Writer) -> dict[str, Any]:
    """Withdraw your own open rejection."""
    return _decide(request, ref, body, who, "withdraw")
