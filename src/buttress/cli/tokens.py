"""``buttress tokens create|list|revoke`` (API tokens for the team server) and ``buttress accounts password``
(the password an identity logs in to the web pages with)."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer

from buttress.app import accounts
from buttress.cli.ledger_options import At, Fmt, Identity, Key, Ledger, Project, context, guarded, opened
from buttress.cli.output import Format, print_json, stdout
from buttress.errors import UsageError

tokens = typer.Typer(help="API tokens for the team server (buttress serve).", no_args_is_help=True)
accounts_app = typer.Typer(help="Web logins for the team server.", no_args_is_help=True)


@tokens.command("create")
def create(
    name: Annotated[str, typer.Argument(help="What the token is for, e.g. ci.")],
    owner: Annotated[str | None, typer.Option("--for", help="Whose token (default: the acting identity; "
                                                            "others' need admin).")] = None,
    role: Annotated[list[str] | None, typer.Option("--role", help="A role the token may use (repeat; default: "
                                                                 "every role the identity holds).")] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="The token may only read.")] = False,
    days: Annotated[int, typer.Option("--days", help="Days until it expires.")] = 90,
    project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None, at: At = None,
    fmt: Fmt = Format.text,
) -> int:
    """Create an API token; it is printed once (the ledger keeps only its hash).

    Example:

        buttress tokens create ci --for ci-bot --days 30 --as alice
    """
    with opened(context(project, ledger, key, identity, at)) as ctx:
        def body() -> int:
            text, info = accounts.create_token(ctx, owner, name, role or None, read_only, days)
            if fmt is Format.json:
                print_json(info.to_json() | {"token": text})
                return 0
            out = stdout(markup=False)
            out.print(f"token {info.id} for {info.identity} (roles: {', '.join(info.roles) or 'none'}"
                      f"{', read-only' if info.read_only else ''}), expires {info.expires_at}")
            out.print("store it now, it is not shown again:")
            print(text)
            return 0

        return guarded(body)


@tokens.command("list")
def list_(
    owner: Annotated[str | None, typer.Option("--for", help="Only this identity's tokens (admin).")] = None,
    project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None, at: At = None,
    fmt: Fmt = Format.text,
) -> int:
    """List your tokens (an admin: everyone's), never their secrets."""
    with opened(context(project, ledger, key, identity, at)) as ctx:
        def body() -> int:
            found = accounts.list_tokens(ctx, owner)
            if fmt is Format.json:
                print_json([t.to_json() for t in found])
                return 0
            out = stdout(markup=False)
            for t in found:
                state = f"revoked {t.revoked_at}" if t.revoked_at else (
                    "expired" if t.expires_at <= ctx.when else f"expires {t.expires_at}")
                out.print(f"{t.id}  {t.identity:<16} {t.name:<16} {','.join(t.roles) or '-':<28} "
                          f"{'read-only ' if t.read_only else ''}{state}")
            if not found:
                out.print("no token")
            return 0

        return guarded(body)


@tokens.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(help="The token's ID (as `tokens list` shows it).")],
    project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None, at: At = None,
    fmt: Fmt = Format.text,
) -> int:
    """Revoke a token (yours, or anyone's as an admin); it stops working at once."""
    with opened(context(project, ledger, key, identity, at)) as ctx:
        def body() -> int:
            try:
                info = accounts.revoke_token(ctx, token_id)
            except LookupError as exc:
                raise UsageError(str(exc)) from None
            if fmt is Format.json:
                print_json(info.to_json())
            else:
                stdout(markup=False).print(f"token {info.id} of {info.identity} revoked at {info.revoked_at}")
            return 0

        return guarded(body)


@accounts_app.command("password")
def password(
    name: Annotated[str, typer.Argument(help="The identity whose password to set.")],
    stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")] = False,
    project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None, at: At = None,
) -> int:
    """Set the password NAME logs in to the web pages with (an admin's act; hashed with argon2id).

    Example:

        printf '%s' "$PASSWORD" | buttress accounts password carol --password-stdin --as alice
    """
    if stdin:
        secret = sys.stdin.readline().rstrip("\n")
    else:
        secret = getpass.getpass(f"password for {name}: ")
        if getpass.getpass("again: ") != secret:
            raise UsageError("the two passwords differ")
    with opened(context(project, ledger, key, identity, at)) as ctx:
        def body() -> int:
            accounts.set_password(ctx, name, secret)
            stdout(markup=False).print(f"password of {name} set")
            return 0

        return guarded(body)
