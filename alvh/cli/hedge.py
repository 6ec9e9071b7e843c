"""`alvh layers` and `alvh orders ...`: the day's hedge decision and its orders (§6)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from alvh.cli.app import app, orders_app
from alvh.cli.options import AsOfOption, JsonOption, current_settings, marked_day, optional_day


@app.command()
def layers(as_of: AsOfOption = None, as_json: JsonOption = False) -> None:
    """Signals and layer states for one day, with reasons and proposed orders (stored)."""
    from alvh.hedge.day import run_layers, save_decision
    from alvh.store.warehouse import open_warehouse

    settings = current_settings()
    with open_warehouse(settings.warehouse_path) as con:
        decision = run_layers(con, marked_day(con, as_of), settings)
        save_decision(con, decision)
    if as_json:
        typer.echo(json.dumps(decision.as_json(), indent=2, default=str))
        return
    typer.echo(f"ALVH layers as of {decision.as_of}")
    for name, reading in decision.signals.items():
        flag = "ACTIVE" if reading.active else ("off" if reading.available else "unavailable")
        typer.echo(f"  {name} {flag:<11} {reading.detail}")
    for state in decision.layers.values():
        typer.echo(
            f"  {state.layer} {state.state:<6} target {state.target_contracts:>4} held "
            f"{state.held_contracts:>4}  {state.reason}"
        )
        if state.capped:
            typer.echo(f"     {state.cap_detail}")
    for order_id, order in zip(decision.order_ids, decision.orders, strict=True):
        typer.echo(
            f"  order {order_id}: {order.action} {order.quantity} {order.instrument} "
            f"{order.strike:g} {order.expiry} at {order.price:.2f} (${order.cost:,.0f})"
        )
    if not decision.orders:
        typer.echo("  no orders proposed")


@orders_app.command("list")
def orders_list(
    status: Annotated[
        str | None, typer.Option(help="proposed | approved | executed | expired")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Orders with their approvals, newest first."""
    from alvh.hedge.orders import list_orders
    from alvh.store.warehouse import connect

    settings = current_settings()
    with connect(settings.warehouse_path, read_only=True) as con:
        frame = list_orders(con, status)
    records = json.loads(frame.to_json(orient="records", date_format="iso"))
    for record in records:
        for key in ("as_of", "expiry"):
            record[key] = (record[key] or "")[:10]
    if as_json:
        typer.echo(json.dumps(records, indent=2))
        return
    if not records:
        typer.echo("no orders")
    for r in records:
        typer.echo(
            f"{r['order_id']:<28} {r['status']:<9} {r['layer']} {r['action']:<5} "
            f"{r['quantity']:>4} {r['instrument']} {r['strike']:g} {r['expiry']} at "
            f"{r['price']:.2f}  approvals {r['approvals']}"
            f"{' (' + r['approved_by'] + ')' if r['approved_by'] else ''}"
        )


@orders_app.command("approve")
def orders_approve(
    order_id: Annotated[str, typer.Argument(help="The order's id ('alvh orders list').")],
    approver: Annotated[str, typer.Option("--as", help="Your approver name (configured).")],
) -> None:
    """Approve an order as a named approver (k of m, each approver counts once)."""
    from alvh.hedge.orders import approve
    from alvh.store.warehouse import open_warehouse

    settings = current_settings()
    with open_warehouse(settings.warehouse_path) as con:
        status = approve(con, order_id, approver, settings)
    typer.echo(f"order {order_id}: approved by {approver}; status {status}")


@orders_app.command("execute")
def orders_execute(
    order_id: Annotated[str, typer.Argument(help="An approved order's id.")],
    price: Annotated[float, typer.Option("--price", help="Fill price per unit, index points.")],
    on: Annotated[
        str | None,
        typer.Option("--date", help="The fill's trading day (default: the order's as-of day)."),
    ] = None,
) -> None:
    """Record an approved order's fill; the book and the cash account change accordingly."""
    from alvh.hedge.day import configs
    from alvh.hedge.orders import execute
    from alvh.store.warehouse import open_warehouse

    settings = current_settings()
    with open_warehouse(settings.warehouse_path) as con:
        summary = execute(con, order_id, price, optional_day(on, "--date"), configs(settings)[2])
    typer.echo(f"order {order_id} executed: {summary}")
