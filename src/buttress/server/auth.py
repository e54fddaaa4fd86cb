"""Authentication and authorisation of requests: bearer API tokens and browser session cookies.

``principal`` (a FastAPI dependency) answers 401 unless the request carries a live token or session;
``writer`` also refuses read-only tokens and, for cookie sessions, requests without the session's CSRF
token (form field or ``X-CSRF-Token`` header). ``require_roles`` narrows what a token may do to its scope;
the ledger's use cases then apply the ledger's own role and separation-of-duties rules to the identity.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import HTTPException, Request

from buttress.app import accounts
from buttress.app.accounts import Principal
from buttress.ledger.roles import Forbidden
from buttress.server.context import server_of

SESSION_COOKIE = "buttress_session"
LOGIN_CSRF_COOKIE = "buttress_login_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def authenticate(request: Request) -> Principal | None:
    """The principal of a request's bearer token or session cookie, or None."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    ctx = server_of(request).context()
    header = request.headers.get("authorization")
    found: Principal | None = None
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            found = accounts.token_principal(ctx, value.strip())
    elif (cookie := request.cookies.get(SESSION_COOKIE)) is not None:
        found = accounts.session_principal(ctx, cookie)
    request.state.principal = found
    return found


def principal(request: Request) -> Principal:
    """Dependency: the authenticated principal, or 401."""
    found = authenticate(request)
    if found is None:
        raise HTTPException(401, "authentication required: send Authorization: Bearer TOKEN (buttress tokens create) "
                                 "or log in", headers={"WWW-Authenticate": "Bearer"})
    return found


def csrf_ok(who: Principal, supplied: str | None) -> bool:
    """Does ``supplied`` match the session's CSRF token?"""
    return bool(who.csrf and supplied and hmac.compare_digest(who.csrf, supplied))


def writer(request: Request) -> Principal:
    """Dependency: a principal allowed to change the ledger (not a read-only token; CSRF-checked sessions)."""
    who = principal(request)
    if who.read_only:
        raise HTTPException(403, f"token {who.token_id} is read-only")
    if who.via == "session" and request.method not in SAFE_METHODS and not csrf_ok(who, request.headers.get(CSRF_HEADER)):
        raise HTTPException(403, "missing or wrong CSRF token (send the X-CSRF-Token header of your session)")
    return who


def require_roles(who: Principal, allowed: Iterable[str], action: str) -> None:
    """Raise ``Forbidden`` when a token's scope leaves out every role of ``allowed`` that its identity holds.

    When the identity itself lacks the role, the ledger's use case refuses with the command line's words.
    """
    wanted = sorted(set(allowed))
    if wanted and who.held & set(wanted) and not who.roles & set(wanted):
        via = f"token {who.token_id}" if who.via == "token" else "session"
        raise Forbidden(f"{who.identity} may not {action}: it needs the role {' or '.join(wanted)} "
                        f"(this {via} may use: {', '.join(sorted(who.roles)) or 'no role'})")


def require_approver(who: Principal, policy: Mapping[str, Any], env: str) -> None:
    """Within a token's scope, the principal holds a role ``env``'s ``promotion.approvals.roles`` names."""
    rule = ((policy.get(env) or {}).get("promotion") or {}).get("approvals") or {}
    require_roles(who, rule.get("roles") or (), f"approve promotions to {env}")
