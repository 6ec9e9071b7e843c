"""The book's trades (issue 12): close, partial close, roll, cash deposits and withdrawals, the
journal, and a reset — each a dated trade with its price, fees (method §3.4) and cash.

A trade may be dated in the past: the book at any date is what the trades dated on or before
it say, so re-marking a past day after a back-dated trade gives what marking it would have given
had the trade been known. A settlement already recorded for a position a back-dated close
touches is removed, to be recomputed for the quantity then open at the next mark. Every refusal
is a UsageError (exit 2) raised before anything is written.

Prices are per unit of the position in index points, as a desk quotes the structure: what it
costs to close a position opened for a credit (a condor), what one opened for a debit (a call)
brings in. A roll's `net` is the whole roll's cash per unit closed: + a credit, − a debit.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from alvh.book.costs import CostModel
from alvh.book.journal import MULTIPLIER, Trade, cash_kind, write_open, write_trade
from alvh.book.legs import Position, leg_contracts_count, parse_leg_spec
from alvh.book.positions import parse_leg_row, position_from_legs, positions_by_id
from alvh.book.valuation import ModelParams, build_legs, leg_greeks
from alvh.core import calendar
from alvh.core.errors import UsageError
from alvh.core.resources import read_sql_statements
from alvh.data.market_day import load_market
from alvh.store import audit
from alvh.store.warehouse import transaction

MAX_PRICE = 1000.0  # index points per unit: anything above is a typo, not a fill


def _sql() -> dict[str, str]:
    return read_sql_statements("book/trades.sql")


def _trade_id(kind: str, on: date) -> str:
    return f"{kind}-{on:%Y%m%d}-{uuid.uuid4().hex[:8]}"


def _check_price(price: float, flag: str = "--price") -> None:
    if not (math.isfinite(price) and 0 <= price < MAX_PRICE):
        raise UsageError(
            f"{flag} must be a price per unit from 0 to under {MAX_PRICE:g} index points, "
            f"not {price}"
        )


def _check_trading_day(on: date) -> None:
    if not calendar.is_trading_day(on):
        raise UsageError(f"{on} is not an NYSE trading day; trades happen in sessions")


def _position(con: duckdb.DuckDBPyConnection, position_id: str) -> Position:
    found = positions_by_id(con, [position_id])
    if position_id not in found:
        raise UsageError(f"no position {position_id!r} in the book; 'alvh book show' lists them")
    return found[position_id]


def closable_quantity(con: duckdb.DuckDBPyConnection, position: Position, on: date) -> int:
    """Units of `position` that a close dated `on` may take: open at `on`, and not taken by a
    close dated later (a back-dated close must leave every later day non-negative)."""
    closed_by, closed_all = con.execute(
        _sql()["closed_quantity"], {"position_id": position.position_id, "on": on}
    ).fetchall()[0]
    return position.quantity - max(int(closed_by or 0), int(closed_all or 0))


def close_position(
    con: duckdb.DuckDBPyConnection,
    position_id: str,
    price: float,
    on: date,
    costs: CostModel | None = None,
    quantity: int | None = None,
    *,
    source: str = "cli",
    group_id: str | None = None,
    trade_id: str | None = None,
    cash_entry_id: str | None = None,
    note: str = "",
) -> Trade:
    """Close `quantity` units (default: all still open) of a position on `on` at `price`."""
    costs = costs or CostModel()
    _check_price(price)
    _check_trading_day(on)
    with transaction(con):
        position = _position(con, position_id)
        if on < position.entry_date:
            raise UsageError(
                f"{position_id} was opened on {position.entry_date}; it cannot be closed on {on}"
            )
        if on >= position.expiry:
            raise UsageError(
                f"{position_id} expires on {position.expiry}; a fill on {on} is on or after its "
                "expiry (an expired position settles at expiry, method §7)"
            )
        available = closable_quantity(con, position, on)
        quantity = available if quantity is None else quantity
        if quantity <= 0 or quantity > available:
            raise UsageError(
                f"closing {quantity} of {position_id} on {on}, but {available} are open on {on} "
                f"of the {position.quantity} opened (not closed by then nor by a later trade)"
            )
        fees = float(costs.fees(leg_contracts_count(position.legs), quantity))
        direction = 1.0 if position.entry_side == "debit" else -1.0
        cash = direction * price * MULTIPLIER * quantity - fees
        trade = Trade(
            trade_id=trade_id or _trade_id("close", on),
            trade_date=on,
            action="close",
            source=source,
            position_id=position_id,
            quantity=quantity,
            price=price,
            fees=fees,
            cash=cash,
            cash_kind=cash_kind(position, "close"),
            cash_entry_id=cash_entry_id,
            group_id=group_id,
            note=note
            or (
                f"close {quantity} of {position.quantity} × {position.kind} at {price:g} "
                f"({'received' if direction > 0 else 'paid'}); fees {fees:.2f}"
            ),
        )
        write_trade(con, trade)
        _forget_settlement(con, position_id)
        audit.append(
            con,
            "book_close",
            {"quantity": quantity, "price": price, "fees": fees, "cash": round(cash, 2)},
            as_of=on,
            subject=position_id,
        )
    return trade


def _forget_settlement(con: duckdb.DuckDBPyConnection, position_id: str) -> None:
    """A close changes the quantity that settles: the next mark settles it again."""
    sql = _sql()
    con.execute(sql["delete_settlement_trade"], {"position_id": position_id})
    con.execute(sql["delete_settlement_cash"], {"position_id": position_id})


def model_close_price(
    con: duckdb.DuckDBPyConnection,
    position: Position,
    on: date,
    costs: CostModel,
    params: ModelParams | None = None,
) -> float:
    """The model's mid price of the whole structure at `on`'s close as a desk quotes it,
    on the tick (method §2, §3.4): what a roll's close is booked at when no price is given."""
    legs = build_legs([dataclasses.replace(position, quantity=1)])
    greeks = leg_greeks(legs, load_market(con, on), params or ModelParams())
    worth = float((legs.units * greeks.greeks.price).sum())
    quoted = worth if position.entry_side == "debit" else -worth
    return max(0.0, round(quoted / costs.tick) * costs.tick)


