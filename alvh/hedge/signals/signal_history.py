"""S1–S6 assembled into one history (method §5): `compute_signals` runs each signal's module
over the whole range (S3 before S2, which it can confirm) and `SignalHistory.on(day)` turns one
row of each into a `SignalReading` with its detail text, the shape `alvh layers --json` prints.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from alvh.core import calendar
from alvh.core.errors import UsageError
from alvh.core.numbers import finite_or_none
from alvh.hedge.signals.common import _context
from alvh.hedge.signals.config import SIGNALS, TITLES, SignalConfig
from alvh.hedge.signals.inputs import SignalInputs
from alvh.hedge.signals.s1_complacency import _detail_s1, _s1
from alvh.hedge.signals.s2_macro_surprise import ReleaseIndex, _detail_s2, _s2
from alvh.hedge.signals.s3_carry_spike import _detail_s3, _s3
from alvh.hedge.signals.s4_volatility_momentum import _detail_s4, _s4
from alvh.hedge.signals.s5_breadth_divergence import _detail_s5, _s5
from alvh.hedge.signals.s6_equity_risk_premium import _detail_s6, _s6


@dataclass(frozen=True)
class SignalReading:
    """One signal on one day (interface.md `layers` JSON plus the inputs used)."""

    value: float | None
    threshold: float | None
    active: bool
    available: bool
    detail: str
    inputs: dict[str, float | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class SignalHistory:
    """S1–S6 for every trading day `start`..`as_of`; one DataFrame per signal."""

    as_of: date
    start: date
    config: SignalConfig
    frames: Mapping[str, pd.DataFrame]
    releases: pd.DataFrame
    inputs: SignalInputs

    @property
    def index(self) -> pd.DatetimeIndex:
        return self.frames["S1"].index

    def frame(self, name: str) -> pd.DataFrame:
        """The signal's columns by date: value, threshold, active, available and its extras."""
        if name not in self.frames:
            raise KeyError(f"unknown signal {name!r}; signals are {', '.join(SIGNALS)}")
        return self.frames[name].copy()

    def on(self, day: calendar.DateLike) -> dict[str, SignalReading]:
        """Each signal's reading on one trading day (interface.md `layers`)."""
        when = pd.Timestamp(calendar.as_date(day))
        if when not in self.index:
            raise UsageError(
                f"{when.date()} is not a trading day in the signal history "
                f"({self.index[0].date()} to {self.index[-1].date()})"
            )
        return {name: self._reading(name, when) for name in SIGNALS}

    def summary(self) -> pd.DataFrame:
        """Per signal: sessions, share available, share active (of all and of available), and
        the number of separate active spells."""
        rows = []
        for name in SIGNALS:
            f = self.frames[name]
            active = f["active"].to_numpy(dtype=bool)
            available = f["available"].to_numpy(dtype=bool)
            spells = int(np.sum(active & ~np.r_[False, active[:-1]]))
            rows.append(
                {
                    "signal": name,
                    "title": TITLES[name],
                    "sessions": len(f),
                    "available": float(available.mean()) if len(f) else np.nan,
                    "active": float(active.mean()) if len(f) else np.nan,
                    "active_of_available": float(active.sum() / max(available.sum(), 1)),
                    "active_days": int(active.sum()),
                    "spells": spells,
                }
            )
        return pd.DataFrame(rows).set_index("signal")

    # -- readings --------------------------------------------------------------------------

    @functools.cached_property
    def _rows(self) -> _Rows:
        return _Rows(self)

    @functools.cached_property
    def releases_by_day(self) -> ReleaseIndex:
        """S2's releases indexed by the day they register and by reference month."""
        return ReleaseIndex(self.releases)

    def _reading(self, name: str, when: pd.Timestamp) -> SignalReading:
        row = self._rows.row(name, when)
        available = bool(row["available"])
        inputs = {k: finite_or_none(row[k]) for k in _INPUTS[name]}
        if available:
            detail = _DETAILS[name](self, row, when)
        else:
            detail = f"unavailable: {row['reason']}{self._staleness_note(name, when)}"
        return SignalReading(
            value=finite_or_none(row["value"]),
            threshold=finite_or_none(row["threshold"]),
            active=bool(row["active"]),
            available=available,
            detail=detail,
            inputs=inputs,
        )

    def _staleness_note(self, name: str, when: pd.Timestamp) -> str:
        notes = []
        dates = self._rows.value_dates(when)
        for series in _REQUIRED[name]:
            d = dates.get(series)
            seen = "none known" if pd.isna(d) else f"latest {pd.Timestamp(d).date()}"
            notes.append(f"{series} {seen}")
        limits = (
            f"limits: {self.config.daily_max_stale_sessions} sessions for daily series, "
            f"{self.config.monthly_max_lag_months} months for monthly"
        )
        return f" ({'; '.join(notes)}; {limits})"


