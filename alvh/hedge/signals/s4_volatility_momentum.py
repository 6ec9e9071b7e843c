"""S4 volatility momentum (method §5): Wilder's RSI(14) of VIX at or above 70, or VIX at or
above 1.5 × its 20-day minimum.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alvh.hedge.signals.common import _Context, _daily_checks, _finish, _reasons, _rolling, _yes

if TYPE_CHECKING:  # only an annotation here: signal_history imports this module at run time
    from alvh.hedge.signals.signal_history import SignalHistory


def wilder_rsi(values: np.ndarray, period: int = 14) -> np.ndarray:
    """Wilder's RSI: averages seeded with the simple mean of the first `period` changes, then
    smoothed with weight 1/period (Wilder 1978, "New Concepts in Technical Trading Systems").

    Leading NaNs are skipped; values must have no NaN after the first finite one. RSI is 100
    when the average loss is 0 (and 50 when both averages are 0).
    """
    x = np.asarray(values, dtype=float)
    out = np.full(len(x), np.nan)
    finite = np.flatnonzero(np.isfinite(x))
    if len(finite) == 0 or len(x) - finite[0] <= period:
        return out
    first = finite[0]
    change = np.diff(x[first:])
    gain, loss = np.clip(change, 0, None), np.clip(-change, 0, None)

    def smooth(series: np.ndarray) -> np.ndarray:
        seeded = np.r_[series[:period].mean(), series[period:]]
        return pd.Series(seeded).ewm(alpha=1.0 / period, adjust=False).mean().to_numpy()

    avg_gain, avg_loss = smooth(gain), smooth(loss)
    with np.errstate(invalid="ignore", divide="ignore"):
        rsi = 100.0 - 100.0 / (1.0 + avg_gain / avg_loss)
    rsi = np.where(avg_loss == 0, np.where(avg_gain == 0, 50.0, 100.0), rsi)
    out[first + period :] = rsi
    return out


def _s4(ctx: _Context) -> dict[str, np.ndarray]:
    cfg = ctx.config
    vix = ctx.values["VIX"]
    rsi = wilder_rsi(vix, cfg.s4_rsi_period)
    vix_min = _rolling(vix, cfg.s4_min_window).min().to_numpy()
    ratio = vix / vix_min
    reason = _reasons(
        len(vix),
        [
            *_daily_checks(ctx, ("VIX",)),
        ],
        [
            (np.isnan(rsi), f"fewer than {cfg.s4_rsi_period + 1} VIX closes for RSI"),
            (np.isnan(vix_min), f"fewer than {cfg.s4_min_window} VIX closes for the minimum"),
        ],
    )
    available = reason == ""
    active = (rsi >= cfg.s4_rsi_threshold) | (ratio >= cfg.s4_min_multiple)
    out = _finish(available, rsi, np.full(len(vix), cfg.s4_rsi_threshold), active)
    out |= {"vix": vix, "vix_min": vix_min, "vix_ratio": ratio, "reason": reason}
    return out


def _detail_s4(h: SignalHistory, row: pd.Series, when: pd.Timestamp) -> str:
    c = h.config
    return (
        f"VIX {row['vix']:.2f}; RSI({c.s4_rsi_period}) {row['value']:.1f} "
        f"(>= {c.s4_rsi_threshold:g}: {_yes(row['value'] >= c.s4_rsi_threshold)}); "
        f"VIX / {c.s4_min_window}-day min {row['vix_min']:.2f} = {row['vix_ratio']:.2f} "
        f"(>= {c.s4_min_multiple:g}: {_yes(row['vix_ratio'] >= c.s4_min_multiple)})"
    )
