"""Accounts for the team server: password hashes, API tokens, browser sessions, login attempts and the
login throttling counters.

Five tables beside the ledger's own (created by migrations ``0002`` and ``0003``). Only digests of secrets
are stored: the password's argon2id hash (computed by ``app.accounts``), and SHA-256 of each token and
session secret. Plain data in, rows out; ``app.accounts`` holds the rules (who may create what, expiry,
throttling) and appends the audit entries. ``throttles`` returns a login's counters locked for the rest of
its transaction (``store.Ledger.transaction``), so that checking and counting an attempt is one atomic step.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from buttress.ledger.models import Base


class Account(Base):
    """An identity that may log in to the server with a password set by an admin."""

    __tablename__ = "accounts"
    identity: Mapped[str] = mapped_column(ForeignKey("identities.name"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[str] = mapped_column(String(40))


class ApiToken(Base):
    """An API token: its public ID, the SHA-256 of its secret, its role scope, expiry and revocation."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    identity: Mapped[str] = mapped_column(ForeignKey("identities.name"))
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[str] = mapped_column(Text)
    """JSON list of the roles the token may use (a subset of the identity's)."""
    read_only: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[str] = mapped_column(String(40))
    revoked_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class WebSession(Base):
    """A browser session: the SHA-256 of its cookie, its CSRF token and expiry."""

    __tablename__ = "web_sessions"
    secret_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    identity: Mapped[str] = mapped_column(ForeignKey("identities.name"))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[str] = mapped_column(String(40))


class LoginAttempt(Base):
    """One password login attempt (the record; throttling counts in ``LoginThrottle``)."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    identity: Mapped[str] = mapped_column(String(200), index=True)
    at: Mapped[str] = mapped_column(String(40))
    ok: Mapped[bool] = mapped_column(Boolean)
    address: Mapped[str] = mapped_column(String(100), server_default="")
    """The client address the attempt came from (empty for attempts recorded before migration ``0003``)."""


EVERY_ADDRESS = "*"
"""The ``LoginThrottle.address`` of an identity's counter across all addresses."""


class LoginThrottle(Base):
    """Failed logins counted in a window: per (identity, client address), and per identity over every
    address (``address`` = ``EVERY_ADDRESS``)."""

    __tablename__ = "login_throttles"
    identity: Mapped[str] = mapped_column(String(200), primary_key=True)
    address: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[str] = mapped_column(String(40))
    """When the window of ``failures`` began (empty: none yet)."""
    failures: Mapped[int] = mapped_column(Integer)
    last_attempt: Mapped[str] = mapped_column(String(40))


def account(session: Session, identity: str) -> Account | None:
    """The account of an identity, if it has one."""
    return session.get(Account, identity)


def set_password_hash(session: Session, identity: str, password_hash: str, set_by: str, at: str) -> None:
    """Create or replace an identity's password hash."""
    row = session.get(Account, identity)
    if row is None:
        session.add(Account(identity=identity, password_hash=password_hash, set_by=set_by, updated_at=at))
    else:
        row.password_hash, row.set_by, row.updated_at = password_hash, set_by, at
    session.flush()


def add_token(session: Session, *, token_id: str, identity: str, secret_hash: str, name: str, roles: Sequence[str],
              read_only: bool, created_by: str, created_at: str, expires_at: str) -> ApiToken:
    """Store a new token (its secret only as a hash)."""
    row = ApiToken(id=token_id, identity=identity, secret_hash=secret_hash, name=name,
                   roles=json.dumps(sorted(roles)), read_only=read_only, created_by=created_by,
                   created_at=created_at, expires_at=expires_at, revoked_at=None)
    session.add(row)
    session.flush()
    return row


def token(session: Session, token_id: str) -> ApiToken | None:
    """A token by its public ID."""
    return session.get(ApiToken, token_id)


def tokens(session: Session, identity: str | None = None) -> list[ApiToken]:
    """Tokens (of one identity, or all), oldest first."""
    query = select(ApiToken).order_by(ApiToken.created_at, ApiToken.id)
    if identity is not None:
        query = query.where(ApiToken.identity == identity)
    return list(session.scalars(query).all())


def revoke_token(session: Session, row: ApiToken, at: str) -> None:
    """Mark a token revoked."""
    row.revoked_at = at
    session.flush()


def add_session(session: Session, *, secret_hash: str, identity: str, csrf: str, created_at: str,
                expires_at: str) -> None:
    """Store a browser session."""
    session.add(WebSession(secret_hash=secret_hash, identity=identity, csrf=csrf, created_at=created_at,
                           expires_at=expires_at))
    session.flush()


def web_session(session: Session, secret_hash: str) -> WebSession | None:
    """A browser session by the hash of its cookie."""
    return session.get(WebSession, secret_hash)


def end_session(session: Session, secret_hash: str) -> None:
    """Delete a browser session (logout)."""
    session.execute(delete(WebSession).where(WebSession.secret_hash == secret_hash))


def purge_sessions(session: Session, now: str) -> None:
    """Delete expired sessions."""
    session.execute(delete(WebSession).where(WebSession.expires_at < now))


def add_attempt(session: Session, identity: str, address: str, at: str, ok: bool) -> None:
    """Record a login attempt."""
    session.add(LoginAttempt(identity=identity, address=address, at=at, ok=ok))
    session.flush()


def _lock(session: Session, identity: str, address: str) -> LoginThrottle:
    postgres = session.get_bind().dialect.name == "postgresql"
    insert = pg_insert(LoginThrottle) if postgres else sqlite_insert(LoginThrottle)
    session.execute(insert.values(identity=identity, address=address, window_start="", failures=0, last_attempt="")
                    .on_conflict_do_nothing())
    return session.scalars(select(LoginThrottle).where(LoginThrottle.identity == identity,
                                                       LoginThrottle.address == address)
                           .with_for_update().execution_options(populate_existing=True)).one()


def throttles(session: Session, identity: str, address: str) -> tuple[LoginThrottle, LoginThrottle]:
    """The counters of ``identity`` over every address and from ``address``, created if missing and locked
    until the transaction ends (PostgreSQL: ``SELECT ... FOR UPDATE``, taken in this order by every login;
    SQLite: the transaction's ``BEGIN IMMEDIATE`` write lock)."""
    return _lock(session, identity, EVERY_ADDRESS), _lock(session, identity, address)


def purge_throttles(session: Session, before: str) -> None:
    """Forget counters untouched since ``before``."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.last_attempt < before))