def new_position_from_spec(spec: str, position_id: str, on: date) -> Position:
    """The position `--to` describes (QTY ROOT EXPIRY STRIKE TYPE, comma-separated), checked by
    the legs file's rules; its entry premium is set by the caller."""
    try:
        parsed = parse_leg_spec(spec)
    except ValueError as exc:
        raise UsageError(f"--to: {exc}") from exc
    rows = []
    for number, (root, option_type, strike, expiry, contracts) in enumerate(parsed, start=1):
        row = {
            "position_id": position_id,
            "root": root,
            "type": option_type,
            "strike": f"{strike:g}",
            "expiry": expiry.isoformat(),
            "quantity": str(contracts),
            "entry_date": on.isoformat(),
            "price": "0",
        }
        leg = parse_leg_row(number, row, on, "--to")
        if isinstance(leg, list):
            raise UsageError("; ".join(p.message.replace("row", "leg", 1) for p in leg))
        rows.append(leg)
    built = position_from_legs(rows, "--to")
    if isinstance(built, list):
        raise UsageError("; ".join(p.message.replace("row", "leg", 1) for p in built))
    return built[0]


def roll_position(
    con: duckdb.DuckDBPyConnection,
    position_id: str,
    to: str,
    net: float,
    on: date,
    costs: CostModel | None = None,
    quantity: int | None = None,
    close_price: float | None = None,
    new_id: str | None = None,
    params: ModelParams | None = None,
) -> tuple[Trade, Trade]:
    """Close (part of) a position and open the `to` structure in one group (a roll).

    `net` is the roll's cash per unit closed (+ credit, − debit, index points, before fees).
    The close is booked at `close_price`, by default the model's mid at `on`'s close on the
    tick, priced with `params` (the day's model, as its marks: `alvh.book.day_model`); the new
    position's entry premium is what remains of `net`, so the cash is exact whatever the split.
    """
    costs = costs or CostModel()
    if not (math.isfinite(net) and abs(net) < MAX_PRICE):
        raise UsageError(f"--price (the roll's net per unit) must be a number, not {net}")
    _check_trading_day(on)
    with transaction(con):
        old = _position(con, position_id)
        closing = closable_quantity(con, old, on) if quantity is None else quantity
        new_id = new_id or _next_roll_id(con, position_id)
        if positions_by_id(con, [new_id]):
            raise UsageError(f"a position {new_id!r} is already in the book; choose another --id")
        shape = new_position_from_spec(to, new_id, on)
        if on < old.entry_date or on >= old.expiry:
            close_price = 0.0  # refused below by the close, with its own message
        if close_price is None:
            close_price = model_close_price(con, old, on, costs, params)
        _check_price(close_price, "--close-price")
        direction = 1.0 if old.entry_side == "debit" else -1.0
        open_gross = (net - direction * close_price) * MULTIPLIER * closing  # cash of the open
        per_unit = -open_gross / (MULTIPLIER * shape.quantity)  # its net debit per unit
        opened = dataclasses.replace(
            shape,
            entry_price=abs(round(per_unit, 10)),
            entry_side="credit" if per_unit < 0 else "debit",
        )
        group = f"roll:{position_id}:{on}:{uuid.uuid4().hex[:6]}"
        closed = close_position(
            con,
            position_id,
            close_price,
            on,
            costs,
            closing,
            source="roll",
            group_id=group,
            trade_id=f"{group}:close",
        )
        fees = float(costs.fees(leg_contracts_count(opened.legs), opened.quantity))
        opening = write_open(
            con,
            opened,
            source=f"roll of {position_id}",
            import_id="roll",
            fees=fees,
            trade_id=f"{group}:open",
            group_id=group,
            note=(
                f"roll of {position_id}: open {opened.quantity} × {opened.kind} at "
                f"{opened.entry_price:g} {opened.entry_side} (net {net:+g} per unit closed); "
                f"fees {fees:.2f}"
            ),
        )
        audit.append(
            con,
            "book_roll",
            {
                "closed": closing,
                "close_price": close_price,
                "net": net,
                "new_position": new_id,
                "legs": to,
            },
            as_of=on,
            subject=position_id,
        )
    return closed, opening


