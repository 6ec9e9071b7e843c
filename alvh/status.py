"""What the warehouse holds: one row per series with its coverage and staleness."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

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
    """Coverage per series; `stale_days` counts NYSE sessions after the last date to `as_of`."""
    rows = con.execute(read_sql("queries/series_status.sql")).fetchall()
    tolerance = {
        "daily": settings.stale_after_trading_days_daily,
        "monthly": settings.stale_after_trading_days_monthly,
    }
    result = []
    for series_id, first, last, n_rows, source, frequency in rows:
        stale_days = calendar.trading_days_between(last, as_of)
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
