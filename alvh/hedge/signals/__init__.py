"""Signals S1–S6 as time series over the whole history (method §5).

Each signal is computed for every NYSE trading day from `start` to `as_of` in one vectorised
pass over a `history.daily_panel` (values as known at each close, so nothing looks ahead), the
monthly release tables and the FOMC calendar. Every day carries the §5 quadruple — value,
threshold, active, available — plus the inputs used; `SignalHistory.on(day)` turns one row of
each signal into `SignalReading`s with a readable detail, the shape `alvh layers --json` prints.

A missing or stale input makes a signal *unavailable* (value None, active False, a reason in the
detail), never silently inactive. docs/signals.md states every definition and default.

One module per idea: `config` (names, thresholds), `inputs` (what is read), `common` (shared
helpers), one `sN_*` module per signal with its detail text, and `signal_history` (assembly).
This package re-exports the public API, so callers import from `alvh.hedge.signals` alone.
"""

from alvh.hedge.signals.common import CORE_COLUMNS
from alvh.hedge.signals.config import SIGNALS, TITLES, SignalConfig, SignalConfigError
from alvh.hedge.signals.inputs import (
    DAILY_SERIES,
    DEFAULT_START,
    MONTHLY_SERIES,
    WARMUP_YEARS,
    SignalInputs,
    load_signal_inputs,
)
from alvh.hedge.signals.s2_macro_surprise import release_surprises
from alvh.hedge.signals.s4_volatility_momentum import wilder_rsi
from alvh.hedge.signals.s5_breadth_divergence import bearish_divergence, macd
from alvh.hedge.signals.signal_history import SignalHistory, SignalReading, compute_signals

__all__ = [
    "CORE_COLUMNS",
    "DAILY_SERIES",
    "DEFAULT_START",
    "MONTHLY_SERIES",
    "SIGNALS",
    "TITLES",
    "WARMUP_YEARS",
    "SignalConfig",
    "SignalConfigError",
    "SignalHistory",
    "SignalInputs",
    "SignalReading",
    "bearish_divergence",
    "compute_signals",
    "load_signal_inputs",
    "macd",
    "release_surprises",
    "wilder_rsi",
]
