"""`alvh quotes import` and `alvh quotes residuals`: real option quotes in, model vs market out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from alvh.cli.app import app
from alvh.cli.options import AsOfOption, JsonOption, current_settings, today_in_new_york

quotes_app = typer.Typer(
    help="Real option quotes: import a day's chain, compare the model with it.",
    no_args_is_help=True,
)
app.add_typer(quotes_app, name="quotes")

FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        help="auto | cboe-quote-table | datashop | hod-l2 | side-by-side | generic",
        show_default=True,
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


@quotes_app.command("residuals")
def quotes_residuals(
    as_of: Annotated[str, typer.Option("--as-of", help="A day with stored quotes, YYYY-MM-DD.")],
    as_json: JsonOption = False,
) -> None:
    """Model vs market per option (7–60 days, two-sided quotes) for a day with quotes."""
    from alvh.book.residuals import quote_residuals
    from alvh.cli.options import parse_trading_day
    from alvh.store.warehouse import connect

    day = parse_trading_day(as_of)
    settings = current_settings()
    with connect(settings.warehouse_path, read_only=True) as con:
        result = quote_residuals(con, day)
    if as_json:
        typer.echo(json.dumps(result.as_json(), default=str))
        return
    forward = result.forward
    typer.echo(
        f"model vs market on {result.as_of} ({result.source}); one-month SPX parity forward "
        f"{forward:,.2f}"
        if forward
        else f"model vs market on {result.as_of} ({result.source})"
    )
    for underlying in ("SPX", "VIX"):
        s = result.summary[underlying]
        if not s["n"]:
            continue
        typer.echo(
            f"{underlying}: {s['n']} out-of-the-money options of {s['options']} quoted; IV error "
            f"(model − market, vol points) median {s['median_error']:+.2f}, median |error| "
            f"{s['median_abs_error']:.2f}, RMSE {s['rmse']:.2f}"
        )
        typer.echo(
            f"  {'side':<6} {'|delta|':<8} {'tenor d':<8} {'n':>5} {'median':>7} {'RMSE':>6}"
        )
        for b in s["buckets"]:
            typer.echo(
                f"  {b['side']:<6} {b['delta']:<8} {b['tenor_days']:<8} {b['n']:>5} "
                f"{b['median_error']:>+7.2f} {b['rmse']:>6.2f}"
            )
