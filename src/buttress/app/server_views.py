"""Read-only views of the ledger for the team server: releases, environments, gate previews, changes, audit.

Everything here reads (no lock, no audit entry) and returns plain data the API serialises and the web
pages render. Gate previews call the very gate evaluation ``promote`` uses (``app.release_promote``), so
the page shows what a promotion would decide now. Called by ``server.api_*`` and ``server.web``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import OrderedDict
from typing import Any

from buttress.app import release_query as release_app
from buttress.app.diff import compare
from buttress.app.ledger_session import LedgerContext
from buttress.app.release_promote import _gates as evaluate_gates
from buttress.ledger import audit, gates, records, roles
from buttress.ledger.store import Session


def promotion_order(policy: dict[str, Any]) -> list[str]:
    """Environments in the order releases travel (``dev``, ``staging``, ``prod``): by depth along
    ``promotion.from``, then by name."""
    def depth(env: str, seen: frozenset[str] = frozenset()) -> int:
        source = ((policy.get(env) or {}).get("promotion") or {}).get("from")
        return 0 if not source or source in seen or source not in policy else 1 + depth(source, seen | {env})

    return sorted(policy, key=lambda env: (depth(env), env))


def _env_summary(release: records.Release) -> dict[str, Any]:
    findings = release.findings_of()
    policy = release.policy_of()
    return {env: {"enforcement": policy[env]["enforcement"],
                  "errors": sum(1 for f in findings.get(env, []) if f.get("severity") == "error" and not f.get("waived")),
                  "findings": len(findings.get(env, []))} for env in promotion_order(policy)}


def _release_json(release: records.Release) -> dict[str, Any]:
    return {"id": release.id, "number": release.number, "createdAt": release.created_at, "creator": release.creator,
            "blueprint": release.blueprint, "sourceDigest": release.source_digest,
            "bundleDigest": release.bundle_digest, "environments": _env_summary(release)}


def lookup(ctx: LedgerContext, ref: str) -> str | None:
    """A release's full ID from an ID, prefix or number; None when there is no such release."""
    with ctx.ledger().read() as session:
        found = records.get_release(session, ref)
        return found.id if found else None


def releases(ctx: LedgerContext) -> list[dict[str, Any]]:
    """Every release, newest first, with where it runs now."""
    with ctx.ledger().read() as session:
        running = _running(session)
        out = []
        for r in reversed(records.releases(session)):
            out.append(_release_json(r) | {"runningIn": sorted(e for e, rid in running.items() if rid == r.id)})
        return out


def _running(session: Session) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for env in records.environments(session):
        row = records.current(session, env)
        out[env] = row.release_id if row else None
    return out


def blueprints(ctx: LedgerContext) -> list[dict[str, Any]]:
    """Every blueprint the ledger has releases of, with its newest release."""
    with ctx.ledger().read() as session:
        latest: dict[str, records.Release] = {}
        count: dict[str, int] = {}
        for r in records.releases(session):
            latest[r.blueprint] = r
            count[r.blueprint] = count.get(r.blueprint, 0) + 1
        return [{"name": name, "releases": count[name], "latestRelease": r.id, "latestAt": r.created_at,
                 "environments": sorted(r.policy_of())} for name, r in sorted(latest.items())]


