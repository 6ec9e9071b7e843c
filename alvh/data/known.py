"""Read the warehouse's history as of a date, the way the engine may see it (method §1).

Every reader takes `as_of` and returns only what was known at that close: an observation is
visible from its `known_date` on. `daily_panel` lays series on NYSE trading days, each day
holding the latest value known by that day's close, so a vectorised computation over the panel
never looks ahead (a CPI print appears on its release day, not on the first of its month).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from alvh.core import calendar
from alvh.core.resources import read_sql

EARLIEST = date(1900, 1, 1)


def observations(
    con: duckdb.DuckDBPyConnection, series: list[str], as_of: date, start: date = EARLIEST
) -> pd.DataFrame:
    """Long table (series_id, obs_date, value, known_date) of values known by `as_of`."""
    frame = con.execute(
        read_sql("queries/observations_known.sql"),
        {"series": list(series), "as_of": as_of, "start": start},
    ).df()
    for column in ("obs_date", "known_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


@dataclass(frozen=True)
class KnownPanel:
    """Trading days × series: `values` as known at each close and the `value_dates` they carry.

    A cell of `value_dates` older than its row says the series had nothing newer by then (a
    monthly print, a feed that stopped); `stale_sessions` turns that into trading days.
    """

    values: pd.DataFrame
    value_dates: pd.DataFrame

    def stale_sessions(self) -> pd.DataFrame:
        """Per cell, NYSE sessions between the value's own date and the row's date."""
        out = {}
        rows = self.values.index.to_numpy(dtype="datetime64[ns]")
        for column in self.value_dates.columns:
            dates = self.value_dates[column].to_numpy(dtype="datetime64[ns]")
            stale = np.full(len(rows), np.nan)
            has = ~np.isnat(dates)
            stale[has] = calendar.trading_days_between_many(dates[has], rows[has])
            out[column] = stale
        return pd.DataFrame(out, index=self.values.index)


def daily_panel(
    con: duckdb.DuckDBPyConnection,
    series: list[str],
    as_of: date,
    start: date = date(1990, 1, 2),
    lookback_days: int = 800,
) -> KnownPanel:
    """Trading days `start`..`as_of` × series: each cell the latest value known by that close.

    `lookback_days` of earlier observations are read so the first rows are filled from values
    published before `start` (a monthly series, a holiday gap). Nothing is invented: a series
    with no value yet is NaN, and `value_dates` shows how old every carried value is.
    """
    days = calendar.trading_days(start, calendar.latest_trading_day(as_of))
    frame = observations(con, series, as_of, start=start - pd.Timedelta(days=lookback_days))
    values, dates = {}, {}
    for series_id in series:
        rows = frame[frame["series_id"] == series_id]
        values[series_id], dates[series_id] = _as_known_on(rows, days)
    index = pd.DatetimeIndex(days, name="date")
    return KnownPanel(pd.DataFrame(values, index=index), pd.DataFrame(dates, index=index))


def _as_known_on(rows: pd.DataFrame, days: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """For each day, the value (and its obs_date) of the latest observation known by then."""
    out = np.full(len(days), np.nan)
    out_dates = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[ns]")
    if rows.empty:
        return out, out_dates
    # An observation becomes usable on its known_date; among those usable, the latest obs_date
    # wins (a late revision of an old month must not replace a newer month).
    ordered = rows.sort_values(["known_date", "obs_date"])
    known = ordered["known_date"].to_numpy(dtype="datetime64[ns]")
    obs = ordered["obs_date"].to_numpy(dtype="datetime64[ns]")
    values = ordered["value"].to_numpy(dtype=float)
    latest_obs_index = _running_argmax(obs)
    position = np.searchsorted(known, days.to_numpy(dtype="datetime64[ns]"), side="right") - 1
    has = position >= 0
    chosen = latest_obs_index[position[has]]
    out[has] = values[chosen]
    out_dates[has] = obs[chosen]
    return out, out_dates


def _running_argmax(values: np.ndarray) -> np.ndarray:
    """Index of the running maximum of `values` (first occurrence)."""
    as_int = values.astype("int64")
    running = np.maximum.accumulate(as_int)
    index = np.arange(len(values))
    is_new_max = as_int == running
    return np.maximum.accumulate(np.where(is_new_max, index, 0))


def monthly_releases(con: duckdb.DuckDBPyConnection, series_id: str, as_of: date) -> pd.DataFrame:
    """A monthly series as releases: (obs_date, value, known_date) known by `as_of`."""
    frame = observations(con, [series_id], as_of)
    return frame.drop(columns="series_id").reset_index(drop=True)


def vix_futures(con: duckdb.DuckDBPyConnection, as_of: date, start: date) -> pd.DataFrame:
    """VIX futures settlements per contract and trade date, `start` to `as_of`."""
    frame = con.execute(
        read_sql("queries/vix_futures_known.sql"), {"start": start, "as_of": as_of}
    ).df()
    for column in ("trade_date", "expiry"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def events(con: duckdb.DuckDBPyConnection, types: list[str]) -> pd.DataFrame:
    """Event calendar rows (FOMC, CPI, PPI) including scheduled future events."""
    frame = con.execute(read_sql("queries/event_calendar.sql"), {"types": list(types)}).df()
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    return frame
