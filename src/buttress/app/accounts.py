"""Account use cases of the team server: passwords (argon2id), login with throttling, browser sessions,
and API tokens (shown once, stored hashed, scoped to roles, expiring, revocable).

Login throttling (the policy ``buttress serve --help`` states):

- per identity and client address: after ``THROTTLE_FAILURES`` failed logins of one identity from one
  address within ``THROTTLE_MINUTES`` (counted from the first of them), that address may not try that
  identity again until the window ends — even with the right password. Other addresses are not affected,
  so a guesser cannot lock the real user out; a success from an address clears its count.
- per identity, over every address: beyond ``IDENTITY_CEILING`` failures in one window the identity is
  slowed, not locked: one attempt every ``SLOW_SECONDS`` from anywhere, until the window ends. A guesser
  spreading over many addresses gets at most ``IDENTITY_CEILING`` + window / ``SLOW_SECONDS`` guesses per
  window; the real user waits at most ``SLOW_SECONDS``.
- checking the limits and counting the attempt is one transaction holding the counters' row locks
  (``ledger.accounts.throttles``): every attempt is counted as a failure before its password is checked and
  uncounted if it succeeds, so parallel guesses can never check more passwords than the limits allow.

The client address is the TCP peer's (``buttress serve`` does not trust proxy headers): behind a reverse
proxy every client has the proxy's address, and the per-address limit acts per identity.

A ``Principal`` is who a request acts as: the identity a session or token belongs to, with the roles it
may use (a token's are the identity's roles narrowed to the token's scope). Setting a password and
creating or revoking a token append audit entries as the acting identity. Called by ``server.auth`` and
``cli.tokens``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from buttress.app.ledger_session import LedgerContext, iso
from buttress.errors import UsageError
from buttress.ledger import accounts, audit, roles
from buttress.ledger.roles import Forbidden

TOKEN_PREFIX = "btk"
SESSION_HOURS = 12
THROTTLE_FAILURES = 5
"""Failed logins of one identity from one client address per window before that address is refused."""
THROTTLE_MINUTES = 15
"""The throttling window."""
IDENTITY_CEILING = 20
"""Failed logins of one identity over every address per window before it is slowed."""
SLOW_SECONDS = 30
"""Beyond the ceiling: one attempt per identity every this many seconds."""
MIN_PASSWORD = 12
MAX_TOKEN_DAYS = 365

ARGON2_MEMORY_KIB = 64 * 1024
ARGON2_TIME_COST = 3
ARGON2_PARALLELISM = 4
"""argon2id with RFC 9106's second recommended (low-memory) profile: 64 MiB, 3 passes, 4 lanes."""

_hasher = PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_PARALLELISM,
                         hash_len=32, salt_len=16, type=Type.ID)
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class Throttled(Exception):
    """Too many failed logins: refuse without checking the password; ``retry_after`` seconds to wait."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Principal:
    """Who a request acts as, and with which roles."""

    identity: str
    roles: frozenset[str]
    via: str
    """``session`` or ``token``."""
    read_only: bool = False
    csrf: str | None = None
    token_id: str | None = None
    held: frozenset[str] = frozenset()
    """Every role the identity holds in the ledger (a token may use only ``roles`` of them)."""

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``GET /api/me``."""
        return {"identity": self.identity, "roles": sorted(self.roles), "via": self.via, "readOnly": self.read_only,
                "token": self.token_id}


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed (never its secret)."""

    id: str
    identity: str
    name: str
    roles: list[str]
    read_only: bool
    created_by: str
    created_at: str
    expires_at: str
    revoked_at: str | None

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--format json`` and the API."""
        return {"id": self.id, "identity": self.identity, "name": self.name, "roles": self.roles,
                "readOnly": self.read_only, "createdBy": self.created_by, "createdAt": self.created_at,
                "expiresAt": self.expires_at, "revokedAt": self.revoked_at}


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _info(row: accounts.ApiToken) -> TokenInfo:
    return TokenInfo(row.id, row.identity, row.name, json.loads(row.roles), row.read_only, row.created_by,
                     row.created_at, row.expires_at, row.revoked_at)