def release_detail(ctx: LedgerContext, rid: str) -> dict[str, Any]:
    """One release: per environment its findings, policy, decisions, promotions, current gate status and
    what promoting it would change against what runs there now."""
    with ctx.ledger().read() as session:
        release = release_app.find(session, rid)
        policy = release.policy_of()
        findings = release.findings_of()
        running = _running(session)
        check = release_app.verify(session, release)
        envs: dict[str, Any] = {}
        for env in promotion_order(policy):
            verdicts = evaluate_gates(session, ctx, release, env, "promote", check)
            decisions = records.decisions(session, release.id, env)
            envs[env] = {
                "enforcement": policy[env]["enforcement"], "promotion": policy[env].get("promotion"),
                "waivers": policy[env].get("waivers", []), "findings": findings.get(env, []),
                "running": running.get(env), "isRunning": running.get(env) == release.id,
                "gates": [v.to_json() for v in verdicts], "ready": all(v.passed for v in verdicts),
                "decisions": [{"identity": d.identity, "kind": d.kind, "roles": list(d.roles), "at": d.at,
                               "reason": d.reason} for d in decisions],
                "openRejections": [d.identity for d in gates.open_rejections(decisions)],
                "approvalRoles": ((policy[env].get("promotion") or {}).get("approvals") or {}).get("roles") or [],
                "changes": _changes(session, release.id, env, running.get(env)),
            }
        promotions = [_promotion_json(p) for p in records.deployments(session) if p.release_id == release.id]
        return _release_json(release) | {"attestation": check.to_json(), "environmentDetails": envs,
                                         "promotions": promotions}


_CHANGES: OrderedDict[tuple[str | None, str, str], dict[str, Any]] = OrderedDict()
"""Recent ``_changes`` results. Releases are immutable, so a comparison of two of them stays true
(tampering with stored files is the attestation gate's to report). Process-local and bounded: the
server keeps no state that instances must share."""
_CHANGES_KEPT = 256


def _changes(session: Session, rid: str, env: str, running: str | None) -> dict[str, Any]:
    """What deploying ``rid`` to ``env`` changes against the release running there (everything, if none)."""
    if running == rid:
        return {"against": running, "equal": True, "added": [], "removed": [], "changed": []}
    key = (running, rid, env)
    if key in _CHANGES:
        _CHANGES.move_to_end(key)
        return _CHANGES[key]
    before = records.release_files(session, running, env) if running else {}
    result = compare(before, records.release_files(session, rid, env), running or "nothing", rid).to_json()
    _CHANGES[key] = result | {"against": running}
    while len(_CHANGES) > _CHANGES_KEPT:
        _CHANGES.popitem(last=False)
    return _CHANGES[key]


def diff(ctx: LedgerContext, a: str, a_env: str, b: str, b_env: str) -> dict[str, Any]:
    """The object-level difference between two releases' environments (``a@a_env`` to ``b@b_env``)."""
    with ctx.ledger().read() as session:
        ra, rb = release_app.find(session, a), release_app.find(session, b)
        for r, env in ((ra, a_env), (rb, b_env)):
            if env not in r.policy_of():
                raise LookupError(f"release {r.id} has no environment {env!r}")
        return compare(records.release_files(session, ra.id, a_env), records.release_files(session, rb.id, b_env),
                       f"{ra.id}@{a_env}", f"{rb.id}@{b_env}").to_json()


def findings(ctx: LedgerContext, rid: str, env: str) -> list[dict[str, Any]]:
    """A release's check findings for one environment."""
    with ctx.ledger().read() as session:
        release = release_app.find(session, rid)
        data = release.findings_of()
        if env not in release.policy_of():
            raise LookupError(f"release {release.id} has no environment {env!r}")
        return list(data.get(env, []))


def verify_attestation(ctx: LedgerContext, rid: str) -> dict[str, Any]:
    """The release's attestation check (signature and every file digest)."""
    with ctx.ledger().read() as session:
        release = release_app.find(session, rid)
        return {"release": release.id} | release_app.verify(session, release).to_json()


def _promotion_json(p: records.Promotion) -> dict[str, Any]:
    gate_list = json.loads(p.gates)
    return {"id": p.id, "release": p.release_id, "environment": p.environment, "kind": p.kind, "outcome": p.outcome,
            "actor": p.actor, "at": p.at, "replaced": p.replaced,
            "breakGlass": {"reason": p.reason} if p.break_glass else None,
            "failed": [{"gate": g["gate"], "reason": g["reason"]} for g in gate_list if not g["passed"]]}


