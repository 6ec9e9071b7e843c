"""`alvh quotes import` and `alvh quotes residuals`: real option quotes in, model vs market out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alvh.cli.app import app
from alvh.cli.options import AsOfOption, current_settings, today_in_new_york

quotes_app = typer.Typer(
    help="Real option quotes: import a day's chain, compare the model with it.",
    no_args_is_help=True,
)
app.add_typer(quotes_app, name="quotes")

FormatOption = Annotated[
    str,
    typer.Option(
        "--format", help="auto | cboe-quote-table | datashop | hod-l2 | generic", show_default=True
    ),
]


@quotes_app.command("import")
def quotes_import(
    file: Annotated[Path, typer.Argument(help="A quote file (README: 'Option quotes').")],
    format: FormatOption = "auto",
    as_of: AsOfOption = None,
    intraday: Annotated[
        bool,
        typer.Option("--intraday", help="Store an intraday or overnight download under --as-of."),
    ] = False,
    root: Annotated[
        str | None,
        typer.Option("--root", help="The root (e.g. SPXW) of a file without a root column."),
    ] = None,
) -> None:
    """Load one day's option quotes; bad rows are quarantined and named (exit 3)."""
    from alvh.cli.options import optional_day
    from alvh.core.errors import UsageError
    from alvh.data.quotes import FORMATS
    from alvh.data.quotes.importer import import_quotes
    from alvh.store.warehouse import open_warehouse

    if format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {format!r}")
    day = optional_day(as_of)
    settings = current_settings()
    with open_warehouse(settings.warehouse_path) as con:
        result = import_quotes(
            con,
            file,
            today_in_new_york(),
            format=format,
            as_of=day,
            intraday=intraday,
            root=root.upper() if root else None,
        )
    days = result.as_of_dates
    dated = (
        f"{days[0]}"
        if len(days) == 1
        else f"{days[0]} to {days[-1]} ({len(days)} days)"
        if days
        else "no day"
    )
    typer.echo(
        f"imported {file} ({result.format}, {result.timing} quotes of {dated}): "
        f"{result.inserted} inserted, {result.updated} updated, {result.unchanged} unchanged, "
        f"{result.removed} removed, {result.rejected} rejected; {result.zero_bid} zero bids "
        f"kept and flagged, in {result.duration:.2f} s ({result.import_id})"
    )
    if result.messages:
        typer.echo(
            f"{len(result.messages)} rows rejected and quarantined in rejected_rows:", err=True
        )
        for message in result.messages[:20]:
            typer.echo(f"  {message}", err=True)
        if len(result.messages) > 20:
            typer.echo(f"  ... and {len(result.messages) - 20} more (see rejected_rows)", err=True)
    raise typer.Exit(result.exit_code)
