"""Promotion and rollback: evaluate every gate, record the verdicts and the outcome in one transaction,
then write the environment's bundle to the GitOps folder.

``promote`` refuses (exit 1) unless every gate holds; ``--break-glass`` bypasses approvals and the change
window only, for an ``admin`` or ``incident-commander``, and is flagged in the audit log. A promotion is
also refused when the environment no longer runs the release it ran when the promoter looked
(``replacing``): of concurrent promotions decided against one state, exactly one wins.
``rollback`` redeploys the previous (or a named) release through the same record with the gates that
apply to a rollback: attestation, checks, and approvals as configured. Called by ``cli.promote``.

GitOps (``--gitops DIR``): the ledger is the truth and DIR follows it. A promotion holds DIR's lock
(``ledger.gitops.locked``) from start to end: it first ``reconcile``s DIR — every environment whose folder
does not hold what the ledger says is deployed there (a process killed between its ledger commit and its
folder write, a failed git step, a promotion made without ``--gitops``) is rewritten and committed with a
message saying it was reconciled — then decides and commits to the ledger, then writes its own
environment. ``status --gitops DIR`` reconciles too. A failure to write DIR after the ledger commit does
not undo the deployment: the outcome carries the error, and the next command with ``--gitops`` repairs it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from buttress.app import release_query
from buttress.app.ledger_session import LedgerContext
from buttress.app.release_query import find, verify
from buttress.errors import UsageError
from buttress.ledger import attestation, audit, gates, gitops, records, roles
from buttress.ledger.store import Session, failpoint

NONE = "none"
BREAK_GLASS = "break-glass"
"""The audit entry kind recording an emergency promotion (before its outcome entry)."""


@dataclass
class Outcome:
    """What a promotion or rollback decided, and where it was written."""

    release: str
    environment: str
    kind: str
    deployed: bool
    verdicts: list[gates.Verdict]
    actor: str
    at: str
    replaced: str | None
    break_glass: str | None = None
    entries: list[int] = field(default_factory=list)
    commit: str | None = None
    written: str | None = None
    gitops_folder: str | None = None
    """The GitOps folder (``--gitops``), if any."""
    reconciled: list[Synced] = field(default_factory=list)
    """Other environments of the GitOps folder brought up to the ledger by this command."""
    gitops_error: str | None = None
    """Why the GitOps folder could not be written after the ledger recorded the deployment."""

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        gitops_json = {"folder": self.written, "commit": self.commit, "error": self.gitops_error,
                       "reconciled": [r.to_json() for r in self.reconciled]}
        return {"release": self.release, "environment": self.environment, "kind": self.kind,
                "outcome": records.DEPLOYED if self.deployed else records.REFUSED, "actor": self.actor, "at": self.at,
                "replaced": self.replaced, "breakGlass": {"reason": self.break_glass} if self.break_glass is not None else None,
                "gates": [v.to_json() for v in self.verdicts], "auditEntries": self.entries,
                "gitops": gitops_json if self.gitops_folder else None}


@dataclass(frozen=True)
class Synced:
    """One environment folder written to match the ledger."""

    environment: str
    release: str
    promotion: int
    folder: str
    commit: str | None
    reconciled: bool
    """True when written for a deployment other than the command's own (it had been missed)."""

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        return {"environment": self.environment, "release": self.release, "promotion": self.promotion,
                "folder": self.folder, "commit": self.commit}


@dataclass
class _Pending:
    env: str
    release: str
    promotion: int
    files: dict[str, bytes]
    message: str


def _sync(ctx: LedgerContext, folder: Path, own: int | None = None) -> list[Synced]:
    """Write every environment whose folder in ``folder`` lags behind the ledger (call under its lock).

    ``own``: the promotion this command just recorded (its commit gets the plain message; any other is
    marked reconciled)."""
    git = gitops.is_git(folder)
    pending: list[_Pending] = []
    with ctx.ledger().read() as session:
        for env in records.environments(session):
            row = records.current(session, env)
            if row is None or gitops.in_sync(folder, env, row.release_id, row.id, git):
                continue
            message = _message(row, None if row.id == own else (ctx.actor, ctx.when, str(folder)))
            pending.append(_Pending(env, row.release_id, row.id, records.release_files(session, row.release_id, env),
                                    message))
    done = []
    for p in pending:
        commit = gitops.write(folder, p.env, p.files, p.release, p.promotion, p.message, git=git)
        done.append(Synced(p.env, p.release, p.promotion, str(folder / p.env), commit, p.promotion != own))
    return done


