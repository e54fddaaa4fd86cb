"""``buttress audit verify|proof|verify-proof|export``: the tamper-evident audit log, checkable offline."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from buttress.app import ledger_report
from buttress.cli.ledger_options import At, Fmt, Identity, Key, Ledger, Project, context, opened
from buttress.cli.output import Format, print_json, stdout
from buttress.errors import UsageError

app = typer.Typer(help="The ledger's tamper-evident audit log.", no_args_is_help=True)
Trust = Annotated[str | None, typer.Option(
    "--trust", metavar="KEY.pub|KEYID",
    help="The ledger's trusted public key: a .pub file as `keys init` writes it (PROJECT/.buttress/keys/ledger.key.pub) "
         "or its key ID. verify: the log's first key must be this key (default: trust the log's own first key).")]
AnchorProject = Annotated[Path | None, typer.Option(
    "--project", "-C", help="Accept a checkpoint signed by a key the audit log of this folder's ledger trusts.")]


def _report(report: ledger_report.Report, fmt: Format, anchor: str | None) -> int:
    if fmt is Format.json:
        print_json(report.to_json())
    elif report.ok:
        stdout().print(f"[green]✓[/] audit log verifies: {report.entries} entries, {report.checkpoints} signed "
                       f"checkpoints, root {report.root[:16]}…{_keys_summary(report.keys, anchor)}")
    else:
        stdout().print(f"[red]✗[/] audit log does not verify ({report.entries} entries checked):")
        for p in report.problems:
            message = p["message"]  # most messages name their spot first: say it once
            stdout().print(escape(f"  {message}" if message.startswith(p["where"]) else f"  {p['where']}: {message}"))
    return 0 if report.ok else 1


def _keys_summary(keys: list[str], anchor: str | None) -> str:
    """Which keys signed, and what anchors the first."""
    if not keys:
        return ""
    if anchor:
        return f"; {len(keys)} trusted key(s) from the first key {keys[0][:16]}…, which is the --trust key"
    return f"; {len(keys)} trusted key(s) from the log's own first key {keys[0][:16]}… (pin it with --trust KEY.pub)"


@app.command("verify")
def verify(
    export_file: Annotated[Path | None, typer.Option("--export", help="Verify an exported JSON Lines file "
                                                     "instead of the database.")] = None,
    trust: Trust = None,
    project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None, at: At = None,
    fmt: Fmt = Format.text,
) -> int:
    """Recompute the Merkle tree, check every checkpoint and that its signer is trusted (the log's first key,
    or a key a trusted key endorsed), and name the first tampered entry or row; exit 1 if any.

    Example:

        buttress audit verify --trust .buttress/keys/ledger.key.pub
    """
    anchor = ledger_report.trust_anchor(trust)
    if export_file is not None:
        try:
            lines = export_file.read_text().splitlines()
        except OSError as exc:
            raise UsageError(f"cannot read {export_file}: {exc.strerror}") from None
        return _report(ledger_report.verify_export(lines, anchor), fmt, anchor)
    with opened(context(project, ledger, key, identity, at)) as ctx:
        return _report(ledger_report.verify_log(ctx, anchor), fmt, anchor)


@app.command("proof")
def proof(
    entry: Annotated[int, typer.Argument(help="The entry's sequence number.")],
    project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None, at: At = None,
    fmt: Fmt = Format.json,
) -> int:
    """Print an inclusion proof of an entry against the newest signed checkpoint (JSON, for verify-proof;
    ``--format text`` summarises it).

    Example:

        buttress audit proof 12 > proof.json
    """
    with opened(context(project, ledger, key, identity, at)) as ctx:
        doc = ledger_report.proof(ctx, entry)
    if fmt is Format.json:
        print_json(doc)
        return 0
    e, cp = doc["entry"], doc["checkpoint"]
    out = stdout()
    out.print(escape(f"entry {e['seq']}: {e['kind']} {e['subject']} by {e['actor']} at {e['at']}"))
    out.print(f"  leaf {e['leafHash']}")
    out.print(f"  {len(doc['proof'])} hash(es) up to the checkpoint of size {cp['size']}, root {cp['root']}, "
              f"signed by {cp['keyId'][:16]}… at {cp['at']}")
    return 0


@app.command("verify-proof")
def verify_proof(
    file: Annotated[Path, typer.Argument(help="A proof printed by `buttress audit proof` ('-' for stdin).")],
    trust: Trust = None, project: AnchorProject = None, ledger: Ledger = None,
    fmt: Fmt = Format.text,
) -> int:
    """Check an inclusion proof, offline against a trusted public key (--trust) or against the keys a ledger's
    audit log trusts (-C/--ledger); exit 1 if it does not hold, 2 without a trust anchor.

    Example:

        buttress audit verify-proof proof.json --trust .buttress/keys/ledger.key.pub
    """
    if trust is None and project is None and ledger is None:
        raise UsageError("verify-proof needs a trust anchor, or it would trust the key inside the proof it checks: "
                         "pass --trust KEY.pub (the ledger's public key, PROJECT/.buttress/keys/ledger.key.pub, or its "
                         "key ID), or -C PROJECT / --ledger URL to accept the keys that ledger's audit log trusts")
    anchor = ledger_report.trust_anchor(trust)
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text()
        doc = json.loads(text)
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror}") from None
    except ValueError as exc:
        raise UsageError(f"{file} is not JSON: {exc}") from None
    if anchor is not None:
        ok, message = ledger_report.verify_proof(doc, anchor)
    else:
        with opened(context(project or Path(), ledger, None, None, None)) as ctx:
            ok, message = ledger_report.verify_proof(doc, ctx=ctx)
    if fmt is Format.json:
        print_json({"ok": ok, "message": message})
    else:
        stdout().print(("[green]✓[/] " if ok else "[red]✗[/] ") + escape(message))
    return 0 if ok else 1


@app.command("export")
def export(
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
    project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None, at: At = None,
    fmt: Annotated[Format, typer.Option("--format", help="json (JSON Lines, the only format).")] = Format.json,
) -> int:
    """Write every entry and checkpoint as JSON Lines for an external auditor.

    Example:

        buttress audit export --out audit.jsonl
    """
    if fmt is not Format.json:
        raise UsageError("audit export writes JSON Lines only: use --format json (the default)")
    with opened(context(project, ledger, key, identity, at)) as ctx:
        lines = list(ledger_report.export(ctx))
    text = "".join(line + "\n" for line in lines)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text)
    return 0
