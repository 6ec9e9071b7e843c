"""The VIX close a day's strike listing is capped by (method §6.1): the close of the last
session before the day, as known at the day — read once for a range of days."""

from __future__ import annotations

from bisect import bisect_left
from datetime import date

import duckdb

from alvh.core.resources import read_sql_statements


class PreviousVix:
    """The VIX close of the last session before any day up to `last`, as known that day."""

    def __init__(self, con: duckdb.DuckDBPyConnection, last: date) -> None:
        rows = con.execute(
            read_sql_statements("engine/engine.sql")["vix_closes"], {"last": last}
        ).fetchall()
        self._obs_dates = [row[0] for row in rows]
        self._rows = rows

    def on(self, day: date) -> float | None:
        """The close before `day` known by `day` (None when there is none)."""
        at = bisect_left(self._obs_dates, day) - 1
        while at >= 0:
            _, known, value = self._rows[at]
            if known <= day:
                return float(value)
            at -= 1
        return None
