"""What marking a range of days reads once instead of every day (a backfill, method §4): the
cash rates behind the ledger's interest, each day's slice what `alvh.book.marks.cash_rates`
reads for that day alone (a panel's rows are already as known at their own close)."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd

from alvh.book.marks import cash_rates, rate_growth
from alvh.data import known as history


class CashRateHistory:
    """`cash_rates(con, first, as_of)` for days up to `end`, read once per ledger start, and
    the growth of cash over them (`rate_growth`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, end: date) -> None:
        self._con, self._end = con, end
        self._panels: dict[date, history.KnownPanel] = {}
        self._growth: dict[date, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, first: date, as_of: date) -> history.KnownPanel:
        """The rates `first`..`as_of` (`as_of` on or before `end`)."""
        panel = self._panel(first, as_of)
        until = pd.Timestamp(as_of)
        return history.KnownPanel(panel.values.loc[:until], panel.value_dates.loc[:until])

    def growth(self, first: date, as_of: date) -> tuple[np.ndarray, np.ndarray]:
        """`rate_growth(cash_rates(con, first, as_of))`: a prefix of the arrays computed once
        to `end` (each a view, not a copy)."""
        if first not in self._growth:
            self._growth[first] = rate_growth(self._panel(first, as_of))
        days, growth = self._growth[first]
        until = np.searchsorted(days, np.datetime64(as_of, "D"), side="right")
        return days[:until], growth[:until]

    def _panel(self, first: date, as_of: date) -> history.KnownPanel:
        if as_of > self._end:
            raise ValueError(f"rates asked for {as_of}, after the history's end {self._end}")
        if first not in self._panels:  # the ledger's first entry: one start for a whole book
            self._panels[first] = cash_rates(self._con, first, self._end)
        return self._panels[first]
