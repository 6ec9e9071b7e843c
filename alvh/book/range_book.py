"""The book over a range of days, read once (a backfill, method §4): each day's open positions
and pending settlements exactly what `alvh.book.positions.open_positions` and
`alvh.book.marks.pending_settlements` read for that day alone. A close takes effect from its
own date, so a back-dated trade changes the days from its date on."""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from datetime import date

import duckdb
import pandas as pd

from alvh.book.legs import Position
from alvh.book.marks import settlement_rows
from alvh.book.positions import positions_from_rows
from alvh.core.resources import read_sql_statements


class BookHistory:
    """`open_positions` and `pending_settlements` for any day, from the positions, closes,
    settlements and expiry-day levels read once; `settle` records what the caller enters in
    the ledger, so later days see it settled."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        sql = read_sql_statements("book/range_book.sql")
        # in open_positions' order (kind, expiry, id), each with its full quantity
        self._positions: list[Position] = positions_from_rows(
            con, con.execute(sql["all_positions"]).df()
        )
        self._by_id = {p.position_id: p for p in self._positions}
        self._expiring = sorted(self._positions, key=lambda p: (p.expiry, p.position_id))
        self._closes: dict[str, list[tuple[date, int]]] = defaultdict(list)
        for position_id, day, quantity in con.execute(sql["all_closes"]).fetchall():
            self._closes[position_id].append((pd.Timestamp(day).date(), int(quantity)))
        self._settled = {row[0] for row in con.execute(sql["settled"]).fetchall()}
        levels = con.execute(sql["expiry_levels"]).df()
        self._levels = {
            row.pop("position_id"): {
                k: None if v is None or (isinstance(v, float) and math.isnan(v)) else v
                for k, v in row.items()
            }
            for row in levels.to_dict("records")
        }

    def open_positions(self, as_of: date) -> list[Position]:
        """Positions open at `as_of`'s close, with the quantity still open then."""
        out = []
        for p in self._positions:
            if not p.entry_date <= as_of < p.expiry:
                continue
            closed = sum(q for day, q in self._closes.get(p.position_id, ()) if day <= as_of)
            left = p.quantity - closed
            if left > 0:
                out.append(p if left == p.quantity else dataclasses.replace(p, quantity=left))
        return out

    def pending_settlements(self, as_of: date) -> pd.DataFrame:
        """Ledger rows settling the positions expired by `as_of` and not settled yet."""
        unsettled = []
        for p in self._expiring:
            if p.expiry > as_of or f"settlement:{p.position_id}" in self._settled:
                continue
            # every close counts, whatever its date (the `unsettled` statement's rule)
            left = p.quantity - sum(q for _, q in self._closes.get(p.position_id, ()))
            if left > 0:
                row = {"position_id": p.position_id, "expiry": p.expiry, "open_quantity": left}
                unsettled.append({**row, **self._levels[p.position_id]})
        return settlement_rows(unsettled, self._by_id)

    def settle(self, as_of: date) -> pd.DataFrame:
        """`pending_settlements(as_of)`, from now on counted as settled."""
        rows = self.pending_settlements(as_of)
        self._settled.update(rows["entry_id"])
        return rows
