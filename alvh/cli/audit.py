"""`alvh audit verify`: the hash-chained audit log, checked against its anchor file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alvh.cli.app import audit_app
from alvh.cli.options import current_settings


@audit_app.command("verify")
def audit_verify(
    anchor_file: Annotated[
        Path | None,
        typer.Option(
            "--anchor",
            help="The anchor file of chain heads (default: audit_anchor_path, "
            "$ALVH_HOME/audit-anchors.log).",
        ),
    ] = None,
) -> None:
    """Check the audit chain and that it holds every anchored head; exit 3 when it does not."""
    from alvh.core.errors import UsageError
    from alvh.store import anchor
    from alvh.store.audit import verify
    from alvh.store.warehouse import connect

    settings = current_settings()
    path = anchor_file or settings.audit_anchor_file
    if anchor_file is not None and not anchor_file.is_file():
        raise UsageError(f"--anchor {anchor_file}: no such file")
    anchors = anchor.read(path) if path.is_file() else None
    with connect(settings.warehouse_path, read_only=True) as con:
        checked, breaks = verify(con)
        breaks += anchor.breaks_against(con, anchors or [])
    if breaks:
        typer.echo(f"audit chain BROKEN: {len(breaks)} problem(s) in {checked} rows", err=True)
        for item in breaks:
            typer.echo(f"  row {item.seq}: {item.problem}", err=True)
        raise typer.Exit(3)
    if anchors is None:
        typer.echo(
            f"audit chain intact: {checked} rows verified against itself only: no anchor file "
            f"at {path} yet (a run writes the first)"
        )
        return
    typer.echo(
        f"audit chain intact: {checked} rows verified, holding all {len(anchors)} anchored "
        f"head(s) of {path}"
    )
