"""When each value became known: the guard against look-ahead (method §1, §5).

Every stored observation carries `known_date`, the first date whose close may use it. Market
closes are known the same day; the effective fed funds rate the next business morning; CPI and
PPI on their release day (the bundled BLS calendar, else a conservative day of the following
month); Shiller's monthly CAPE a month after the month it describes (method §5, S1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alvh.core import calendar
from alvh.data.catalogue import CONSERVATIVE_RELEASE_DAY, KnownRule


def _next_session_on_or_after(days: pd.Series) -> pd.Series:
    """First NYSE session on or after each day; weekdays stand in before the calendar starts."""
    day_values = days.values.astype("datetime64[D]")
    start = np.datetime64(calendar.CALENDAR_START, "D")
    inside = day_values >= start
    result = np.busday_offset(day_values, 0, roll="forward")  # before 1927: weekdays only
    if inside.any():
        sessions = calendar.trading_days(
            day_values[inside].min(), day_values[inside].max() + np.timedelta64(20, "D")
        ).values.astype("datetime64[D]")
        idx = np.searchsorted(sessions, day_values[inside], side="left")
        result[inside] = sessions[idx]
    return pd.Series(result.astype("datetime64[ns]"), index=days.index)


def _next_session_after(days: pd.Series) -> pd.Series:
    return _next_session_on_or_after(days + pd.Timedelta(days=1))


def known_dates(
    dates: pd.Series, rule: KnownRule, release_calendar: pd.DataFrame | None = None
) -> pd.Series:
    """The date each observation became known, for observations dated `dates` (datetime64).

    `release_calendar` has columns `reference_month` (first day of the month, datetime64) and
    `release_date`; it is consulted by the `cpi_release` and `ppi_release` rules.
    """
    if dates.empty:
        return dates.copy()
    if rule == "same_day":
        return dates.copy()
    if rule == "next_trading_day":
        return _next_session_after(dates)
    if rule == "month_lag":
        return dates + pd.offsets.MonthBegin(1)
    if rule in ("cpi_release", "ppi_release"):
        fallback = _next_session_on_or_after(
            dates + pd.offsets.MonthBegin(1) + pd.Timedelta(days=CONSERVATIVE_RELEASE_DAY - 1)
        )
        if release_calendar is None or release_calendar.empty:
            return fallback
        listed = dates.map(release_calendar.set_index("reference_month")["release_date"].to_dict())
        return listed.fillna(fallback).astype("datetime64[ns]")
    raise ValueError(f"unknown publication rule {rule!r}")