def environments(ctx: LedgerContext) -> list[dict[str, Any]]:
    """Per environment: the current and previous release, the soak timer of the release waiting in its
    ``promotion.from``, and whether its change window is open now (rules from the newest release)."""
    with ctx.ledger().read() as session:
        all_releases = records.releases(session)
        policy = all_releases[-1].policy_of() if all_releases else {}
        names = promotion_order({env: policy.get(env) or {} for env in set(records.environments(session)) | set(policy)})
        return [_environment(session, ctx.at, env, policy.get(env) or {}) for env in names]


def _environment(session: Session, at: dt.datetime, env: str, policy: dict[str, Any]) -> dict[str, Any]:
    history = records.deployments(session, env, include_refused=False)
    current = history[-1] if history else None
    previous = next((p for p in reversed(history) if current and p.release_id != current.release_id), None)
    promotion = policy.get("promotion") or {}
    soak = None
    source = promotion.get("from")
    if source:
        upstream = records.current(session, source)
        if upstream is not None and (current is None or upstream.release_id != current.release_id):
            first = records.first_deployed(session, upstream.release_id, source)
            since = dt.datetime.fromisoformat(first.at if first else upstream.at)
            needed = float(promotion.get("soakSeconds") or 0)
            ready = since + dt.timedelta(seconds=needed)
            soak = {"release": upstream.release_id, "from": source, "since": since.isoformat(), "soakSeconds": needed,
                    "readyAt": ready.isoformat(), "remainingSeconds": max(0.0, (ready - at).total_seconds())}
    window = promotion.get("window")
    verdict = gates.window(window, at)
    return {"environment": env, "enforcement": policy.get("enforcement"), "from": source,
            "current": _promotion_json(current) if current else None,
            "previous": _promotion_json(previous) if previous else None,
            "soak": soak, "window": {"rule": window, "open": verdict.passed, "reason": verdict.reason},
            "approvals": promotion.get("approvals")}


def environment(ctx: LedgerContext, env: str) -> dict[str, Any] | None:
    """One environment's view, or None when the ledger does not know it."""
    return next((e for e in environments(ctx) if e["environment"] == env), None)


def promotions(ctx: LedgerContext, env: str | None = None) -> list[dict[str, Any]]:
    """Every promotion and rollback attempt, newest first."""
    with ctx.ledger().read() as session:
        return [_promotion_json(p) for p in reversed(records.deployments(session, env))]


def identities(ctx: LedgerContext) -> dict[str, list[str]]:
    """Every identity with its roles."""
    with ctx.ledger().read() as session:
        return roles.all_grants(session)


def audit_entries(ctx: LedgerContext, offset: int, limit: int) -> dict[str, Any]:
    """A page of the audit log, newest first."""
    with ctx.ledger().read() as session:
        size, entries = audit.page(session, offset, limit)
        return {"size": size, "offset": offset, "limit": limit, "entries": entries}


def audit_entry(ctx: LedgerContext, seq: int) -> dict[str, Any] | None:
    """One audit entry, or None."""
    with ctx.ledger().read() as session:
        _size, entries = audit.page(session, seq, 1, newest_first=False)
        return entries[0] if entries and entries[0]["seq"] == seq else None


def checkpoints(ctx: LedgerContext, limit: int) -> list[dict[str, Any]]:
    """The newest checkpoints."""
    with ctx.ledger().read() as session:
        return audit.latest_checkpoints(session, limit)


def release_file(ctx: LedgerContext, rid: str, env: str, path: str) -> bytes | None:
    """One file of a release's environment bundle, or None."""
    with ctx.ledger().read() as session:
        release = release_app.find(session, rid)
        return records.release_files(session, release.id, env).get(path)


def policy(ctx: LedgerContext, rid: str) -> dict[str, Any]:
    """A release's per-environment policy (enforcement, promotion rules, waivers)."""
    with ctx.ledger().read() as session:
        return dict(release_app.find(session, rid).policy_of())


def ping(ctx: LedgerContext) -> None:
    """Touch the database (the health check); raises when it is unreachable."""
    with ctx.ledger().read() as session:
        audit.page(session, 0, 1)
