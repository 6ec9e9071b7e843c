"""Writes to the book's tables (issue 12): a position at its open, its legs, and every trade
with its cash effect, so that the book at any date is what its dated trades say.

`book_trades` is the journal a desk reads (`alvh book trades`); each trade's cash is one entry
of the cash account (`cash_ledger`, method §3.3) and each close one row of `position_closes`,
the tables the marks, the report and the run fingerprint read. The caller holds the
transaction: a trade is written whole or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from alvh.book.legs import Position, legacy_columns
from alvh.core.resources import read_sql_statements

MULTIPLIER = 100.0


def _sql() -> dict[str, str]:
    return read_sql_statements("book/journal.sql")


@dataclass(frozen=True)
class Trade:
    """One dated change to the book; `cash` in dollars (+ in), None when cash does not move."""

    trade_id: str
    trade_date: date
    action: str  # open | close | settle | deposit | withdraw
    source: str
    position_id: str | None = None
    quantity: int | None = None
    price: float | None = None
    fees: float = 0.0
    cash: float | None = None
    cash_kind: str | None = None
    cash_entry_id: str | None = None
    group_id: str | None = None
    note: str = ""


def write_trade(con: duckdb.DuckDBPyConnection, trade: Trade) -> None:
    """The trade's journal row and its cash entry (inside the caller's transaction)."""
    sql = _sql()
    entry_id = None
    if trade.cash is not None:
        entry_id = trade.cash_entry_id or f"trade:{trade.trade_id}"
        con.execute(
            sql["insert_cash"],
            {
                "entry_id": entry_id,
                "entry_date": trade.trade_date,
                "amount": trade.cash,
                "kind": trade.cash_kind,
                "position_id": trade.position_id,
                "note": trade.note,
            },
        )
    con.execute(
        sql["insert_trade"],
        {
            "trade_id": trade.trade_id,
            "trade_date": trade.trade_date,
            "action": trade.action,
            "position_id": trade.position_id,
            "quantity": trade.quantity,
            "price": trade.price,
            "fees": trade.fees,
            "group_id": trade.group_id,
            "cash_entry_id": entry_id,
            "note": trade.note,
            "source": trade.source,
            "recorded_at": datetime.now(),
        },
    )
    if trade.action == "close":
        con.execute(
            sql["insert_close"],
            {
                "trade_id": trade.trade_id,
                "position_id": trade.position_id,
                "close_date": trade.trade_date,
                "quantity": trade.quantity,
                "price": trade.price,
            },
        )


def open_cash(position: Position, fees: float) -> float:
    """Dollars the open moves: the credit received or the debit paid, less fees."""
    return -position.net_debit * MULTIPLIER * position.quantity - fees


def cash_kind(position: Position, action: str) -> str:
    """The cash ledger's kind of a trade's cash: its sleeve and what the trade was."""
    if action == "premium":  # a book file's entry premium, as the first imports recorded it
        if position.sleeve == "hedge":
            return "hedge_premium"
        return "condor_credit" if position.entry_side == "credit" else "condor_debit"
    return f"{position.sleeve}_{action}"


def write_open(
    con: duckdb.DuckDBPyConnection,
    position: Position,
    *,
    source: str,
    import_id: str,
    fees: float = 0.0,
    trade_id: str | None = None,
    cash_entry_id: str | None = None,
    cash_kind_name: str | None = None,
    group_id: str | None = None,
    note: str = "",
) -> Trade:
    """Store a new position, its legs and its opening trade with the premium's cash."""
    sql = _sql()
    con.execute(
        sql["insert_position"],
        {
            "position_id": position.position_id,
            "kind": position.kind,
            "expiry": position.expiry,
            "quantity": position.quantity,
            "entry_date": position.entry_date,
            "entry_price": position.entry_price,
            **legacy_columns(position.kind, position.legs),
            "source": source,
            "import_id": import_id,
        },
    )
    con.execute(
        sql["insert_entry"],
        {
            "position_id": position.position_id,
            "entry_side": position.entry_side,
            "sleeve": position.sleeve,
        },
    )
    for number, leg in enumerate(position.legs, start=1):
        con.execute(
            sql["insert_leg"],
            {
                "position_id": position.position_id,
                "leg_no": number,
                "leg": leg.label(),
                "root": leg.root,
                "option_type": leg.option_type,
                "strike": leg.strike,
                "expiry": leg.expiry,
                "units": leg.units,
                "entry_price": leg.entry_price,
            },
        )
    trade = Trade(
        trade_id=trade_id or f"open:{position.position_id}",
        trade_date=position.entry_date,
        action="open",
        source=source,
        position_id=position.position_id,
        quantity=position.quantity,
        price=position.entry_price,
        fees=fees,
        cash=open_cash(position, fees),
        cash_kind=cash_kind_name or cash_kind(position, "open"),
        cash_entry_id=cash_entry_id,
        group_id=group_id,
        note=note
        or (
            f"open {position.quantity} × {position.kind} at {position.entry_price:g} "
            f"{position.entry_side}"
        ),
    )
    write_trade(con, trade)
    return trade
