"""What the warehouse holds: one row per series with its coverage and staleness."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

import duckdb

from alvh import calendar
from alvh.resources import read_sql
from alvh.settings import Settings


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
    tolerance = {
        "daily": settings.stale_after_trading_days_daily,
        "monthly": settings.stale_after_trading_days_monthly,
    }
    result = []
    for series_id, first, last, n_rows, source, frequency in rows:
        # A monthly value describes its whole month: count from the month's end.
        since = last if frequency == "daily" else _month_end(last)
        stale_days = calendar.trading_days_between(since, as_of)
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


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)
