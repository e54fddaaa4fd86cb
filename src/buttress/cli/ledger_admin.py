"""``buttress keys init|rotate`` and ``buttress roles grant|list``: the ledger's signing key and who may do what."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from buttress.app import ledger_admin
from buttress.cli.ledger_options import At, Fmt, Identity, Key, Ledger, Project, context, guarded, opened
from buttress.cli.output import Format, print_json, stderr, stdout

keys = typer.Typer(help="The ledger's Ed25519 signing key.", no_args_is_help=True)
roles = typer.Typer(help="Roles of identities in the ledger.", no_args_is_help=True)


@keys.command("init")
def keys_init(
    force: Annotated[bool, typer.Option("--force", help="Replace an existing key file.")] = False,
    project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None, at: At = None,
    fmt: Fmt = Format.text,
) -> int:
    """Create the signing key (private file mode 0600) and register it; the first identity becomes admin.

    Example:

        buttress keys init --as alice
    """
    with opened(context(project, ledger, key, identity, at)) as ctx:
        def body() -> int:
            result = ledger_admin.init_key(ctx, force=force)
            if fmt is Format.json:
                print_json(result.to_json())
                return 0
            out = stdout(markup=False)
            out.print(f"{'created' if result.created else 'using'} key {result.key_id[:16]}… at {result.path} "
                      f"(public key {result.public_path})")
            if result.registered:
                out.print(f"registered in the ledger{f'; {result.admin} is its admin' if result.admin else ''}")
            else:
                out.print("already registered in the ledger")
            return 0

        return guarded(body)


@keys.command("rotate")
def keys_rotate(
    project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None, at: At = None,
    fmt: Fmt = Format.text,
) -> int:
    """Replace the signing key (an admin's act): the current key endorses the new one in the audit log.

    Example:

        buttress keys rotate --as alice
    """
    with opened(context(project, ledger, key, identity, at)) as ctx:
        def body() -> int:
            result = ledger_admin.rotate_key(ctx)
            if fmt is Format.json:
                print_json(result.to_json())
                return 0
            stdout(markup=False).print(f"rotated: new key {result.key_id[:16]}… at {result.path} "
                                       f"(public key {result.public_path}), endorsed in the audit log by the previous key")
            return 0

        return guarded(body)


@roles.command("grant")
def roles_grant(
    who: Annotated[str, typer.Argument(help="The identity to grant the role to.")],
    role: Annotated[str, typer.Argument(help="The role, e.g. release-manager, security, incident-commander, admin.")],
    project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None, at: At = None,
    fmt: Fmt = Format.text,
) -> int:
    """Grant a role (only an admin may).

    Example:

        buttress roles grant bob release-manager --as alice
    """
    with opened(context(project, ledger, key, identity, at)) as ctx:
        def body() -> int:
            granted = ledger_admin.grant_role(ctx, who, role)
            warning = ledger_admin.unknown_role(ctx, role)
            if warning:
                stderr().print(f"warning: {warning}", markup=False)
            if fmt is Format.json:
                print_json({"identity": who, "role": role, "granted": granted})
            else:
                stdout(markup=False).print(f"{who} {'now holds' if granted else 'already held'} the role {role}")
            return 0

        return guarded(body)


@roles.command("list")
def roles_list(
    project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None, at: At = None,
    fmt: Fmt = Format.text,
) -> int:
    """List identities and their roles."""
    with opened(context(project, ledger, key, identity, at)) as ctx:
        grants = ledger_admin.list_roles(ctx)
    if fmt is Format.json:
        print_json({"identities": [{"identity": k, "roles": v} for k, v in grants.items()]})
    else:
        for name, held in grants.items():
            stdout(markup=False).print(f"{name}: {', '.join(held) or '-'}")
    return 0
