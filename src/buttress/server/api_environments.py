"""``/api/environments``, ``/api/promotions``, ``/api/rollbacks`` and ``/api/identities``.

Promotions and rollbacks run ``app.release_promote`` — the same gates, the same refusals and the same audit
entries as ``buttress promote``/``rollback``. A deployed promotion answers 201; one refused by its gates
412 (the refusal is recorded, with every verdict); one that lost a race (the environment no longer runs
the release the client expected, or already runs this one) 409.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from buttress.app import server_views
from buttress.app.accounts import Principal
from buttress.app.release_promote import NONE, Outcome, promote, rollback
from buttress.ledger import gates
from buttress.server.auth import principal, require_roles, writer
from buttress.server.context import server_of
from buttress.server.params import ENV_PATTERN, RELEASE_PATTERN, EnvName, EnvQuery

router = APIRouter(prefix="/api", tags=["environments"])
Reader = Annotated[Principal, Depends(principal)]
Writer = Annotated[Principal, Depends(writer)]


class PromotionIn(BaseModel):
    """Promote a release to an environment."""

    release: str = Field(pattern=RELEASE_PATTERN)
    environment: str = Field(pattern=ENV_PATTERN)
    replacing: str | None = Field(default=None, pattern=RELEASE_PATTERN,
                                  description=f"The release you expect to run there now ({NONE!r} for none); a "
                                              "promotion that finds another one is refused with 409.")
    breakGlassReason: str | None = Field(default=None, max_length=2000,
                                         description="Emergency: bypass approvals and window (admin or "
                                                     "incident-commander).")


class RollbackIn(BaseModel):
    """Roll an environment back to its previous (or a named) release."""

    environment: str = Field(pattern=ENV_PATTERN)
    to: str | None = Field(default=None, pattern=RELEASE_PATTERN)


def status_of(outcome: Outcome) -> int:
    """201 deployed, 409 lost a race (the environment no longer runs what the client expected), 412 refused
    by a gate. The web forms answer with the same codes."""
    if outcome.deployed:
        return 201
    return 409 if any(v.gate == "current" and not v.passed for v in outcome.verdicts) else 412


def answer(outcome: Outcome) -> JSONResponse:
    """The outcome with every verdict, under ``status_of``'s code (and the failed gates as ``detail``)."""
    body = outcome.to_json()
    if not outcome.deployed:
        body |= {"detail": "; ".join(f"{v.gate}: {v.reason}" for v in outcome.verdicts if not v.passed)}
    return JSONResponse(body, status_code=status_of(outcome))


@router.get("/environments")
def list_environments(request: Request, _who: Reader) -> list[dict[str, Any]]:
    """Every environment: current and previous release, soak timer, change window."""
    return server_views.environments(server_of(request).context())


@router.get("/environments/{env}")
def environment(request: Request, env: EnvName, _who: Reader) -> dict[str, Any]:
    """One environment."""
    found = server_views.environment(server_of(request).context(), env)
    if found is None:
        raise HTTPException(404, f"the ledger knows no environment {env!r}")
    return found


@router.get("/promotions")
def list_promotions(request: Request, _who: Reader, environment: EnvQuery = None) -> list[dict[str, Any]]:
    """Every promotion and rollback attempt (refused ones too), newest first."""
    return server_views.promotions(server_of(request).context(), environment)


@router.post("/promotions", status_code=201,
             responses={409: {"description": "another promotion won"}, 412: {"description": "a gate refused"}})
def create_promotion(request: Request, body: PromotionIn, who: Writer) -> JSONResponse:
    """Promote a release if every gate holds, as the authenticated identity."""
    ctx = server_of(request).context(who.identity)
    if server_views.lookup(ctx, body.release) is None:
        raise HTTPException(404, f"no release {body.release!r} in this ledger")
    if body.breakGlassReason is not None:
        require_roles(who, gates.BREAK_GLASS_ROLES, "break glass")
    return answer(promote(ctx, body.release, body.environment, break_glass=body.breakGlassReason,
                          replacing=body.replacing, gitops_dir=server_of(request).config.gitops))


@router.post("/rollbacks", status_code=201,
             responses={409: {"description": "another promotion won"}, 412: {"description": "a gate refused"}})
def create_rollback(request: Request, body: RollbackIn, who: Writer) -> JSONResponse:
    """Redeploy the previous (or named) release of an environment through the rollback gates."""
    server = server_of(request)
    return answer(rollback(server.context(who.identity), body.environment, body.to, gitops_dir=server.config.gitops))


@router.get("/identities")
def list_identities(request: Request, _who: Reader) -> dict[str, list[str]]:
    """Every identity with its roles."""
    return server_views.identities(server_of(request).context())
