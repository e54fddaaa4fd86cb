"""``buttress audit verify|proof|verify-proof|export``: the tamper-evident audit log, checkable offline."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from buttress.app import ledger_report
from buttress.cli.ledger_options import At, Fmt, Identity, Key, Ledger, Project, context, opened
from buttress.cli.output import Format, print_json, stdout
from buttress.errors import UsageError

app = typer.Typer(help="The ledger's tamper-evident audit log.", no_args_is_help=True)
Trust = Annotated[list[str] | None, typer.Option("--trust", help="Accept only checkpoints signed by this key ID "
                                                 "(repeatable; default: keys the log registers).")]


def _report(report: ledger_report.Report, fmt: Format) -> int:
    if fmt is Format.json:
        print_json(report.to_json())
    elif report.ok:
        stdout().print(f"[green]✓[/] audit log verifies: {report.entries} entries, {report.checkpoints} signed "
                       f"checkpoints, root {report.root[:16]}…")
    else:
        stdout().print(f"[red]✗[/] audit log does not verify ({report.entries} entries checked):")
        for p in report.problems:
            stdout().print(f"  {p['where']}: {p['message']}")
    return 0 if report.ok else 1


@app.command("verify")
def verify(
    export_file: Annotated[Path | None, typer.Option("--export", help="Verify an exported JSON Lines file "
                                                     "instead of the database.")] = None,
    trust: Trust = None,
    project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None, at: At = None,
    fmt: Fmt = Format.text,
) -> int:
    """Recompute the Merkle tree, check every checkpoint, and name the first tampered entry; exit 1 if any.

    Example:

        buttress audit verify
    """
    if export_file is not None:
        try:
            lines = export_file.read_text().splitlines()
        except OSError as exc:
            raise UsageError(f"cannot read {export_file}: {exc.strerror}") from None
        return _report(ledger_report.verify_export(lines, trust), fmt)
    with opened(context(project, ledger, key, identity, at)) as ctx:
        return _report(ledger_report.verify_log(ctx, trust or []), fmt)


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
    out.print(f"entry {e['seq']}: {e['kind']} {e['subject']} by {e['actor']} at {e['at']}")
    out.print(f"  leaf {e['leafHash']}")
    out.print(f"  {len(doc['proof'])} hash(es) up to the checkpoint of size {cp['size']}, root {cp['root']}, "
              f"signed by {cp['keyId'][:16]}… at {cp['at']}")
    return 0


@app.command("verify-proof")
def verify_proof(
    file: Annotated[Path, typer.Argument(help="A proof printed by `buttress audit proof` ('-' for stdin).")],
    trust: Trust = None,
    fmt: Fmt = Format.text,
) -> int:
    """Check an inclusion proof offline (no ledger needed); exit 1 if it does not hold.

    Example:

        buttress audit verify-proof proof.json --trust KEYID
    """
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text()
        doc = json.loads(text)
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror}") from None
    except ValueError as exc:
        raise UsageError(f"{file} is not JSON: {exc}") from None
    ok, message = ledger_report.verify_proof(doc, trust)
    if fmt is Format.json:
        print_json({"ok": ok, "message": message})
    else:
        stdout().print(("[green]✓[/] " if ok else "[red]✗[/] ") + message)
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