@contextmanager
def _gitops(ctx: LedgerContext, folder: Path | None) -> Iterator[list[Synced]]:
    """Hold ``folder``'s lock and bring it up to the ledger first; the environments it reconciled."""
    if folder is None:
        yield []
        return
    with gitops.locked(folder):
        yield _sync(ctx, folder)


def reconcile(ctx: LedgerContext, folder: Path) -> list[Synced]:
    """Bring the GitOps ``folder`` up to what the ledger says runs in each environment (``status --gitops``)."""
    with _gitops(ctx, folder) as synced:
        return synced


def _current_release(ctx: LedgerContext, env: str) -> str | None:
    with ctx.ledger().read() as session:
        row = records.current(session, env)
        return row.release_id if row else None


def _policy(release: records.Release, env: str) -> dict[str, Any]:
    policy = release.policy_of()
    if env not in policy:
        raise UsageError(f"release {release.id} has no environment {env!r} (it has: {', '.join(sorted(policy))})")
    return dict(policy[env])


def _gates(session: Session, ctx: LedgerContext, release: records.Release, env: str, kind: str,
           check: attestation.Check | None = None) -> list[gates.Verdict]:
    """Every gate's verdict for ``kind`` of ``release`` to ``env`` now; ``check`` is the release's
    attestation verification when the caller already made it (one per request, not one per environment)."""
    policy = _policy(release, env)
    promotion = policy.get("promotion") or {}
    check = check if check is not None else verify(session, release)
    verdicts = [gates.attestation(check.ok, check.problems, check.to_json())]
    if kind == "promote":
        source = promotion.get("from")
        first = records.first_deployed(session, release.id, source) if source else None
        verdicts.append(gates.soak(source, promotion.get("soakSeconds"),
                                   dt.datetime.fromisoformat(first.at) if first else None, ctx.at))
    findings = release.findings_of().get(env, [])
    verdicts.append(gates.checks(findings, policy["enforcement"], policy.get("waivers", []), env, ctx.at))
    verdicts.append(gates.approvals(promotion.get("approvals"), records.decisions(session, release.id, env),
                                    release.creator, ctx.actor))
    if kind == "promote":
        verdicts.append(gates.window(promotion.get("window"), ctx.at))
    return verdicts


def _apply(ctx: LedgerContext, ref: str, env: str, kind: str, expected: str | None, break_glass: str | None,
           gitops_dir: Path | None, reconciled: list[Synced]) -> Outcome:
    with ctx.write() as session:
        release = find(session, ref)
        _policy(release, env)
        held = roles.roles_of(session, ctx.actor)
        may_break = break_glass is None or bool(held & set(gates.BREAK_GLASS_ROLES))
        now = records.current(session, env)
        running = now.release_id if now else None
        verdicts = gates.decide(_gates(session, ctx, release, env, kind), break_glass if may_break else None)
        if not may_break:  # refused and recorded: an attempt to bypass the gates is itself evidence
            verdicts.insert(0, gates.Verdict(BREAK_GLASS, False, f"{ctx.actor} may not break glass: it needs the role "
                                             f"{' or '.join(gates.BREAK_GLASS_ROLES)} (holds "
                                             f"{', '.join(sorted(held)) or 'no role'})", {"roles": sorted(held)}))
        if running != expected:
            verdicts.insert(0, gates.Verdict("current", False, f"{env} now runs {running or 'nothing'}, not "
                                             f"{expected or 'nothing'} as when this {kind} was decided "
                                             "(another promotion won)", {"expected": expected, "running": running}))
        elif running == release.id:
            verdicts.insert(0, gates.Verdict("current", False, f"{env} already runs {release.id}", {"running": running}))
        deployed = all(v.passed for v in verdicts)
        outcome = records.DEPLOYED if deployed else records.REFUSED
        row = records.add_promotion(session, release_id=release.id, environment=env, kind=kind,
                                    break_glass=break_glass is not None, reason=break_glass or "", actor=ctx.actor,
                                    at=ctx.when, outcome=outcome, gates=[v.to_json() for v in verdicts],
                                    replaced=running)
        drafts = [audit.Draft(ctx.actor, "gate", f"{release.id}@{env}", {"promotion": row.id, **v.to_json()})
                  for v in verdicts]
        if break_glass is not None:
            drafts.append(audit.Draft(ctx.actor, BREAK_GLASS, f"{release.id}@{env}", {
                "promotion": row.id, "release": release.id, "environment": env, "reason": break_glass,
                "roles": sorted(roles.roles_of(session, ctx.actor)), "outcome": outcome,
                "bypassed": [v.gate for v in verdicts if v.bypassed]}))
        drafts.append(audit.Draft(ctx.actor, kind, f"{release.id}@{env}", {
            "promotion": row.id, "release": release.id, "environment": env, "outcome": outcome, "replaced": running,
            "breakGlass": {"reason": break_glass} if break_glass is not None else None,
            "failed": [v.gate for v in verdicts if not v.passed],
            "approvers": _approvers([v.to_json() for v in verdicts])}))
        entries = ctx.record(session, drafts)
        result = Outcome(release.id, env, kind, deployed, verdicts, ctx.actor, ctx.when, running, break_glass, entries,
                         reconciled=reconciled)
        promotion = row.id
    if gitops_dir is not None:
        failpoint("after-commit")
        result.gitops_folder = str(gitops_dir)
        if deployed:
            result.written = str(gitops_dir / env)
        try:
            for synced in _sync(ctx, gitops_dir, own=promotion):
                if synced.reconciled:
                    result.reconciled.append(synced)
                else:
                    result.commit = synced.commit
        except gitops.GitOpsError as exc:
            result.gitops_error = (f"{exc} — the ledger has recorded this {kind}; the next promote, rollback or "
                                   f"status with --gitops {gitops_dir} will reconcile the folder")
    return result


