"""`alvh approvers add|list|remove`: the registered Ed25519 keys of k-of-m approvals (issue 15).

The first key is registered by the first `add`; after that every change of the set is a
request that min(k, m) registered approvers sign, each running the same command with
`--sign-as NAME --key PRIVATE_KEY_FILE`; it applies when the last signature needed arrives.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from alvh.cli.app import app
from alvh.cli.options import JsonOption, current_settings

approvers_app = typer.Typer(
    help="Approver keys for signed k-of-m approvals (issue 15).", no_args_is_help=True
)
app.add_typer(approvers_app, name="approvers")

SignAsOption = Annotated[
    str | None,
    typer.Option("--sign-as", help="Your approver name, when the set already has keys."),
]
KeyOption = Annotated[
    Path | None,
    typer.Option("--key", help="Your Ed25519 private key (PEM or OpenSSH), to sign the change."),
]


def read_private_key(path: Path):
    """An approver's private key file; asks for its passphrase (hidden) when it is encrypted."""
    from alvh.hedge.approvals import KeyNeedsPassphrase, load_private_key

    try:
        return load_private_key(path)
    except KeyNeedsPassphrase:
        passphrase = typer.prompt(f"passphrase for {path}", hide_input=True)
        return load_private_key(path, passphrase.encode())


def _change(action: str, name: str, public_key: str | None, sign_as, key) -> None:
    from alvh.hedge.approvals import change_registry
    from alvh.store.warehouse import open_warehouse

    settings = current_settings()
    if (sign_as is None) != (key is None):
        from alvh.core.errors import UsageError

        raise UsageError("--sign-as and --key go together")
    private_key = read_private_key(key) if key is not None else None
    with open_warehouse(settings.warehouse_path) as con:
        outcome = change_registry(
            con,
            action,
            name,
            settings,
            public_key=public_key,
            signer=sign_as,
            private_key=private_key,
        )
    verb = "added" if action == "add" else "removed"
    if outcome.applied:
        by = f" (signed by {', '.join(outcome.signed_by)})" if outcome.signed_by else ""
        typer.echo(f"approver {outcome.name} {verb}{by}")
    else:
        typer.echo(
            f"change {outcome.change_id} ({action} {outcome.name}): {outcome.signatures} of "
            f"{outcome.required} signatures; each other approver runs the same command with "
            "their own --sign-as and --key"
        )


@approvers_app.command("add")
def approvers_add(
    name: Annotated[str, typer.Argument(help="The approver's name, as used by --as.")],
    public_key: Annotated[
        Path,
        typer.Option("--public-key", help="Their Ed25519 public key: PEM or 'ssh-ed25519 ...'."),
    ],
    sign_as: SignAsOption = None,
    key: KeyOption = None,
) -> None:
    """Register an approver's public key (signed by k approvers once a set exists)."""
    from alvh.hedge.approvals import load_public_key

    _change("add", name, load_public_key(public_key), sign_as, key)


@approvers_app.command("remove")
def approvers_remove(
    name: Annotated[str, typer.Argument(help="The approver to remove.")],
    sign_as: SignAsOption = None,
    key: KeyOption = None,
) -> None:
    """Remove an approver's key (signed by k approvers)."""
    _change("remove", name, None, sign_as, key)


@approvers_app.command("list")
def approvers_list(as_json: JsonOption = False) -> None:
    """The registered approvers and their key fingerprints, and changes awaiting signatures."""
    from alvh.hedge.approvals import approver_list, pending_changes
    from alvh.store.warehouse import open_warehouse

    settings = current_settings()
    with open_warehouse(settings.warehouse_path) as con:
        approvers, pending = approver_list(con), pending_changes(con)
    if as_json:
        payload = {"approvers": approvers, "pending": pending}
        typer.echo(json.dumps(payload, indent=2, default=str))
        return
    if not approvers:
        typer.echo("no approver keys registered (approvals are by name: approvals.mode)")
    for row in approvers:
        typer.echo(f"{row['name']:<20} {row['fingerprint']}  added {row['added_at']:%Y-%m-%d}")
    for change in pending:
        typer.echo(
            f"pending {change['change_id']}: {change['action']} {change['name']}, signed by "
            f"{change['signed_by'] or 'nobody yet'}"
        )