def set_password(ctx: LedgerContext, identity: str, password: str) -> None:
    """An admin sets (or resets) the password ``identity`` logs in with."""
    roles.check_name(identity)
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"a password needs at least {MIN_PASSWORD} characters")
    hashed = _hasher.hash(password)
    with ctx.write() as session:
        roles.require(session, ctx.actor, (roles.ADMIN,), "set passwords")
        drafts = []
        if roles.ensure(session, identity, ctx.when):
            drafts.append(audit.Draft(ctx.actor, "identity.created", identity, {"identity": identity}))
        accounts.set_password_hash(session, identity, hashed, ctx.actor, ctx.when)
        drafts.append(audit.Draft(ctx.actor, "account.password-set", identity, {"identity": identity}))
        ctx.record(session, drafts)


def _seconds(until: dt.datetime, now: dt.datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def _reserve(ctx: LedgerContext, identity: str, address: str) -> None:
    """Check the limits and count this attempt as a failure, atomically; raise ``Throttled`` instead when over."""
    window = dt.timedelta(minutes=THROTTLE_MINUTES)
    with ctx.ledger().transaction() as session:
        every, pair = accounts.throttles(session, identity, address)
        for row in (every, pair):
            if row.failures == 0 or dt.datetime.fromisoformat(row.window_start) + window <= ctx.at:
                row.failures, row.window_start = 0, ctx.when
        if pair.failures >= THROTTLE_FAILURES:
            wait = _seconds(dt.datetime.fromisoformat(pair.window_start) + window, ctx.at)
            raise Throttled(f"too many failed logins for {identity} from {address}: try again in "
                            f"{math.ceil(wait / 60)} minutes", wait)
        if every.failures >= IDENTITY_CEILING:
            next_try = dt.datetime.fromisoformat(every.last_attempt) + dt.timedelta(seconds=SLOW_SECONDS)
            if next_try > ctx.at:
                wait = _seconds(next_try, ctx.at)
                raise Throttled(f"too many failed logins for {identity}: it is slowed to one attempt every "
                                f"{SLOW_SECONDS} s; try again in {wait} s", wait)
        for row in (every, pair):
            row.failures += 1
            row.last_attempt = ctx.when


def login(ctx: LedgerContext, identity: str, password: str, address: str = "unknown") -> tuple[str, str]:
    """Check a password (throttled per identity and client ``address``, see above); a new session's cookie
    secret and CSRF token.

    Raises ``Throttled`` when over a limit and ``PermissionError`` for a wrong name or password (the same
    message for both, and the same work: an unknown name is checked against a dummy hash).
    """
    identity, address = identity[:200], address[:100] or "unknown"
    _reserve(ctx, identity, address)
    with ctx.ledger().read() as session:
        row = accounts.account(session, identity)
        stored = row.password_hash if row else _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password) and row is not None
    except (VerificationError, InvalidHashError):
        ok = False
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with ctx.ledger().transaction() as session:
        accounts.add_attempt(session, identity, address, ctx.when, ok)
        if ok:
            every, pair = accounts.throttles(session, identity, address)
            every.failures = max(0, every.failures - 1)  # counted as a failure before the check: it was not
            pair.failures = 0
            accounts.purge_sessions(session, ctx.when)
            accounts.purge_throttles(session, iso(ctx.at - dt.timedelta(days=1)))
            accounts.add_session(session, secret_hash=_digest(secret), identity=identity, csrf=csrf,
                                 created_at=ctx.when, expires_at=iso(ctx.at + dt.timedelta(hours=SESSION_HOURS)))
    if not ok:
        raise PermissionError("unknown identity or wrong password")
    return secret, csrf


def logout(ctx: LedgerContext, secret: str) -> None:
    """End the session whose cookie is ``secret``."""
    with ctx.ledger().transaction() as session:
        accounts.end_session(session, _digest(secret))


def session_principal(ctx: LedgerContext, secret: str) -> Principal | None:
    """The principal of a live session cookie, or None."""
    with ctx.ledger().read() as session:
        row = accounts.web_session(session, _digest(secret))
        if row is None or row.expires_at <= ctx.when:
            return None
        held = frozenset(roles.roles_of(session, row.identity))
        return Principal(row.identity, held, "session", csrf=row.csrf, held=held)