def _approvers(verdicts: list[dict[str, Any]]) -> list[str]:
    for v in verdicts:
        if v.get("gate") == gates.APPROVALS:
            return list((v.get("evidence") or {}).get("approvers", []))
    return []


def _message(row: records.Promotion, reconciled: tuple[str, str, str] | None = None) -> str:
    """The commit message of a deployment, from its ledger record; ``reconciled``: (who, when, folder) wrote
    it later because the folder had missed it."""
    title = (f"{row.kind} {row.release_id} to {row.environment}" + (" (BREAK-GLASS)" if row.break_glass else "")
             + (" (reconciled)" if reconciled else ""))
    lines = [title, "", f"Buttress-Release: {row.release_id}", f"Buttress-Actor: {row.actor}", f"Buttress-At: {row.at}",
             f"Approved-by: {', '.join(_approvers(json.loads(row.gates))) or 'none required'}"]
    if row.replaced:
        lines.append(f"Replaces: {row.replaced}")
    if row.break_glass:
        lines.append(f"Break-glass: {row.reason}")
    if reconciled:
        who, when, folder = reconciled
        lines.append(f"Buttress-Reconciled: written by {who} at {when}: the ledger records this {row.kind} "
                     f"(promotion {row.id}) but {folder}/{row.environment} did not hold it")
    return "\n".join(lines) + "\n"


def promote(ctx: LedgerContext, ref: str, env: str, *, gitops_dir: Path | None = None, break_glass: str | None = None,
            replacing: str | None = None) -> Outcome:
    """Promote a release to ``env`` if every gate holds (``replacing``: the release expected to run there now,
    ``none`` for an empty environment; default: what runs there when this call starts)."""
    if break_glass is not None and not break_glass.strip():
        raise UsageError("--break-glass needs --reason TEXT")
    with _gitops(ctx, gitops_dir) as reconciled:
        expected = _expected(ctx, env, replacing)
        return _apply(ctx, ref, env, "promote", expected, break_glass, gitops_dir, reconciled)


def _expected(ctx: LedgerContext, env: str, replacing: str | None) -> str | None:
    if replacing is None:
        return _current_release(ctx, env)
    if replacing == NONE:
        return None
    with ctx.ledger().read() as session:
        return find(session, replacing).id


def rollback(ctx: LedgerContext, env: str, to: str | None = None, *, gitops_dir: Path | None = None) -> Outcome:
    """Redeploy the release that ran in ``env`` before the current one (or ``to``), as a rollback."""
    with _gitops(ctx, gitops_dir) as reconciled:
        target, running = _rollback_target(ctx, env, to)
        return _apply(ctx, target, env, "rollback", running, None, gitops_dir, reconciled)


def _rollback_target(ctx: LedgerContext, env: str, to: str | None) -> tuple[str, str]:
    with ctx.ledger().read() as session:
        release_query.require_environment(session, env)
        history = records.deployments(session, env, include_refused=False)
        if not history:
            raise UsageError(f"nothing was ever deployed to {env}: there is nothing to roll back")
        running = history[-1].release_id
        if to is not None:
            target = find(session, to).id
            if target not in {p.release_id for p in history}:
                raise UsageError(f"{target} was never deployed to {env}; roll back only to a release that ran there")
        else:
            earlier = [p.release_id for p in history if p.release_id != running]
            if not earlier:
                raise UsageError(f"{env} has run only {running}: there is no previous release to roll back to")
            target = earlier[-1]
    return target, running
