"""Ledger administration use cases: ``keys init`` (creates the key, initialises the ledger, makes the first
identity its admin), ``keys rotate`` (a new key endorsed by the current one) and ``roles grant`` /
``roles list``. Called by ``cli.ledger_admin``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from buttress.app.ledger_session import LedgerContext
from buttress.errors import BlueprintError, UsageError
from buttress.ledger import audit, gates, records, roles
from buttress.ledger.signing import SigningKey, create_key, load_key
from buttress.ledger.signing import public_path as key_public_path
from buttress.model.parse import load_blueprint
from buttress.model.suggest import did_you_mean


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
    """Create the signing key (unless it exists; ``force``: a new one in any case) and register it in the ledger.

    On a new ledger the acting identity becomes its admin; on an existing one, registering a key is an
    admin's act. A new key is written beside the key file and takes its place only once registered:
    a refused registration leaves the key file as it was. A key file replaced by ``force`` is kept
    as ``<key>.replaced-<digest of its bytes>``.
    """
    path = ctx.key_file
    if not (force or not path.exists()):
        return _register(ctx, load_key(path), created=False)
    staged = path.with_name(path.name + ".next")
    key: SigningKey = create_key(staged, force=True)
    try:
        result = _register(ctx, key, created=True)
    except BaseException:
        staged.unlink(missing_ok=True)
        key_public_path(staged).unlink(missing_ok=True)
        raise
    if path.exists():  # named by its bytes: a file replaced because it is broken need not parse
        kept = path.with_name(f"{path.name}.replaced-{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}")
        path.replace(kept)
        if key_public_path(path).exists():
            key_public_path(path).replace(key_public_path(kept))
    staged.replace(path)
    key_public_path(staged).replace(key_public_path(path))
    return result


def _register(ctx: LedgerContext, key: SigningKey, *, created: bool) -> KeyResult:
    """Register ``key`` (the ledger's first key makes the actor its admin); nothing when registered already."""
    path = ctx.key_file
    ctx.use_key(key)
    actor = ctx.actor
    admin = None
    with ctx.ledger(create=True).write() as session:
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


def rotate_key(ctx: LedgerContext) -> KeyResult:
    """An admin replaces the signing key: a new key is registered in an audit entry whose checkpoint the
    current (trusted) key signs — so the log's chain of trust reaches the new key — then takes the key
    file's place. The old key is kept beside it as ``<key>.retired-<id>`` (its public half stays valid
    for what it signed)."""
    path = ctx.key_file
    current = ctx.key()
    staged = path.with_name(path.name + ".next")
    new = create_key(staged, force=True)
    try:
        with ctx.write() as session:
            roles.require(session, ctx.actor, (roles.ADMIN,), "rotate the signing key")
            records.register_key(session, new.public, ctx.actor, ctx.when)
            ctx.record(session, [audit.Draft(ctx.actor, audit.KEY_CREATED, new.id, {
                "keyId": new.id, "publicKey": new.public.raw.hex(), "algorithm": "ed25519", "rotatedFrom": current.id})])
    except BaseException:
        staged.unlink(missing_ok=True)
        key_public_path(staged).unlink(missing_ok=True)
        raise
    retired = path.with_name(f"{path.name}.retired-{current.id[:16]}")
    path.replace(retired)
    key_public_path(path).replace(key_public_path(retired))
    staged.replace(path)
    key_public_path(staged).replace(key_public_path(path))
    ctx.use_key(new)
    return KeyResult(new.id, str(path), str(key_public_path(path)), True, True, None)


def grant_role(ctx: LedgerContext, identity: str, role: str) -> bool:
    """The acting admin grants ``role`` to ``identity``; False when it was already held."""
    with ctx.write() as session:
        if not roles.grant(session, ctx.actor, roles.check_name(identity), role, ctx.when):
            return False
        ctx.record(session, [audit.Draft(ctx.actor, "role.granted", identity, {"identity": identity, "role": role})])
    return True


def unknown_role(ctx: LedgerContext, role: str) -> str | None:
    """A warning when ``role`` is one that nothing of the project's blueprint asks for (no environment's
    ``promotion.approvals.roles``, not admin nor a break-glass role): most likely a typo, which would leave
    the grantee unable to approve. None when the role is known, or the project holds no readable blueprint."""
    try:
        spec = load_blueprint(ctx.project).spec
    except (BlueprintError, UsageError, OSError):
        return None
    known = {roles.ADMIN, *gates.BREAK_GLASS_ROLES}
    for env in spec.environments.values():
        if env.promotion is not None and env.promotion.approvals is not None:
            known.update(env.promotion.approvals.roles)
    if role in known:
        return None
    return (f"granted, but no environment of {spec.name} asks for the role {role!r} in promotion.approvals.roles"
            f"{did_you_mean(role, sorted(known))}")


def list_roles(ctx: LedgerContext) -> dict[str, list[str]]:
    """Every identity with its roles."""
    with ctx.ledger().read() as session:
        return roles.all_grants(session)
