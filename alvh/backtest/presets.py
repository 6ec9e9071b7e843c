"""Condor book presets of the backtest (method §7): the rules, and the trading days they act on.

`cndr` follows the Cboe S&P 500 Iron Condor Index (CNDR): at each SPX monthly expiry, at the
close, sell a condor expiring at the next monthly expiry — short 20-delta put and call, long
5-delta put and call — and hold it to expiry; the cash covers ten times the condor's maximum
loss, so risk capital is 10 % of equity. `retail45` is the common retail routine: 45 calendar
days to expiry, 16-delta shorts, 50-point wings, take profit at 50 % of the credit, stop when the
loss reaches 2x the credit, close at 21 days to expiry; risk capital 20 % of equity.

This module only says *when* trades happen; strikes, marks and money are in `condors`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from alvh.core import calendar
from alvh.core.errors import UsageError

__all__ = ["PRESETS", "CondorPreset", "CondorSchedule", "condor_schedule", "get_preset"]


@dataclass(frozen=True)
class CondorPreset:
    """One condor routine. Deltas are absolute (0.20 = a 20-delta put or call)."""

    name: str
    description: str
    short_delta: float
    risk_fraction: float
    long_delta: float | None = None  # wings chosen by delta (cndr) ...
    wing_points: float | None = None  # ... or by a fixed width in index points (retail45)
    entry_dte: int | None = None  # None: open on each monthly expiry day for the next one
    exit_dte: int | None = None  # close at this many calendar days to expiry; None: hold
    take_profit: float | None = None  # close when the profit reaches this share of the credit
    stop_loss: float | None = None  # close when the loss reaches this multiple of the credit

    def __post_init__(self) -> None:
        if (self.long_delta is None) == (self.wing_points is None):
            raise ValueError("a preset sets exactly one of long_delta and wing_points")
        if not 0 < self.short_delta < 0.5 or not 0 < self.risk_fraction <= 1:
            raise ValueError(f"impossible preset {self}")
        if self.long_delta is not None and not 0 < self.long_delta < self.short_delta:
            raise ValueError("the long (wing) delta must lie below the short delta")
        if (self.entry_dte is None) != (self.exit_dte is None):
            raise ValueError("entry_dte and exit_dte go together")
        if self.entry_dte is not None and not self.entry_dte > self.exit_dte > 0:
            raise ValueError("need entry_dte > exit_dte > 0")

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


PRESETS: dict[str, CondorPreset] = {
    "cndr": CondorPreset(
        name="cndr",
        description=(
            "Cboe CNDR rules: at each SPX monthly expiry open a one-month condor, short 20-delta "
            "put and call, long 5-delta put and call, hold to expiry; risk capital 10% of equity"
        ),
        short_delta=0.20,
        long_delta=0.05,
        risk_fraction=0.10,
    ),
    "retail45": CondorPreset(
        name="retail45",
        description=(
            "45 DTE, 16-delta shorts, 50-point wings, take profit at 50% of credit, stop at a "
            "loss of 2x credit, close at 21 DTE; risk capital 20% of equity"
        ),
        short_delta=0.16,
        wing_points=50.0,
        risk_fraction=0.20,
        entry_dte=45,
        exit_dte=21,
        take_profit=0.50,
        stop_loss=2.0,
    ),
}


def get_preset(name: str) -> CondorPreset:
    try:
        return PRESETS[name]
    except KeyError:
        raise UsageError(
            f"unknown preset {name!r}; presets are {', '.join(sorted(PRESETS))}"
        ) from None


@dataclass(frozen=True)
class CondorSchedule:
    """Planned trades: entry session index, expiry date and the planned last session index.

    `planned_exit` is the session index of the expiry (settlement) or of the `exit_dte` close;
    it is `len(days)` when that day lies beyond the data (the trade is still open at the end).
    `settles` says whether the planned exit is the expiry itself.
    """

    entry: np.ndarray
    expiry: np.ndarray  # datetime64[D]
    planned_exit: np.ndarray
    settles: np.ndarray

    def __len__(self) -> int:
        return len(self.entry)


def _index_of(days: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Session index of each date (all sessions), len(days) beyond the last one."""
    i = np.searchsorted(days, when)
    return np.where(i < len(days), i, len(days))


def condor_schedule(preset: CondorPreset, days: pd.DatetimeIndex) -> CondorSchedule:
    """The preset's trades over the sessions `days` (entries at the close, method §7)."""
    d = days.values.astype("datetime64[D]")
    first, last = days[0].date(), days[-1].date()
    # Expiries up to three months past the end so the last trades have an expiry to aim at.
    expiries = np.array(
        calendar.spx_expiries(first, last + timedelta(days=100)), dtype="datetime64[D]"
    )
    if preset.entry_dte is None:
        # CNDR: enter on each monthly expiry day in the data, for the next monthly expiry.
        on_day = np.isin(expiries[:-1], d)
        entry_dates, expiry = expiries[:-1][on_day], expiries[1:][on_day]
        entry = np.searchsorted(d, entry_dates)
        planned = _index_of(d, expiry)
        settles = np.ones(len(entry), dtype=bool)
    else:
        # First session with at most entry_dte calendar days left; skip an expiry whose entry
        # would come at or after its exit day (only possible at the very start of the data).
        expiry_all = expiries
        entry = np.searchsorted(d, expiry_all - np.timedelta64(preset.entry_dte, "D"))
        exit_ = np.searchsorted(d, expiry_all - np.timedelta64(preset.exit_dte, "D"))
        entry_ok = np.zeros(len(entry), dtype=bool)
        inside = entry < len(d)
        entry_ok[inside] = d[entry[inside]] < expiry_all[inside] - np.timedelta64(
            preset.exit_dte, "D"
        )
        # An expiry whose 45-day mark falls before the data begins is not traded.
        entry_ok &= expiry_all - np.timedelta64(preset.entry_dte, "D") >= d[0]
        entry, expiry, planned = entry[entry_ok], expiry_all[entry_ok], exit_[entry_ok]
        planned = np.where(planned < len(d), planned, len(d))
        settles = np.zeros(len(entry), dtype=bool)
    return CondorSchedule(entry.astype(np.int64), expiry, planned.astype(np.int64), settles)
