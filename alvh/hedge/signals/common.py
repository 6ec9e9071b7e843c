"""Helpers every signal of method §5 shares: the arrays of one computation (`_Context`), the
staleness checks and reasons that make a signal unavailable, and the unavailability rule.

The leading underscores stay although other modules of this package import these names: they
are shared inside `alvh.hedge.signals` only, not part of its public API (`__init__` does not export
them), and keeping the names the single module had keeps this split a pure move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alvh.hedge.signals.config import SignalConfig
from alvh.hedge.signals.inputs import DAILY_SERIES, MONTHLY_SERIES, SignalInputs

# The §5 quadruple every signal carries, in the order `_finish` returns it.
CORE_COLUMNS = ("value", "threshold", "active", "available")


def _reasons(
    n: int,
    inputs: list[tuple[np.ndarray, str]],
    history: list[tuple[np.ndarray, str]] | None = None,
) -> np.ndarray:
    """Per row, why the signal is unavailable ('' when it is available).

    Every failing input check is named; a short-history check only when the inputs are fine
    (a missing series trivially has no history). Built per distinct failure pattern, so the
    cost does not grow with the number of rows.
    """
    history = history or []
    checks = [*inputs, *history]
    code = np.zeros(n, dtype=np.int64)
    for bit, (failed, _) in enumerate(checks):
        code |= np.asarray(failed, dtype=bool).astype(np.int64) << bit
    patterns, where = np.unique(code, return_inverse=True)
    messages = []
    for pattern in patterns.tolist():
        bad_inputs = [m for bit, (_, m) in enumerate(inputs) if pattern >> bit & 1]
        short = [m for bit, (_, m) in enumerate(history, len(inputs)) if pattern >> bit & 1]
        messages.append("; ".join(bad_inputs or short[:1]))
    return np.asarray(messages, dtype=object)[where.reshape(-1)]


def _daily_checks(ctx: _Context, series: tuple[str, ...]) -> list[tuple[np.ndarray, str]]:
    checks = []
    for s in series:
        checks.append((np.isnan(ctx.values[s]), f"{s} missing"))
        stale = np.isfinite(ctx.stale[s]) & (ctx.stale[s] > ctx.config.daily_max_stale_sessions)
        checks.append((stale, f"{s} stale"))
    return checks


def _monthly_checks(ctx: _Context, series: str, label: str) -> list[tuple[np.ndarray, str]]:
    lag = ctx.month_lag[series]
    return [
        (np.isnan(ctx.values[series]), f"{label} missing"),
        (np.isfinite(lag) & (lag > ctx.config.monthly_max_lag_months), f"{label} stale"),
    ]


@dataclass
class _Context:
    """Arrays shared by the signal functions (warm-up rows included)."""

    config: SignalConfig
    index: pd.DatetimeIndex
    values: dict[str, np.ndarray]
    value_dates: dict[str, np.ndarray]
    stale: dict[str, np.ndarray]
    month_lag: dict[str, np.ndarray]


def _context(inputs: SignalInputs, config: SignalConfig) -> _Context:
    panel = inputs.panel
    index = panel.values.index
    rows = index.to_numpy(dtype="datetime64[ns]")
    values = {c: panel.values[c].to_numpy(dtype=float) for c in panel.values.columns}
    dates = {c: panel.value_dates[c].to_numpy(dtype="datetime64[ns]") for c in panel.values.columns}
    sessions = rows.astype("datetime64[D]")
    position = np.arange(len(rows))
    stale, lag = {}, {}
    for s in DAILY_SERIES:
        # Sessions after the value's own date up to the row: the row's position minus the
        # position of the last session on or before the value date (the panel is every session).
        d = dates[s].astype("datetime64[D]")
        have = ~np.isnat(d)
        at = np.searchsorted(sessions, np.where(have, d, sessions[0]), side="right") - 1
        stale[s] = np.where(have, position - at, np.inf)
    row_month = _month_number(rows)
    for s in MONTHLY_SERIES:
        have = ~np.isnat(dates[s])
        lag[s] = np.where(have, row_month - _month_number(dates[s]), np.inf)
    return _Context(config, index, values, dates, stale, lag)


def _month_number(dates: np.ndarray) -> np.ndarray:
    months = dates.astype("datetime64[M]").astype("int64")
    return np.where(np.isnat(dates), 0, months).astype(float)


def _rolling(values: np.ndarray, window: int, min_periods: int | None = None):
    return pd.Series(values).rolling(window, min_periods=min_periods or window)


def _finish(
    available: np.ndarray, value: np.ndarray, threshold: np.ndarray, active: np.ndarray
) -> dict[str, np.ndarray]:
    """Apply the unavailability rule: no value, no threshold, never active."""
    return {
        "value": np.where(available, value, np.nan),
        "threshold": np.where(available, threshold, np.nan),
        "active": available & active,
        "available": available,
    }


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