def token_principal(ctx: LedgerContext, text: str) -> Principal | None:
    """The principal of a bearer token that exists, matches, has not expired and is not revoked, or None."""
    parts = text.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    with ctx.ledger().read() as session:
        row = accounts.token(session, parts[1])
        if row is None or not hmac.compare_digest(row.secret_hash, _digest(parts[2])):
            return None
        if row.revoked_at is not None or row.expires_at <= ctx.when:
            return None
        held = frozenset(roles.roles_of(session, row.identity))
        return Principal(row.identity, held & set(json.loads(row.roles)), "token", read_only=row.read_only,
                         token_id=row.id, held=held)


def create_token(ctx: LedgerContext, identity: str | None, name: str, scope: list[str] | None, read_only: bool,
                 days: int) -> tuple[str, TokenInfo]:
    """A new token for ``identity`` (default: the actor), scoped to ``scope`` (default: every role it holds).

    Only the identity itself or an admin creates tokens; the scope must be roles the identity holds.
    Returns the token text (shown once; the ledger keeps only its hash) and its listing.
    """
    owner = roles.check_name(identity or ctx.actor)
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise UsageError(f"a token expires after 1 to {MAX_TOKEN_DAYS} days, not {days}")
    if not name.strip() or len(name) > 200:
        raise UsageError("a token needs a name of 1 to 200 characters (what it is for, e.g. ci)")
    token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    with ctx.write() as session:
        if owner != ctx.actor:
            roles.require(session, ctx.actor, (roles.ADMIN,), f"create tokens for {owner}")
        drafts = []
        if roles.ensure(session, owner, ctx.when):
            drafts.append(audit.Draft(ctx.actor, "identity.created", owner, {"identity": owner}))
        held = roles.roles_of(session, owner)
        wanted = set(held if scope is None else scope)
        if missing := wanted - held:
            raise Forbidden(f"{owner} does not hold {', '.join(sorted(missing))}: a token is scoped to roles its "
                            f"identity holds ({', '.join(sorted(held)) or 'none'})")
        row = accounts.add_token(session, token_id=token_id, identity=owner, secret_hash=_digest(secret), name=name,
                                 roles=sorted(wanted), read_only=read_only, created_by=ctx.actor, created_at=ctx.when,
                                 expires_at=iso(ctx.at + dt.timedelta(days=days)))
        info = _info(row)
        drafts.append(audit.Draft(ctx.actor, "token.created", owner, {
            "token": token_id, "identity": owner, "name": name, "roles": info.roles, "readOnly": read_only,
            "expiresAt": info.expires_at}))
        ctx.record(session, drafts)
    return f"{TOKEN_PREFIX}_{token_id}_{secret}", info


def list_tokens(ctx: LedgerContext, identity: str | None = None) -> list[TokenInfo]:
    """The actor's tokens; an admin sees everyone's (or one identity's)."""
    with ctx.ledger().read() as session:
        admin = roles.ADMIN in roles.roles_of(session, ctx.actor)
        if identity is not None and identity != ctx.actor and not admin:
            raise Forbidden(f"{ctx.actor} may not list the tokens of {identity}: it needs the role admin")
        return [_info(r) for r in accounts.tokens(session, identity if admin else ctx.actor)]


def revoke_token(ctx: LedgerContext, token_id: str) -> TokenInfo:
    """Revoke a token (its owner or an admin)."""
    with ctx.write() as session:
        row = accounts.token(session, token_id)
        if row is None:
            raise LookupError(f"no token {token_id!r}")
        if row.identity != ctx.actor:
            roles.require(session, ctx.actor, (roles.ADMIN,), f"revoke tokens of {row.identity}")
        if row.revoked_at is None:
            accounts.revoke_token(session, row, ctx.when)
            ctx.record(session, [audit.Draft(ctx.actor, "token.revoked", row.identity,
                                             {"token": row.id, "identity": row.identity})])
        return _info(row)
