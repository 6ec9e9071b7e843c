"""`alvh book import` and `alvh book show`: the positions and their marks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from alvh.cli.app import book_app
from alvh.cli.options import AsOfOption, JsonOption, current_settings, marked_day, today_in_new_york


@book_app.command("import")
def book_import(
    file: Annotated[Path, typer.Argument(help="Book CSV (interface.md columns).")],
) -> None:
    """Load positions from a CSV file; one bad row refuses the whole file (exit 3)."""
    from alvh.book.positions import import_book
    from alvh.store.warehouse import open_warehouse

    settings = current_settings()
    with open_warehouse(settings.warehouse_path) as con:
        report = import_book(con, file, today_in_new_york())
    typer.echo(
        f"imported {file}: {report.inserted} new position(s), {report.unchanged} already in the "
        f"book ({report.import_id})"
    )


@book_app.command("show")
def book_show(as_of: AsOfOption = None, as_json: JsonOption = False) -> None:
    """Positions marked by the model with dollar greeks, P&L and book totals (method §4)."""
    from alvh.book.marks import mark_book
    from alvh.store.warehouse import connect

    settings = current_settings()
    with connect(settings.warehouse_path, read_only=True) as con:
        marks = mark_book(con, marked_day(con, as_of))
    if as_json:
        typer.echo(json.dumps(marks.as_json(), indent=2, default=str))
        return
    typer.echo(
        f"book as of {marks.as_of}: SPX {marks.snapshot.spx:,.2f}  VIX "
        f"{marks.snapshot.vix:.2f}  ({_priced_by(marks)})"
    )
    typer.echo(
        f"{'position':<24} {'kind':<11} {'qty':>4} {'expiry':<10} {'mark':>8} "
        f"{'P&L $':>10} {'BS delta $':>10} {'model delta $':>13} {'vega $':>9} {'theta $':>8}"
    )
    for p in marks.positions:
        # a VIX call's BS delta is per point of its VIX future, its model delta per SPX point
        typer.echo(
            f"{p.position_id[:24]:<24} {p.kind:<11} {p.quantity:>4} {p.expiry!s:<10} "
            f"{p.mark:>8.2f} {p.pnl:>10,.0f} {p.delta:>10,.1f} {p.model_delta:>13,.1f} "
            f"{p.vega:>9,.0f} {p.theta:>8,.0f}"
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
    if not quoted:
        return "model-priced, method §2"
    return f"{quoted} of {len(marks.legs)} legs at market mid, the rest by the model (method §2)"
