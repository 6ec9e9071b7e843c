"""`alvh audit verify`: the hash-chained audit log."""

from __future__ import annotations

import typer

from alvh.cli.app import audit_app
from alvh.cli.options import current_settings


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit chain; exit 3 when any row was edited or deleted."""
    from alvh.store.audit import verify
    from alvh.store.warehouse import connect

    settings = current_settings()
    with connect(settings.warehouse_path, read_only=True) as con:
        checked, breaks = verify(con)
    if breaks:
        typer.echo(f"audit chain BROKEN: {len(breaks)} problem(s) in {checked} rows", err=True)
        for item in breaks:
            typer.echo(f"  row {item.seq}: {item.problem}", err=True)
        raise typer.Exit(3)
    typer.echo(f"audit chain intact: {checked} rows verified")
