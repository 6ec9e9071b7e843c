"""What the backtest reads from the warehouse, laid out once as per-session arrays (method §1).

Every value comes through `alvh.data.known`, so a session's row holds only what was known at its
close (no look-ahead). The arrays are shared by the condor book and every hedge variant: one
read, one layout, identical price paths for all variants (method §7).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from alvh.core import calendar
from alvh.core.errors import UsageError
from alvh.data import known as history
from alvh.data.market_day import (
    DEFAULT_DIVIDEND_YIELD,
    MAX_CARRY_SESSIONS,
    MONTHLY_MAX_CARRY_SESSIONS,
    SERIES_USED,
)
from alvh.hedge import signals

__all__ = ["SERIES", "BacktestInputs", "MarketPath", "load_inputs", "market_path", "ragged"]

# The daily marks and the backtest read the same inputs under the same carry limits.
SERIES = SERIES_USED
FIRST_VIX_DAY = date(1990, 1, 2)
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class MarketPath:
    """One row per NYSE session `start`..`end`: the close as known that evening.

    `spx_settle` / `vix_settle` are the expiry-settlement proxies of method §7: the session's
    open where it was observed that day, else its close (`*_settle_is_open` says which).
    `growth` is the cash account's growth factor: cash held from session i to j grows by
    growth[j] / growth[i] (the 3-month T-bill known at each close, simple interest over the
    calendar-day gap, as `alvh.book.marks.cash_balance` does).
    """

    days: pd.DatetimeIndex
    day_number: np.ndarray  # days since 1970-01-01, int64
    spx: np.ndarray
    spx_settle: np.ndarray
    spx_settle_is_open: np.ndarray
    spx_open_stale: np.ndarray  # the open equals the previous close (bundled data, see docs)
    vix: np.ndarray
    vix_settle: np.ndarray
    vix_settle_is_open: np.ndarray
    vix9d: np.ndarray
    vix3m: np.ndarray
    vix6m: np.ndarray
    vvix: np.ndarray
    rate: np.ndarray  # decimal
    rate_source: np.ndarray  # "DTB3" | "DGS3MO"
    div_yield: np.ndarray  # decimal
    growth: np.ndarray

    def __len__(self) -> int:
        return len(self.days)


@dataclass(frozen=True)
class BacktestInputs:
    """Everything a backtest run needs from the warehouse, as known at each session's close."""

    start: date
    end: date
    path: MarketPath
    futures: pd.DataFrame  # trade_date, expiry, settle (VX, observed from 2007-03-26)
    signals: signals.SignalHistory


def ragged(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, offset) per row of a ragged layout in which item i owns `counts[i]` consecutive
    rows: a trade's sessions, a call's life, a lot's holding days."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, offset


def _fresh(values: np.ndarray, stale: np.ndarray, limit: int) -> np.ndarray:
    return np.where(np.isfinite(values) & (stale <= limit), values, np.nan)


def market_path(panel: history.KnownPanel) -> MarketPath:
    """Lay a `history.daily_panel` of `SERIES` out as the backtest's arrays."""
    v = panel.values
    stale = panel.stale_sessions()

    def col(name: str) -> np.ndarray:
        return v[name].to_numpy(dtype=float)

    def st(name: str) -> np.ndarray:
        return stale[name].to_numpy(dtype=float)

    spx, vix = col("SPX"), col("VIX")
    if not (np.isfinite(spx).all() and np.isfinite(vix).all()):
        missing = v.index[~(np.isfinite(spx) & np.isfinite(vix))]
        raise UsageError(
            f"no SPX or VIX close known on {len(missing)} session(s) from {missing[0].date()}; "
            "the backtest starts on or after 1990-01-02 (the first VIX close)"
        )
    spx_open_today = np.isfinite(col("SPX_OPEN")) & (st("SPX_OPEN") == 0)
    vix_open_today = np.isfinite(col("VIX_OPEN")) & (st("VIX_OPEN") == 0)
    spx_settle = np.where(spx_open_today, col("SPX_OPEN"), spx)
    previous_close = np.r_[np.nan, spx[:-1]]
    rate = _fresh(col("DTB3"), st("DTB3"), MAX_CARRY_SESSIONS)
    source = np.where(np.isfinite(rate), "DTB3", "DGS3MO")
    rate = np.where(np.isfinite(rate), rate, _fresh(col("DGS3MO"), st("DGS3MO"), 5))
    # A rate gap longer than a week (none in the bundled data) carries the last rate.
    rate = pd.Series(rate).ffill().fillna(0.0).to_numpy() / 100.0
    dividend = _fresh(col("SHILLER_DIVIDEND"), st("SHILLER_DIVIDEND"), MONTHLY_MAX_CARRY_SESSIONS)
    price = _fresh(col("SHILLER_PRICE"), st("SHILLER_PRICE"), MONTHLY_MAX_CARRY_SESSIONS)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(np.isfinite(dividend / price) & (price > 0), dividend / price, np.nan)
    q = np.where(np.isfinite(q), q, DEFAULT_DIVIDEND_YIELD)
    day_number = v.index.values.astype("datetime64[D]").astype(np.int64)
    gaps = np.diff(day_number).astype(float)
    growth = np.concatenate([[1.0], np.cumprod(1.0 + rate[:-1] * gaps / DAYS_PER_YEAR)])
    return MarketPath(
        days=pd.DatetimeIndex(v.index, name="date"),
        day_number=day_number,
        spx=spx,
        spx_settle=spx_settle,
        spx_settle_is_open=spx_open_today,
        spx_open_stale=spx_open_today & (col("SPX_OPEN") == previous_close),
        vix=vix,
        vix_settle=np.where(vix_open_today, col("VIX_OPEN"), vix),
        vix_settle_is_open=vix_open_today,
        vix9d=_fresh(col("VIX9D"), st("VIX9D"), MAX_CARRY_SESSIONS),
        vix3m=_fresh(col("VIX3M"), st("VIX3M"), MAX_CARRY_SESSIONS),
        vix6m=_fresh(col("VIX6M"), st("VIX6M"), MAX_CARRY_SESSIONS),
        vvix=_fresh(col("VVIX"), st("VVIX"), MAX_CARRY_SESSIONS),
        rate=rate,
        rate_source=source,
        div_yield=q,
        growth=growth,
    )


def load_inputs(
    con: duckdb.DuckDBPyConnection,
    start: date = FIRST_VIX_DAY,
    end: date | None = None,
    signal_config: signals.SignalConfig | None = None,
) -> BacktestInputs:
    """Read the market path, VX settlements and signals for sessions `start`..`end`.

    `end` defaults to the latest session with both SPX and VIX closes in the warehouse; nothing
    known after `end` is read.
    """
    from alvh.data.market_day import latest_marked_day

    start = calendar.as_date(start)
    if start < FIRST_VIX_DAY:
        raise UsageError(f"--start {start} is before the first VIX close ({FIRST_VIX_DAY})")
    end = latest_marked_day(con, calendar.as_date(end) if end is not None else date.today())
    if not calendar.is_trading_day(start):
        start = calendar.next_trading_day(start)
    if end <= start:
        raise UsageError(f"backtest end {end} is not after its start {start}")
    panel = history.daily_panel(con, list(SERIES), end, start=start, lookback_days=400)
    futures = history.vix_futures(con, end, start)[["trade_date", "expiry", "settle"]]
    sig = signals.compute_signals(signals.load_signal_inputs(con, end, start), signal_config)
    return BacktestInputs(start, end, market_path(panel), futures, sig)
