"""What the signals of method §5 read, as known by `as_of`: the daily panel, the monthly
release tables and the FOMC calendar, all through `alvh.data.known` so nothing looks ahead."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from alvh.core import calendar
from alvh.core.errors import UsageError
from alvh.data import known as history

DAILY_SERIES = ("SPX", "VIX", "DGS2", "DGS10", "DFF", "DEXJPUS", "NYSE_ADVANCERS", "NYSE_DECLINERS")
MONTHLY_SERIES = ("CAPE", "CPIAUCSL", "PPIFIS", "PPIACO")
DEFAULT_START = date(1990, 1, 2)
# Rows read before `start` so every trailing window is full on the first reported day: S6's
# 10-year percentile needs 2,520 sessions, S3 252 + 5, S5 a 52-week high and settled EMAs.
WARMUP_YEARS = 12


@dataclass(frozen=True)
class SignalInputs:
    """Everything the signals read, as known by `as_of` (warm-up rows before `start` included)."""

    as_of: date
    start: date
    panel: history.KnownPanel
    releases: Mapping[str, pd.DataFrame]
    fomc: pd.DataFrame


def load_signal_inputs(
    con: duckdb.DuckDBPyConnection, as_of: date, start: date = DEFAULT_START
) -> SignalInputs:
    """Read the signals' inputs through `alvh.data.known`, so publication dates are respected."""
    as_of = calendar.latest_trading_day(as_of)
    start = calendar.as_date(start)
    if start > as_of:
        raise UsageError(f"signal start {start} is after as_of {as_of}")
    warmup_start = date(start.year - WARMUP_YEARS, start.month, 1)
    panel = history.daily_panel(con, [*DAILY_SERIES, *MONTHLY_SERIES], as_of, start=warmup_start)
    releases = {s: history.monthly_releases(con, s, as_of) for s in MONTHLY_SERIES}
    fomc = history.events(con, ["FOMC"])[["event_date", "unscheduled", "status"]]
    return SignalInputs(as_of, start, panel, releases, fomc.reset_index(drop=True))
