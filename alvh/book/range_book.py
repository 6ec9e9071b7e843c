"""The book over a range of days, read once (a backfill, method §4): each day's open positions
exactly what `alvh.book.positions.open_positions` reads for that day alone. A close takes
effect from its own date, so a back-dated trade changes the days from its date on."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date

import duckdb
import pandas as pd

from alvh.book.legs import Position
from alvh.book.positions import _with_legs
from alvh.core.resources import read_sql_statements


class BookHistory:
    """`open_positions(con, day)` for any day, from the positions and closes read once."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        sql = read_sql_statements("book/import.sql")
        # in open_positions' order (kind, expiry, id), each with its full quantity
        self._positions: list[Position] = _with_legs(con, con.execute(sql["all_positions"]).df())
        self._closes: dict[str, list[tuple[date, int]]] = defaultdict(list)
        for position_id, day, quantity in con.execute(sql["all_closes"]).fetchall():
            self._closes[position_id].append((pd.Timestamp(day).date(), int(quantity)))

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