class _Rows:
    """Each signal's rows as plain values, looked up by day: a reading is read every day of a
    backfill, and pandas row access (`.loc`) costs more than building the reading. The
    values are the frame's own (`to_numpy(dtype=object)`: Python floats, bools, Timestamps)."""

    def __init__(self, history: SignalHistory) -> None:
        self._at = {when: i for i, when in enumerate(history.index)}
        self._frames = {
            name: (list(frame.columns), frame.to_numpy(dtype=object))
            for name, frame in history.frames.items()
        }
        dates = history.inputs.panel.value_dates
        self._dates_at = {when: i for i, when in enumerate(dates.index)}
        self._dates = (list(dates.columns), dates.to_numpy(dtype=object))

    def row(self, name: str, when: pd.Timestamp) -> dict[str, Any]:
        """The signal's row of `when`, column by column."""
        columns, values = self._frames[name]
        return dict(zip(columns, values[self._at[when]], strict=True))

    def value_dates(self, when: pd.Timestamp) -> dict[str, Any]:
        """The date of each input series' value known at `when`'s close."""
        columns, values = self._dates
        return dict(zip(columns, values[self._dates_at[when]], strict=True))


_DETAILS = {
    "S1": _detail_s1,
    "S2": _detail_s2,
    "S3": _detail_s3,
    "S4": _detail_s4,
    "S5": _detail_s5,
    "S6": _detail_s6,
}
_INPUTS = {
    "S1": ("vix", "cape"),
    "S2": ("cpi_z", "ppi_z"),
    "S3": ("z_rate", "z_fx", "spread_change_bp", "usdjpy_log_change", "usdjpy"),
    "S4": ("vix", "vix_min", "vix_ratio"),
    "S5": ("level", "macd", "macd_previous_high"),
    "S6": ("earnings_yield", "dgs10", "cape"),
}
_REQUIRED = {
    "S1": ("VIX", "CAPE"),
    "S2": ("CPIAUCSL", "PPIFIS", "PPIACO"),
    "S3": ("DGS2", "DFF", "DEXJPUS"),
    "S4": ("VIX",),
    "S5": ("SPX", "NYSE_ADVANCERS", "NYSE_DECLINERS"),
    "S6": ("DGS10", "CAPE"),
}


def compute_signals(inputs: SignalInputs, config: SignalConfig | None = None) -> SignalHistory:
    """S1–S6 over every trading day `inputs.start`..`inputs.as_of` (method §5)."""
    config = config or SignalConfig()
    ctx = _context(inputs, config)
    s3 = _s3(ctx, inputs)
    s2, releases = _s2(ctx, inputs, s3["active"])
    columns = {"S1": _s1(ctx, inputs), "S2": s2, "S3": s3, "S4": _s4(ctx), "S5": _s5(ctx)}
    columns["S6"] = _s6(ctx)
    keep = ctx.index >= pd.Timestamp(inputs.start)
    index = ctx.index[keep]
    frames = {}
    for name in SIGNALS:
        frame = pd.DataFrame(
            {k: np.asarray(v)[keep] for k, v in columns[name].items()}, index=index
        )
        frames[name] = frame
    return SignalHistory(inputs.as_of, inputs.start, config, frames, releases, inputs)
