"""`alvh layers` and `alvh orders ...`: the day's hedge decision and its orders (§6)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from alvh.cli.app import app, orders_app
from alvh.cli.approvers import read_private_key
from alvh.cli.options import (
    AsOfOption,
    JsonOption,
    current_settings,
    marked_day,
    optional_day,
)


@app.command()
def layers(
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Look without storing: the warehouse is opened read-only, so no signals, "
            "states, orders or audit rows are written and no stale order expires.",
        ),
    ] = False,
) -> None:
    """Signals and layer states for one day, with reasons and proposed orders (stored unless
    --dry-run)."""
    from alvh.hedge.day import run_layers, save_decision
    from alvh.store.warehouse import connect, open_warehouse

    settings = current_settings()
    if dry_run:
        con = connect(settings.warehouse_path, read_only=True)
        try:
            decision = run_layers(con, marked_day(con, as_of), settings)
        finally:
            con.close()
    else:
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
    ids = decision.order_ids or [o.order_id(decision.as_of) for o in decision.orders]
    if dry_run:
        typer.echo("  dry run: nothing stored")
    for line in order_lines(ids, decision.orders):
        typer.echo(f"  {line}")
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
    approver: Annotated[str, typer.Option("--as", help="Your approver name.")],
    key: Annotated[
        Path | None,
        typer.Option(
            "--key", help="Your Ed25519 private key (PEM or OpenSSH): signs the order's terms."
        ),
    ] = None,
) -> None:
    """Approve an order: signed with your key once keys are registered (k of m, each once)."""
    from alvh.hedge.orders import approve
    from alvh.store.warehouse import open_warehouse

    settings = current_settings()
    private_key = read_private_key(key) if key is not None else None
    with open_warehouse(settings.warehouse_path) as con:
        status = approve(con, order_id, approver, settings, private_key)
    how = "signed" if private_key is not None else "approved"
    typer.echo(f"order {order_id}: {how} by {approver}; status {status}")


@orders_app.command("verify")
def orders_verify(
    order_id: Annotated[str, typer.Argument(help="The order's id ('alvh orders list').")],
) -> None:
    """Re-check an order's approvals against the registered keys and its terms as they are now.

    Exit 2 when any approval is invalid (recorded in the audit log).
    """
    from alvh.hedge import approvals
    from alvh.hedge.orders import verify_order
    from alvh.store.warehouse import open_warehouse

    settings = current_settings()
    with open_warehouse(settings.warehouse_path) as con:
        checks, required = verify_order(con, order_id, settings)
        bad = [c for c in checks if not c.valid]
        for check in checks:
            verdict = "valid" if check.valid else f"INVALID: {check.problem}"
            typer.echo(f"  {check.approver}: {verdict}")
        if bad:
            raise approvals.record_refusal(
                con,
                "order_verify_failed",
                f"order {order_id}: {len(bad)} invalid approval(s) of {len(checks)}",
                actor="alvh",
                subject=order_id,
                invalid=[c.approver for c in bad],
            )
    valid = len(checks)
    enough = "enough to execute" if valid >= required else "not enough to execute yet"
    typer.echo(f"order {order_id}: {valid} valid approval(s) of {required} required; {enough}")


@orders_app.command("execute")
def orders_execute(
    order_id: Annotated[str, typer.Argument(help="An approved order's id.")],
    price: Annotated[float, typer.Option("--price", help="Fill price per unit, index points.")],
    on: Annotated[
        str | None,
        typer.Option("--date", help="The fill's trading day (default: the order's as-of day)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Record a fill far from the order's limit price (audited)."),
    ] = False,
) -> None:
    """Record an approved order's fill; the book and the cash account change accordingly."""
    from alvh.hedge.day import configs
    from alvh.hedge.orders import execute
    from alvh.store.warehouse import open_warehouse

    settings = current_settings()
    with open_warehouse(settings.warehouse_path) as con:
        summary = execute(
            con,
            order_id,
            price,
            optional_day(on, "--date"),
            configs(settings)[2],
            settings=settings,
            force=force,
        )
    typer.echo(f"order {order_id} executed: {summary}")


def _leg_text(order) -> str:
    verb = "buy" if order.action == "open" else "sell"
    return f"{verb} {order.quantity} {order.instrument} {order.strike:g} {order.expiry}"


def order_lines(ids, orders) -> list[str]:
    """One line per order; a roll (a close and an open sharing a `group_id`, method §6.3) as
    one spread with both legs and its net price, as a desk would enter it."""
    groups: dict[str, list[int]] = {}
    for i, order in enumerate(orders):
        if order.group_id:
            groups.setdefault(order.group_id, []).append(i)
    lines, done = [], set()
    for i, (order_id, order) in enumerate(zip(ids, orders, strict=True)):
        if i in done:
            continue
        members = groups.get(order.group_id or "", [])
        actions = {orders[j].action for j in members}
        if len(members) == 2 and actions == {"open", "close"}:
            close, open_ = sorted(members, key=lambda j: orders[j].action != "close")
            net = orders[open_].price - orders[close].price
            cost = orders[open_].cost + orders[close].cost
            lines.append(
                f"roll {order.layer} ({ids[close]} + {ids[open_]}): {_leg_text(orders[close])} "
                f"/ {_leg_text(orders[open_])}, net {'debit' if net >= 0 else 'credit'} "
                f"{abs(net):.2f} (${cost:,.0f})"
            )
            done.update(members)
            continue
        lines.append(
            f"order {order_id}: {order.action} {order.quantity} {order.instrument} "
            f"{order.strike:g} {order.expiry} at {order.price:.2f} (${order.cost:,.0f})"
        )
    return lines
