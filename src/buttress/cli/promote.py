"""``buttress approve|reject|promote|rollback``: decisions on releases and gated deployment."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from buttress.app import release_decisions, release_promote
from buttress.cli.ledger_options import At, Fmt, Identity, Key, Ledger, Project, context, guarded, opened
from buttress.cli.output import Format, print_json, stdout
from buttress.errors import UsageError

Release = Annotated[str, typer.Argument(help="Release ID, unique prefix, or number.")]
Env = Annotated[str, typer.Option("--env", help="The environment.")]
GitOps = Annotated[Path | None, typer.Option("--gitops", help="Write the bundle to DIR/ENV (commit if DIR is a git repo); "
                                             "first bring every DIR/ENV up to what the ledger says runs there.")]


def _decision(kind: str, release: str, env: str, reason: str, project: Path, ledger: str | None, key: Path | None,
              identity: str | None, at: str | None, fmt: Format) -> int:
    with opened(context(project, ledger, key, identity, at)) as ctx:
        def body() -> int:
            result = release_decisions.decide(ctx, release, env, kind, reason)
            if fmt is Format.json:
                print_json(result.to_json())
            else:
                verb = {"approve": "approved", "reject": "rejected", "withdraw": "withdrew the rejection of"}[kind]
                stdout().print(f"{result.identity} ({', '.join(result.roles) or 'no role'}) {verb} {result.release} "
                               f"for {result.environment} (audit entry {result.entry})")
            return 0

        return guarded(body)


def approve(release: Release, env: Env,
            comment: Annotated[str, typer.Option("--comment", help="Why.")] = "",
            project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None,
            at: At = None, fmt: Fmt = Format.text) -> int:
    """Approve a release for an environment (needs a role its promotion.approvals.roles names).

    Example:

        buttress approve rel-0123abcd4567 --env prod --as dana
    """
    return _decision("approve", release, env, comment, project, ledger, key, identity, at, fmt)


def reject(release: Release, env: Env,
           reason: Annotated[str, typer.Option("--reason", help="Why (required to reject).")] = "",
           withdraw: Annotated[bool, typer.Option("--withdraw", help="Withdraw your own rejection.")] = False,
           project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None,
           at: At = None, fmt: Fmt = Format.text) -> int:
    """Reject a release for an environment: promotion is blocked until the rejection is withdrawn.

    Example:

        buttress reject rel-0123abcd4567 --env prod --reason "fraud model drift" --as erin
    """
    return _decision("withdraw" if withdraw else "reject", release, env, reason, project, ledger, key, identity, at,
                     fmt)


def _show(outcome: release_promote.Outcome, fmt: Format) -> int:
    if fmt is Format.json:
        print_json(outcome.to_json())
        return _gitops_failed(outcome)
    out = stdout()
    flag = " [bold red]BREAK-GLASS[/]" if outcome.break_glass else ""
    if outcome.deployed:
        out.print(f"[green]✓[/] {outcome.kind} {outcome.release} to {outcome.environment}{flag} by {outcome.actor} "
                  f"at {outcome.at}" + (f" (replaces {outcome.replaced})" if outcome.replaced else ""))
    else:
        out.print(f"[red]✗[/] {outcome.kind} of {outcome.release} to {outcome.environment} refused:")
    for v in outcome.verdicts:
        mark = "~" if v.bypassed else ("✓" if v.passed else "✗")
        out.print(f"  {mark} {v.gate}: {escape(v.reason)}")
    for s in outcome.reconciled:
        out.print(f"  reconciled {escape(str(s.folder))} to {s.release} (promotion {s.promotion})"
                  + (f", commit {s.commit[:12]}" if s.commit else ""))
    if outcome.written and not outcome.gitops_error:
        out.print(f"  wrote {escape(str(outcome.written))}" + (f" (commit {outcome.commit[:12]})" if outcome.commit else ""))
    return _gitops_failed(outcome)


def _gitops_failed(outcome: release_promote.Outcome) -> int:
    """Exit 1 also when the ledger recorded the deployment but the GitOps folder could not be written."""
    if outcome.gitops_error:
        sys.stderr.write(f"error: {outcome.gitops_error}\n")
        return 1
    return 0 if outcome.deployed else 1


def promote(release: Release,
            to: Annotated[str, typer.Option("--to", help="The environment to promote to.")],
            gitops: GitOps = None,
            break_glass: Annotated[bool, typer.Option("--break-glass", help="Emergency: bypass approvals and the "
                                                      "change window (admin or incident-commander).")] = False,
            reason: Annotated[str, typer.Option("--reason", help="Why (required with --break-glass).")] = "",
            replacing: Annotated[str | None, typer.Option("--replacing", help="The release expected to run in the "
                                                          "environment now, or 'none' (default: what runs there).")] = None,
            project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None,
            at: At = None, fmt: Fmt = Format.text) -> int:
    """Promote a release if every gate holds; exit 1 with the failed gates otherwise (or when the GitOps
    folder could not be written after the ledger recorded the promotion: the next --gitops command
    reconciles it).

    Example:

        buttress promote rel-0123abcd4567 --to staging --gitops ../deploy --as frank
    """
    if reason and not break_glass:
        raise UsageError("--reason gives why glass is broken: add --break-glass, or leave --reason out")
    with opened(context(project, ledger, key, identity, at)) as ctx:
        return guarded(lambda: _show(release_promote.promote(
            ctx, release, to, gitops_dir=gitops, break_glass=reason if break_glass else None, replacing=replacing),
            fmt))


def rollback(env: Env,
             to: Annotated[str | None, typer.Option("--to", help="The release to return to (default: the previous).")]
             = None,
             gitops: GitOps = None,
             project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None,
             at: At = None, fmt: Fmt = Format.text) -> int:
    """Redeploy the previous (or a named) release of an environment, audited as a rollback.

    Example:

        buttress rollback --env prod --as frank
    """
    with opened(context(project, ledger, key, identity, at)) as ctx:
        return guarded(lambda: _show(release_promote.rollback(ctx, env, to, gitops_dir=gitops), fmt))