def _next_roll_id(con: duckdb.DuckDBPyConnection, position_id: str) -> str:
    number = 1
    while positions_by_id(con, [f"{position_id}-R{number}"]):
        number += 1
    return f"{position_id}-R{number}"


def record_cash(
    con: duckdb.DuckDBPyConnection, action: str, amount: float, on: date, note: str = ""
) -> Trade:
    """A deposit into, or a withdrawal from, the book's cash account on `on`.

    A withdrawal may not take the balance of `on` (interest included) below zero.
    """
    from alvh.book.marks import cash_balance  # marks reads the book; trades write it

    if action not in ("deposit", "withdraw"):
        raise UsageError(f"cash action must be deposit or withdraw, not {action!r}")
    if not (math.isfinite(amount) and amount > 0):
        raise UsageError(f"the amount must be a positive number of dollars, not {amount}")
    _check_trading_day(on)
    with transaction(con):
        if action == "withdraw":
            balance, _ = cash_balance(con, on)
            if amount > balance + 1e-6:
                raise UsageError(
                    f"withdrawing ${amount:,.2f} on {on}, but the cash account holds "
                    f"${balance:,.2f} then"
                )
        trade = Trade(
            trade_id=_trade_id(action, on),
            trade_date=on,
            action=action,
            source="cli",
            cash=amount if action == "deposit" else -amount,
            cash_kind="deposit" if action == "deposit" else "withdrawal",
            note=note or f"{action} ${amount:,.2f}",
        )
        write_trade(con, trade)
        audit.append(con, f"cash_{action}", {"amount": amount}, as_of=on, subject=trade.trade_id)
    return trade


def list_trades(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every trade of the journal with its cash, oldest first."""
    return con.execute(_sql()["list"]).df()


def trades_as_json(frame: pd.DataFrame) -> list[dict[str, object]]:
    """`book trades --json` records: dates as YYYY-MM-DD, missing values as null."""
    records = []
    for row in frame.to_dict("records"):
        record = {}
        for key, value in row.items():
            if isinstance(value, pd.Timestamp):
                value = value.date().isoformat()
            elif isinstance(value, date):
                value = value.isoformat()
            elif value is None or (isinstance(value, float) and np.isnan(value)):
                value = None
            elif isinstance(value, np.integer):
                value = int(value)
            elif isinstance(value, np.floating):
                value = float(value)
            record[key] = value
        records.append(record)
    return records


def stale_marks_from(con: duckdb.DuckDBPyConnection, on: date) -> list[date]:
    """Days from `on` on whose stored marks were computed before a trade dated `on`."""
    rows = con.execute(_sql()["marked_days_from"], {"on": on}).fetchall()
    return [r[0] for r in rows]


def reset_book(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Remove every position, trade, cash entry and stored mark (the sample book with them)."""
    sql = _sql()
    with transaction(con):
        counts = dict(con.execute(sql["book_counts"]).fetchall())
        for name in (
            "reset_legs",
            "reset_entries",
            "reset_closes",
            "reset_trades",
            "reset_cash",
            "reset_positions",
            "reset_leg_marks",
            "reset_position_marks",
            "reset_book_marks",
        ):
            con.execute(sql[name])
        audit.append(con, "book_reset", counts, subject="book")
    return counts
