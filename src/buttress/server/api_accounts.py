"""``/health``, ``/api/me``, ``/api/tokens`` and ``/api/accounts``: who is asking, API tokens, passwords.

Token and password use cases live in ``app.accounts`` (shared with ``buttress tokens``); the token's
secret appears once, in the answer that creates it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from buttress.app import accounts, server_views
from buttress.app.accounts import MIN_PASSWORD, Principal
from buttress.ledger.roles import ADMIN
from buttress.server.auth import principal, require_roles, writer
from buttress.server.context import server_of
from buttress.server.params import NAME_PATTERN, IdentityName

router = APIRouter(tags=["accounts"])
Reader = Annotated[Principal, Depends(principal)]
Writer = Annotated[Principal, Depends(writer)]


class TokenIn(BaseModel):
    """A token to create."""

    name: str = Field(min_length=1, max_length=200, description="What the token is for, e.g. ci.")
    identity: str | None = Field(default=None, pattern=NAME_PATTERN, description="Whose token (default: yours).")
    roles: list[Annotated[str, Field(pattern=NAME_PATTERN)]] | None = Field(
        default=None, description="The roles it may use (default: all the identity holds).")
    readOnly: bool = False
    days: int = Field(default=90, ge=1, le=accounts.MAX_TOKEN_DAYS)


class PasswordIn(BaseModel):
    """A new password."""

    password: str = Field(min_length=MIN_PASSWORD, max_length=1000)


@router.get("/health", tags=["health"])
def health(request: Request) -> dict[str, str]:
    """Liveness and database reachability; the only answer given without authentication."""
    server_views.ping(server_of(request).context())
    return {"status": "ok"}


@router.get("/api/me")
def me(who: Reader) -> dict[str, Any]:
    """The authenticated identity, its usable roles, and how it authenticated."""
    return who.to_json()


@router.get("/api/tokens")
def list_tokens(request: Request, who: Reader) -> list[dict[str, Any]]:
    """Your tokens (an admin: everyone's). Never their secrets."""
    return [t.to_json() for t in accounts.list_tokens(server_of(request).context(who.identity))]


@router.post("/api/tokens", status_code=201)
def create_token(request: Request, body: TokenIn, who: Writer) -> dict[str, Any]:
    """Create a token; its secret is in this answer only."""
    if body.identity not in (None, who.identity):
        require_roles(who, (ADMIN,), f"create tokens for {body.identity}")
    if who.via == "token" and body.roles is None:
        body.roles = sorted(who.roles)  # a token never mints a token wider than itself
    elif who.via == "token" and (wider := set(body.roles or []) - who.roles):
        require_roles(who, wider, "create a token with roles outside this token's scope")
    text, info = accounts.create_token(server_of(request).context(who.identity), body.identity, body.name,
                                       body.roles, body.readOnly or who.read_only, body.days)
    return info.to_json() | {"token": text}


@router.delete("/api/tokens/{token_id}")
def revoke_token(request: Request, token_id: Annotated[str, PathParam(pattern=r"^[0-9a-f]{12}$")],
                 who: Writer) -> dict[str, Any]:
    """Revoke a token (yours, or anyone's as an admin)."""
    return accounts.revoke_token(server_of(request).context(who.identity), token_id).to_json()


@router.put("/api/accounts/{identity}/password", status_code=204)
def set_password(request: Request, identity: IdentityName, body: PasswordIn, who: Writer) -> None:
    """An admin sets the password an identity logs in with."""
    require_roles(who, (ADMIN,), "set passwords")
    if not body.password.strip():
        raise HTTPException(422, "a password cannot be blank")
    accounts.set_password(server_of(request).context(who.identity), identity, body.password)
