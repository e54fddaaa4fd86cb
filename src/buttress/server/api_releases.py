"""``/api/blueprints``, ``/api/modules`` and ``/api/releases``: the releases in the ledger, their findings,
attestation, files and differences, release creation from CI, and approvals and rejections.

Approvals and rejections go through ``app.release_decisions.decide``, exactly as ``buttress approve``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from buttress.app import release as release_app
from buttress.app import server_views
from buttress.app.accounts import Principal
from buttress.app.release_decisions import decide
from buttress.app.server_catalog import catalog
from buttress.ledger import records
from buttress.server.auth import principal, require_approver, writer
from buttress.server.context import server_of
from buttress.server.params import ENV_PATTERN, NAME_PATTERN, RELEASE_PATTERN, EnvName, IdentityName, ReleaseRef

router = APIRouter(prefix="/api", tags=["releases"])
Reader = Annotated[Principal, Depends(principal)]
Writer = Annotated[Principal, Depends(writer)]
Days = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class DecisionIn(BaseModel):
    """An approval, rejection or withdrawal for one environment."""

    environment: str = Field(pattern=ENV_PATTERN)
    reason: str = Field(default="", max_length=2000)


class ApprovalsIn(BaseModel):
    """``promotion.approvals`` of one environment."""

    count: int = Field(ge=1, le=20)
    roles: list[Annotated[str, Field(pattern=NAME_PATTERN)]] = []


class WindowIn(BaseModel):
    """``promotion.window`` of one environment."""

    days: list[Days] = ["mon", "tue", "wed", "thu", "fri"]
    hours: str = Field(default="00:00-24:00", pattern=r"^([01]\d|2[0-4]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class PromotionPolicyIn(BaseModel):
    """``promotion`` of one environment."""

    model_config = ConfigDict(populate_by_name=True)
    from_: str | None = Field(default=None, alias="from", pattern=ENV_PATTERN)
    approvals: ApprovalsIn | None = None
    soakSeconds: float | None = Field(default=None, ge=0, le=10**8)
    window: WindowIn | None = None


class WaiverIn(BaseModel):
    """A waiver as ``policy_of`` stores it."""

    model_config = ConfigDict(extra="allow")
    control: str = Field(max_length=200)
    expires: dt.date
    modules: list[str] = []
    environments: list[str] | None = None


class EnvPolicyIn(BaseModel):
    """One environment's enforcement, promotion rules and waivers."""

    enforcement: Literal["advisory", "mandatory", "strict"]
    promotion: PromotionPolicyIn | None = None
    waivers: list[WaiverIn] = []


class FindingIn(BaseModel):
    """One check finding."""

    model_config = ConfigDict(extra="allow")
    control: str = Field(max_length=200)
    severity: Literal["error", "warning", "info"]
    module: str | None = None
    message: str = ""
    waived: bool = False


class ReleaseIn(BaseModel):
    """A release built by ``buttress release create --server`` (or any CI): files, policy, findings."""

    blueprint: str = Field(pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
    sourceDigest: str = Field(pattern=r"^[0-9a-f]{64}$")
    sourceUri: str = Field(default="blueprint.yaml", max_length=500)
    files: dict[Annotated[str, Field(pattern=ENV_PATTERN)], dict[Annotated[str, Field(max_length=500)], str]]
    """environment -> path -> base64 content"""
    policy: dict[Annotated[str, Field(pattern=ENV_PATTERN)], EnvPolicyIn]
    findings: dict[Annotated[str, Field(pattern=ENV_PATTERN)], list[FindingIn]] = {}


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
    """Sign and store a release built elsewhere; its creator is the authenticated identity."""
    if set(body.files) != set(body.policy):
        raise HTTPException(422, "files and policy must name the same environments")
    try:
        files = {env: {path: base64.b64decode(text, validate=True) for path, text in paths.items()}
                 for env, paths in body.files.items()}
    except (binascii.Error, ValueError):
        raise HTTPException(422, "every file's content must be base64") from None
    ctx = server_of(request).context(who.identity)
    policy = {env: p.model_dump(mode="json", by_alias=True) for env, p in body.policy.items()}
    findings = {env: [f.model_dump(mode="json") for f in items] for env, items in body.findings.items()}
    new = records.NewRelease(blueprint=body.blueprint, source_digest=body.sourceDigest, files=files, policy=policy,
                             findings=findings, creator=ctx.actor, created_at=ctx.when)
    return release_app.store_release(ctx, new, source_uri=body.sourceUri).to_json()


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
