"""What the warehouse holds: one row per series with its coverage and staleness."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

import duckdb

from alvh.core import calendar
from alvh.core.resources import read_sql
from alvh.core.settings import Settings


@dataclass(frozen=True)
class SeriesStatus:
    """interface.md's `data status` row, plus whether the staleness exceeds its tolerance."""

    series: str
    first: str
    last: str
    rows: int
    stale_days: int
    source: str
    frequency: str
    stale: bool

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def series_status(
    con: duckdb.DuckDBPyConnection, settings: Settings, as_of: date
) -> list[SeriesStatus]:
    """Coverage per series; `stale_days` counts NYSE sessions after the last date to `as_of`.

    For a monthly series the count starts at the end of its last month.
    """
    rows = con.execute(read_sql("queries/series_status.sql")).fetchall()
    tolerance = stale_tolerance(settings)
    result = []
    for series_id, first, last, n_rows, source, frequency in rows:
        stale_days = sessions_stale(last, frequency, as_of)
        result.append(
            SeriesStatus(
                series_id,
                first.isoformat(),
                last.isoformat(),
                int(n_rows),
                stale_days,
                source,
                frequency,
                stale_days > tolerance[frequency],
            )
        )
    return result


def stale_tolerance(settings: Settings) -> dict[str, int]:
    """Sessions a series may lag `as_of`, by frequency, before it is called stale."""
    return {
        "daily": settings.stale_after_trading_days_daily,
        "monthly": settings.stale_after_trading_days_monthly,
    }


def sessions_stale(last: date, frequency: str, as_of: date) -> int:
    """NYSE sessions after a series' newest value `last` up to `as_of` (0 when none are).

    A monthly value describes its whole month, so its count starts at the month's end.
    """
    since = last if frequency == "daily" else _month_end(last)
    return calendar.trading_days_between(since, as_of)


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)
