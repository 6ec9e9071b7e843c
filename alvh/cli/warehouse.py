"""`alvh init`, `alvh ingest`, `alvh data status`: the warehouse and its data."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from alvh.cli.app import app, data_app
from alvh.cli.options import (
    AsOfOption,
    JsonOption,
    current_settings,
    ingest_mode,
    parse_as_of,
    today_in_new_york,
)


def _print_ingest(report) -> None:
    for item in report.items:
        counts = (
            f"+{item.inserted} ~{item.updated} ={item.unchanged} !{item.rejected}"
            if item.status not in ("unreachable",)
            else ""
        )
        note = f"  ({item.note})" if item.note else ""
        typer.echo(f"  {item.item:<16} {item.status:<11} {item.source:<8} {counts}{note}")
    typer.echo(
        f"ingest {report.run_id} as of {report.as_of} ({report.mode}): "
        f"{report.total('inserted')} inserted, {report.total('updated')} updated, "
        f"{report.total('unchanged')} unchanged, {report.total('rejected')} rejected "
        f"in {report.duration:.2f} s"
    )
    messages = report.reject_messages
    if messages:
        typer.echo(f"{len(messages)} rows rejected and quarantined in rejected_rows:", err=True)
        for message in messages[:20]:
            typer.echo(f"  {message}", err=True)
        if len(messages) > 20:
            typer.echo(f"  ... and {len(messages) - 20} more (see rejected_rows)", err=True)
    for item in report.unreachable:
        typer.echo(f"  {item.item}: {item.note}; no fallback allowed (--source live)", err=True)


@app.command()
def init(
    no_sample: Annotated[
        bool,
        typer.Option("--no-sample", help="Leave the book empty, for your own book and cash."),
    ] = False,
) -> None:
    """Create or migrate the warehouse, load the bundled data and, into an empty book, the sample
    book (idempotent; --no-sample for a user's own book)."""
    from alvh.book.positions import load_sample_book
    from alvh.data.ingest import ingest
    from alvh.store.warehouse import open_warehouse

    settings = current_settings()
    with open_warehouse(settings.warehouse_path) as con:
        typer.echo(f"warehouse {settings.warehouse_path}")
        report = ingest(con, settings, today_in_new_york(), mode="snapshot")
        _print_ingest(report)
        sample = None if no_sample else load_sample_book(con, today_in_new_york())
        if no_sample:
            typer.echo("sample book not loaded (--no-sample): 'alvh book import FILE --cash N'")
        elif sample is not None:
            typer.echo(f"sample book loaded: {sample.inserted} positions from {sample.file}")
        else:
            typer.echo("book already holds positions: sample book not loaded")
    raise typer.Exit(report.exit_code)


@app.command("ingest")
def ingest_command(
    source: Annotated[
        str, typer.Option("--source", help="auto | snapshot | live", case_sensitive=False)
    ] = "auto",
    as_of: AsOfOption = None,
    revalidate: Annotated[
        bool,
        typer.Option(
            "--revalidate",
            help="Validate and write every file again, even one identical to an earlier load.",
        ),
    ] = False,
) -> None:
    """Load or refresh market and macro data (auto: live publishers, else the snapshot)."""
    from alvh.data.ingest import ingest
    from alvh.store.warehouse import open_warehouse

    mode = ingest_mode(source)
    day = parse_as_of(as_of)
    settings = current_settings()
    with open_warehouse(settings.warehouse_path) as con:
        report = ingest(con, settings, day, mode=mode, revalidate=revalidate)
    _print_ingest(report)
    raise typer.Exit(report.exit_code)


@data_app.command("status")
def data_status(as_of: AsOfOption = None, as_json: JsonOption = False) -> None:
    """One row per series: first date, last date, rows, trading days stale, source."""
    from alvh.data.status import series_status
    from alvh.store.warehouse import connect

    day = parse_as_of(as_of)
    settings = current_settings()
    with connect(settings.warehouse_path, read_only=True) as con:
        rows = series_status(con, settings, day)
    if as_json:
        typer.echo(json.dumps([row.as_json() for row in rows], indent=2))
        return
    typer.echo(f"data status as of {day} ({settings.warehouse_path})")
    typer.echo(f"{'series':<16} {'first':<10} {'last':<10} {'rows':>7} {'stale':>6}  source")
    for row in rows:
        flag = "  STALE" if row.stale else ""
        typer.echo(
            f"{row.series:<16} {row.first:<10} {row.last:<10} {row.rows:>7} "
            f"{row.stale_days:>6}  {row.source}{flag}"
        )
