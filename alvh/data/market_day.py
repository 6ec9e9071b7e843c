"""The market inputs of one `as_of`, as known at that close (method §1, §2).

`load_market` gathers what pricing needs — SPX, the VIX family, VVIX, the 3-month rate, the
dividend yield and that day's VIX futures settlements — and says how old each input is, so a
report can show that a secondary series was carried forward and by how much.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from alvh.core import calendar
from alvh.core.errors import UsageError
from alvh.data import known as history

DEFAULT_DIVIDEND_YIELD = 0.015  # method §1: when the Shiller ratio is missing
SERIES_USED = (
    "SPX",
    "SPX_OPEN",
    "VIX",
    "VIX_OPEN",
    "VIX9D",
    "VIX3M",
    "VIX6M",
    "VVIX",
    "DTB3",
    "DGS3MO",
    "SHILLER_DIVIDEND",
    "SHILLER_PRICE",
)
# A secondary input older than this many sessions is treated as missing (its model fallback
# applies) rather than carried forward.
MAX_CARRY_SESSIONS = 5
MONTHLY_MAX_CARRY_SESSIONS = 70
# load_market's panel: the sessions before as_of it lays out, and how far before them it reads
# observations to fill them
MARKET_WINDOW_SESSIONS = 10
MARKET_LOOKBACK_DAYS = 400


@dataclass(frozen=True)
class MarketSnapshot:
    """What the close of `as_of` shows; NaN where an input is missing or too stale."""

    as_of: date
    spx: float
    vix: float
    vix9d: float
    vix3m: float
    vix6m: float
    vvix: float
    rate: float
    rate_source: str
    dividend_yield: float
    dividend_source: str
    spx_open: float
    vix_open: float
    futures: pd.DataFrame
    staleness: dict[str, int | None] = field(default_factory=dict)

    def term(self) -> dict[str, float]:
        """The VIX term structure as `alvh.model.market.vx_curve` takes it."""
        return {"vix9d": self.vix9d, "vix3m": self.vix3m, "vix6m": self.vix6m}

    def assumptions(self) -> dict[str, object]:
        return {
            "spx": self.spx,
            "vix": self.vix,
            "vix9d": _none(self.vix9d),
            "vix3m": _none(self.vix3m),
            "vix6m": _none(self.vix6m),
            "vvix": _none(self.vvix),
            "rate": self.rate,
            "rate_source": self.rate_source,
            "dividend_yield": self.dividend_yield,
            "dividend_source": self.dividend_source,
            "vx_contracts_observed": int(len(self.futures)),
            "stale_sessions": self.staleness,
        }


def _none(value: float) -> float | None:
    return None if not np.isfinite(value) else float(value)


def latest_marked_day(con: duckdb.DuckDBPyConnection, on_or_before: date) -> date:
    """The latest NYSE session on or before the date with both SPX and VIX closes known."""
    rows = con.execute(
        "SELECT max(obs_date) FROM observations AS s "
        "WHERE s.series_id = 'SPX' AND s.obs_date <= ? AND EXISTS ("
        "  SELECT 1 FROM observations AS v WHERE v.series_id = 'VIX' AND v.obs_date = s.obs_date)",
        [on_or_before],
    ).fetchall()
    if not rows or rows[0][0] is None:
        raise UsageError(f"no day with both SPX and VIX closes on or before {on_or_before}")
    return rows[0][0]


def load_market(con: duckdb.DuckDBPyConnection, as_of: date) -> MarketSnapshot:
    """Market inputs at the close of `as_of`; SPX and VIX must be observed that very day."""
    if not calendar.is_trading_day(as_of):
        raise UsageError(f"{as_of} is not an NYSE trading day")
    start = calendar.add_trading_days(as_of, -MARKET_WINDOW_SESSIONS)
    panel = history.daily_panel(
        con, list(SERIES_USED), as_of, start=start, lookback_days=MARKET_LOOKBACK_DAYS
    )
    futures = history.vix_futures(con, as_of, as_of).rename(columns={"trade_date": "date"})
    return _snapshot(as_of, panel.values.iloc[-1], panel.stale_sessions().iloc[-1], futures)


def _snapshot(
    as_of: date, row: Mapping[str, float], stale: Mapping[str, float], futures: pd.DataFrame
) -> MarketSnapshot:
    """The snapshot from the day's panel row (series → value), its staleness (series →
    sessions) and its VIX futures settlements (`date`, `expiry`, `settle`, ...)."""
    for series in ("SPX", "VIX"):
        if not (np.isfinite(row[series]) and stale[series] == 0):
            raise UsageError(
                f"no {series} close for {as_of} in the warehouse; run 'alvh ingest' or choose "
                "a date with data ('alvh data status')"
            )

    def usable(series: str, limit: int = MAX_CARRY_SESSIONS) -> float:
        value = row[series]
        return float(value) if np.isfinite(value) and stale[series] <= limit else float("nan")

    rate, rate_source = usable("DTB3"), "DTB3"
    if not np.isfinite(rate):
        rate, rate_source = usable("DGS3MO"), "DGS3MO"
    if not np.isfinite(rate):
        raise UsageError(f"no 3-month rate (DTB3 or DGS3MO) known by {as_of}")
    dividend = usable("SHILLER_DIVIDEND", MONTHLY_MAX_CARRY_SESSIONS)
    price = usable("SHILLER_PRICE", MONTHLY_MAX_CARRY_SESSIONS)
    if np.isfinite(dividend) and np.isfinite(price) and price > 0:
        q, q_source = dividend / price, "Shiller D/P"
    else:
        q, q_source = DEFAULT_DIVIDEND_YIELD, "default 1.5% (Shiller D/P missing or stale)"
    return MarketSnapshot(
        as_of=as_of,
        spx=float(row["SPX"]),
        vix=float(row["VIX"]),
        vix9d=usable("VIX9D"),
        vix3m=usable("VIX3M"),
        vix6m=usable("VIX6M"),
        vvix=usable("VVIX"),
        rate=rate / 100.0,
        rate_source=rate_source,
        dividend_yield=float(q),
        dividend_source=q_source,
        spx_open=float(row["SPX_OPEN"]) if stale["SPX_OPEN"] == 0 else float("nan"),
        vix_open=float(row["VIX_OPEN"]) if stale["VIX_OPEN"] == 0 else float("nan"),
        futures=futures,
        staleness={k: (None if pd.isna(v) else int(v)) for k, v in stale.items()},
    )


class MarketPanel:
    """The market of every day in a range, read once (a backfill): `snapshot(day)` is what
    `load_market(con, day)` returns, the panel's cells limited to what that call would read."""

    def __init__(self, con: duckdb.DuckDBPyConnection, days: list[date]) -> None:
        start = calendar.add_trading_days(days[0], -MARKET_WINDOW_SESSIONS)
        panel = history.daily_panel(
            con, list(SERIES_USED), days[-1], start=start, lookback_days=MARKET_LOOKBACK_DAYS
        )
        # plain arrays, a row per session: a day's snapshot is then a few array reads
        self._series = list(panel.values.columns)
        self._row = {day.date(): i for i, day in enumerate(panel.values.index)}
        self._values = panel.values.to_numpy(dtype=float)
        self._dates = panel.value_dates.to_numpy(dtype="datetime64[D]")
        self._stale = panel.stale_sessions().to_numpy(dtype=float)
        futures = history.vix_futures(con, days[-1], days[0])
        futures = futures.rename(columns={"trade_date": "date"})
        self._futures = {
            pd.Timestamp(day).date(): frame.reset_index(drop=True)
            for day, frame in futures.groupby("date")
        }
        self._no_futures = futures.iloc[0:0]

    def snapshot(self, as_of: date) -> MarketSnapshot:
        """`as_of`'s market, exactly as `load_market` reads it."""
        if not calendar.is_trading_day(as_of):
            raise UsageError(f"{as_of} is not an NYSE trading day")
        i = self._row[as_of]
        # load_market reads observations from MARKET_LOOKBACK_DAYS before its window: an older
        # value carried this far is one it would not see (NaT: no value, already NaN)
        first = calendar.add_trading_days(as_of, -MARKET_WINDOW_SESSIONS)
        oldest = np.datetime64(first, "D") - np.timedelta64(MARKET_LOOKBACK_DAYS, "D")
        unseen = self._dates[i] < oldest
        row = np.where(unseen, np.nan, self._values[i]).tolist()
        stale = np.where(unseen, np.nan, self._stale[i]).tolist()
        futures = self._futures.get(as_of, self._no_futures)
        return _snapshot(
            as_of,
            dict(zip(self._series, row, strict=True)),
            dict(zip(self._series, stale, strict=True)),
            futures,
        )
