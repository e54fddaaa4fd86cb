"""Ledger administration use cases: ``keys init`` (creates the key, initialises the ledger, makes the first
identity its admin) and ``roles grant`` / ``roles list``. Called by ``cli.ledger_admin``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from buttress.app.ledger_session import LedgerContext
from buttress.ledger import audit, records, roles
from buttress.ledger.signing import SigningKey, create_key, load_key
from buttress.ledger.signing import public_path as key_public_path


@dataclass(frozen=True)
class KeyResult:
    """A key created or registered."""

    key_id: str
    path: str
    public_path: str
    created: bool
    registered: bool
    admin: str | None

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        return {"keyId": self.key_id, "path": self.path, "publicKey": self.public_path, "created": self.created,
                "registered": self.registered, "admin": self.admin}


def init_key(ctx: LedgerContext, force: bool = False) -> KeyResult:
    """Create the signing key (unless it exists) and register it in the ledger.

    On a new ledger the acting identity becomes its admin; on an existing one, registering a key is an
    admin's act.
    """
    path = ctx.key_file
    created = False
    if force or not path.exists():
        key: SigningKey = create_key(path, force=force)
        created = True
    else:
        key = load_key(path)
    ctx.use_key(key)
    actor = ctx.actor
    admin = None
    with ctx.ledger().write() as session:
        if records.key_registered(session, key.id):
            return KeyResult(key.id, str(path), str(key_public_path(path)), created, False, None)
        drafts: list[audit.Draft] = []
        if roles.count(session) == 0:
            admin = actor
            drafts.append(audit.Draft(actor, "ledger.initialised", actor, {"admin": actor}))
        if roles.ensure(session, actor, ctx.when):
            drafts.append(audit.Draft(actor, "identity.created", actor, {"identity": actor}))
            if admin:
                drafts.append(audit.Draft(actor, "role.granted", actor, {"identity": actor, "role": roles.ADMIN,
                                                                          "why": "first identity of the ledger"}))
        roles.require(session, actor, (roles.ADMIN,), "register signing keys")
        records.register_key(session, key.public, actor, ctx.when)
        drafts.append(audit.Draft(actor, audit.KEY_CREATED, key.id, {"keyId": key.id, "publicKey": key.public.raw.hex(),
                                                                       "algorithm": "ed25519"}))
        ctx.record(session, drafts)
    return KeyResult(key.id, str(path), str(key_public_path(path)), created, True, admin)


def grant_role(ctx: LedgerContext, identity: str, role: str) -> bool:
    """The acting admin grants ``role`` to ``identity``; False when it was already held."""
    with ctx.write() as session:
        if not roles.grant(session, ctx.actor, roles.check_name(identity), role, ctx.when):
            return False
        ctx.record(session, [audit.Draft(ctx.actor, "role.granted", identity, {"identity": identity, "role": role})])
    return True


def list_roles(ctx: LedgerContext) -> dict[str, list[str]]:
    """Every identity with its roles."""
    with ctx.ledger().read() as session:
        return roles.all_grants(session)
