"""`alvh book ...`: import positions, show them marked, and every change as a dated trade
(close, roll, the journal, reset)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from alvh.cli.app import book_app
from alvh.cli.options import (
    AsOfOption,
    JsonOption,
    current_settings,
    marked_day,
    parse_trading_day,
    today_in_new_york,
)
from alvh.core.errors import UsageError


def trade_day(con, text: str | None) -> date:
    """--date as a trading day; without it, the latest day with SPX and VIX closes (the day
    'alvh book show' marks), never a day the data has not reached."""
    return parse_trading_day(text, "--date") if text else marked_day(con, None)


DateOption = Annotated[
    str | None,
    typer.Option(
        "--date",
        help="The trade's trading day, YYYY-MM-DD (default: the latest marked day).",
        show_default=False,
    ),
]


QuantityOption = Annotated[
    int | None,
    typer.Option("--quantity", help="Units of the position to trade (default: all still open)."),
]


def _warn_stale(con, on: date) -> None:
    from alvh.book.trades import stale_marks_from

    stale = stale_marks_from(con, on)
    if stale:
        typer.echo(
            f"note: {len(stale)} stored day(s) from {stale[0]} to {stale[-1]} were marked "
            f"without this trade; re-mark them: alvh backfill --start {stale[0]} "
            f"--end {stale[-1]}",
            err=True,
        )


@book_app.command("import")
def book_import(
    file: Annotated[
        Path, typer.Argument(help="Book CSV: a positions file or a legs file (interface.md).")
    ],
    cash: Annotated[
        float | None,
        typer.Option("--cash", help="Opening cash balance of the book, dollars (once)."),
    ] = None,
    cash_date: Annotated[
        str | None,
        typer.Option("--cash-date", help="Its date (default: the file's first entry date)."),
    ] = None,
) -> None:
    """Load positions from a CSV file; one bad row refuses the whole file (exit 3)."""
    from alvh.book.positions import import_book
    from alvh.store.warehouse import open_warehouse

    when = parse_trading_day(cash_date, "--cash-date") if cash_date else None
    settings = current_settings()
    with open_warehouse(settings.warehouse_path) as con:
        report = import_book(con, file, today_in_new_york(), opening_cash=cash, cash_date=when)
    typer.echo(
        f"imported {file}: {report.inserted} new position(s), {report.unchanged} already in the "
        f"book ({report.import_id})"
    )
    if report.cash_deposited is not None:
        typer.echo(f"opening cash ${report.cash_deposited:,.2f} deposited")


@book_app.command("close")
def book_close(
    position_id: Annotated[str, typer.Argument(help="The position's id ('alvh book show').")],
    price: Annotated[
        float,
        typer.Option(
            "--price",
            help="Per unit, index points: paid to close a credit position, received for a "
            "debit one.",
        ),
    ],
    quantity: QuantityOption = None,
    on: DateOption = None,
) -> None:
    """Close a position early, in full or in part, at a price on a day (a dated trade)."""
    from alvh.book.trades import close_position
    from alvh.hedge.day import configs
    from alvh.store.warehouse import open_warehouse

    settings = current_settings()
    with open_warehouse(settings.warehouse_path) as con:
        day = trade_day(con, on)
        trade = close_position(con, position_id, price, day, configs(settings)[2], quantity)
        _warn_stale(con, day)
    typer.echo(
        f"closed {trade.quantity} of {position_id} on {day} at {price:g}: cash "
        f"{trade.cash:+,.2f} (fees {trade.fees:.2f}) [{trade.trade_id}]"
    )


@book_app.command("roll")
def book_roll(
    position_id: Annotated[str, typer.Argument(help="The position to roll.")],
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="The new legs, comma-separated 'QTY ROOT EXPIRY STRIKE TYPE' in contracts, "
            "e.g. '+10 SPX 2026-10-16 7100 P,-10 SPX 2026-10-16 7150 P'.",
        ),
    ],
    net: Annotated[
        float,
        typer.Option(
            "--price", help="The roll's net per unit closed, index points: + credit, − debit."
        ),
    ],
    quantity: QuantityOption = None,
    close_price: Annotated[
        float | None,
        typer.Option(
            "--close-price",
            help="The closing leg's price per unit (default: the model's mid on the tick).",
        ),
    ] = None,
    new_id: Annotated[
        str | None, typer.Option("--id", help="The new position's id (default: ID-R1, ...).")
    ] = None,
    on: DateOption = None,
) -> None:
    """Roll a position: close it and open the new legs in one group, at one net price."""
    from alvh.book.day_model import day_model
    from alvh.book.trades import roll_position
    from alvh.book.valuation import ModelParams
    from alvh.hedge.day import configs
    from alvh.store.warehouse import open_warehouse

    settings = current_settings()
    with open_warehouse(settings.warehouse_path) as con:
        day = trade_day(con, on)
        # the close's default price is the day's model, as the day's marks price it: the
        # [model] settings, and the surface fitted to the day's quotes when it has them
        params = (
            day_model(con, day, ModelParams.from_mapping(settings.model)).params
            if close_price is None
            else None
        )
        closed, opened = roll_position(
            con,
            position_id,
            to,
            net,
            day,
            configs(settings)[2],
            quantity,
            close_price,
            new_id,
            params,
        )
        _warn_stale(con, day)
    typer.echo(
        f"rolled {closed.quantity} of {position_id} on {day} into {opened.position_id}: close "
        f"at {closed.price:g} ({closed.cash:+,.2f}), open at {opened.price:g} "
        f"({opened.cash:+,.2f}); group {closed.group_id}"
    )


@book_app.command("trades")
def book_trades(as_json: JsonOption = False) -> None:
    """Every trade of the book, oldest first: opens, closes, rolls, settlements, cash."""
    from alvh.book.trades import list_trades, trades_as_json
    from alvh.store.warehouse import connect

    settings = current_settings()
    with connect(settings.warehouse_path, read_only=True) as con:
        records = trades_as_json(list_trades(con))
    if as_json:
        typer.echo(json.dumps(records, indent=2))
        return
    if not records:
        typer.echo("no trades")
    for r in records:
        quantity = "" if r["quantity"] is None else f"{r['quantity']:>4}"
        price = "" if r["price"] is None else f"{r['price']:>8.2f}"
        cash = "" if r["cash"] is None else f"{r['cash']:>+13,.2f}"
        typer.echo(
            f"{r['trade_date']} {r['action']:<8} {(r['position_id'] or '-')[:24]:<24} "
            f"{quantity:>4} {price:>8} {cash:>13}  {r['note'] or ''}"
        )


@book_app.command("reset")
def book_reset(
    yes: Annotated[bool, typer.Option("--yes", help="Really remove the whole book.")] = False,
) -> None:
    """Remove every position, trade, cash entry and stored mark (e.g. the sample book)."""
    from alvh.book.trades import reset_book
    from alvh.store.warehouse import open_warehouse

    if not yes:
        raise UsageError("book reset removes every position, trade and cash entry: add --yes")
    settings = current_settings()
    with open_warehouse(settings.warehouse_path) as con:
        counts = reset_book(con)
    typer.echo(
        "book reset: removed "
        + ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items())
    )


@book_app.command("show")
def book_show(as_of: AsOfOption = None, as_json: JsonOption = False) -> None:
    """Positions marked (at market where quoted, else by the model) with dollar greeks, P&L
    and book totals (method §4), on the settings the daily run marks with."""
    from alvh.book.day_model import mark_day
    from alvh.book.valuation import ModelParams
    from alvh.hedge.day import configs
    from alvh.store.warehouse import connect

    settings = current_settings()
    params, costs = ModelParams.from_mapping(settings.model), configs(settings)[2]
    with connect(settings.warehouse_path, read_only=True) as con:
        marks = mark_day(con, marked_day(con, as_of), params, costs)[0]
    if as_json:
        typer.echo(json.dumps(marks.as_json(), indent=2, default=str))
        return
    typer.echo(
        f"book as of {marks.as_of}: SPX {marks.snapshot.spx:,.2f}  VIX "
        f"{marks.snapshot.vix:.2f}  ({_priced_by(marks)})"
    )
    typer.echo(
        f"{'position':<24} {'kind':<15} {'qty':>4} {'expiry':<10} {'mark':>8} "
        f"{'P&L $':>10} {'BS delta $':>10} {'model delta $':>13} {'vega $':>9} {'theta $':>8} "
        f"{'max loss $':>11}"
    )
    for p in marks.positions:
        # a VIX position's BS delta and vega are per point of its VIX future and of VIX-option
        # vol (marked †, as in the report), its model delta per SPX point
        dagger = "†" if p.sleeve == "hedge" else " "
        typer.echo(
            f"{p.position_id[:24]:<24} {p.kind:<15} {p.quantity:>4} {p.expiry!s:<10} "
            f"{p.mark:>8.2f} {p.pnl:>10,.0f} {p.delta:>9,.1f}{dagger} {p.model_delta:>13,.1f} "
            f"{p.vega:>8,.0f}{dagger} {p.theta:>8,.0f} "
            + (f"{p.max_loss:>11,.0f}" if p.max_loss is not None else f"{'undefined':>11}")
        )
    if any(p.sleeve == "hedge" for p in marks.positions):
        typer.echo(
            "† VIX positions: BS delta per point of the VIX future, vega per point of VIX-option "
            "vol (not in the SPX totals); their model delta is per SPX point"
        )
    t = marks.totals
    typer.echo(
        f"delta per SPX point: BS (sticky strike, condors) ${t['delta']:,.1f}  model "
        f"(smile and VIX move with SPX, method §4.4, whole book) ${t['model_delta']:,.1f}"
    )
    ratio = "n/a" if t["vega_offset_ratio"] is None else f"{t['vega_offset_ratio']:.2f}"
    liquidity = "unbounded" if t["liquidity_ratio"] is None else f"{t['liquidity_ratio']:.2f}"
    typer.echo(
        f"value ${t['value']:,.0f} (cash ${t['cash']:,.0f})  risk capital "
        f"${t['risk_capital']:,.0f}  VIX +1: condors ${t['condor_vix_sensitivity']:,.0f}, "
        f"hedge ${t['hedge_vix_sensitivity']:,.0f}  vega offset {ratio}  "
        f"liquidity {liquidity}"
    )


def _priced_by(marks) -> str:
    """How the day's legs were marked: by the model, or at market where quotes were stored."""
    quoted = marks.assumptions.get("legs_marked_at_market", 0)
    surface = marks.assumptions["surface"]["text"]
    if not quoted:
        return f"model-priced, method §2; SPX surface: {surface}"
    return (
        f"{quoted} of {len(marks.legs)} legs at market mid, the rest by the model (method §2); "
        f"SPX surface: {surface}"
    )
