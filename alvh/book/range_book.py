"""The book over a range of days, read once (a backfill, method §4): each day's open positions,
pending settlements and cash exactly what `alvh.book.positions.open_positions`,
`alvh.book.marks.pending_settlements` and `alvh.book.marks.cash_balance` read for that day
alone. A close takes effect from its own date, so a back-dated trade changes the days from its
date on."""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from alvh.book.legs import Position
from alvh.book.marks import SETTLEMENT_COLUMNS, CashGrowth, grown_cash, settlement_rows
from alvh.book.positions import positions_from_rows
from alvh.core.resources import read_sql_statements


class BookHistory:
    """`open_positions`, `pending_settlements` and `cash_balance` for any day, from the
    positions, closes, cash ledger and expiry-day levels read once; `settle` records what the
    caller enters in the ledger, so later days see it settled and in their cash."""

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
        self._expiring = [
            p for p in self._expiring if f"settlement:{p.position_id}" not in self._settled
        ]
        levels = con.execute(sql["expiry_levels"]).df()
        self._levels = {
            row.pop("position_id"): {
                k: None if v is None or (isinstance(v, float) and math.isnan(v)) else v
                for k, v in row.items()
            }
            for row in levels.to_dict("records")
        }
        ledger = con.execute(sql["ledger"]).df()
        self._entry_dates = _days(ledger["entry_date"])
        self._amounts = ledger["amount"].to_numpy(dtype=float)
        self._no_settlements = pd.DataFrame(columns=list(SETTLEMENT_COLUMNS))

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
        for p in self._expiring:  # by expiry: the first not expired ends the search
            if p.expiry > as_of:
                break
            if f"settlement:{p.position_id}" in self._settled:
                continue
            # every close counts, whatever its date (the `unsettled` statement's rule)
            left = p.quantity - sum(q for _, q in self._closes.get(p.position_id, ()))
            if left > 0:
                row = {"position_id": p.position_id, "expiry": p.expiry, "open_quantity": left}
                unsettled.append({**row, **self._levels[p.position_id]})
        if not unsettled:  # most days: no frame to build (callers only read it)
            return self._no_settlements
        return settlement_rows(unsettled, self._by_id)

    def settle(self, as_of: date) -> pd.DataFrame:
        """`pending_settlements(as_of)`, from now on counted as settled and in the ledger (at
        its end, where the caller's insert puts them)."""
        rows = self.pending_settlements(as_of)
        self._settled.update(rows["entry_id"])
        settled = set(rows["position_id"])  # no need to look at them again
        self._expiring = [p for p in self._expiring if p.position_id not in settled]
        self._entry_dates = np.concatenate([self._entry_dates, _days(rows["entry_date"])])
        self._amounts = np.concatenate([self._amounts, rows["amount"].to_numpy(dtype=float)])
        return rows

    def cash_balance(
        self, as_of: date, extra: pd.DataFrame, rates: CashGrowth
    ) -> tuple[float, float]:
        """`cash_balance(con, as_of, extra)`: the ledger's entries to `as_of` in the ledger's
        order, then `extra`'s, grown at the rates of `rates`."""
        known = self._entry_dates <= np.datetime64(as_of, "D")
        dates, amounts = self._entry_dates[known], self._amounts[known]
        if len(extra):
            dates = np.concatenate([dates, _days(extra["entry_date"])])
            amounts = np.concatenate([amounts, extra["amount"].to_numpy(dtype=float)])
        if not len(dates):
            return 0.0, 0.0
        days, growth = rates.growth(min(dates.min().item(), as_of), as_of)
        return grown_cash(dates, amounts, days, growth)


def _days(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values).to_numpy(dtype="datetime64[D]")
