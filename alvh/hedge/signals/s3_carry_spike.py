"""S3 rate-differential / carry spike (method §5): the 5-day change of DGS2 − DFF and the
5-day log change of USD/JPY, each as a z against the trailing 252 sessions; a spike when
either |z| reaches 2.0 (1.5 within ±2 sessions of an FOMC decision).

Computed before S2, which an S3 spike can confirm (`compute_signals` passes it on).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alvh.core import calendar
from alvh.hedge.signals.common import _Context, _daily_checks, _finish, _reasons, _rolling
from alvh.hedge.signals.inputs import SignalInputs

if TYPE_CHECKING:  # only an annotation here: signal_history imports this module at run time
    from alvh.hedge.signals.signal_history import SignalHistory


def _trailing_z(change: np.ndarray, window: int) -> np.ndarray:
    """z of each value against the `window` values before it (itself excluded)."""
    prior = _rolling(np.r_[np.nan, change[:-1]], window)
    mean, std = prior.mean().to_numpy(), prior.std(ddof=1).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(std > 0, (change - mean) / std, np.nan)


def _near_fomc(ctx: _Context, fomc: pd.DataFrame) -> np.ndarray:
    """Days within ±k sessions of a scheduled FOMC decision, or 0..k after an unscheduled one
    (an inter-meeting move is not known before it happens)."""
    k = ctx.config.s3_fomc_sessions
    n = len(ctx.index)
    if fomc.empty or n == 0:
        return np.zeros(n, dtype=bool)
    last = calendar.add_trading_days(ctx.index[-1], k + 1)
    sessions = calendar.trading_days(ctx.index[0], last).to_numpy(dtype="datetime64[ns]")
    when = fomc["event_date"].to_numpy(dtype="datetime64[ns]")
    at = np.searchsorted(sessions, when, side="left")
    inside = (when >= sessions[0]) & (at < len(sessions))
    unscheduled = fomc["unscheduled"].fillna(False).to_numpy(dtype=bool)
    lo = np.where(unscheduled, at, at - k)[inside]
    hi = (at + k)[inside]
    marks = np.zeros(len(sessions) + 1, dtype=int)
    np.add.at(marks, np.clip(lo, 0, len(sessions)), 1)
    np.add.at(marks, np.clip(hi + 1, 0, len(sessions)), -1)
    return (np.cumsum(marks)[:n]) > 0


def _s3(ctx: _Context, inputs: SignalInputs) -> dict[str, np.ndarray]:
    cfg = ctx.config
    h = cfg.s3_change_sessions
    spread = ctx.values["DGS2"] - ctx.values["DFF"]
    usdjpy = ctx.values["DEXJPUS"]
    with np.errstate(invalid="ignore", divide="ignore"):
        log_fx = np.log(usdjpy)
    d_spread = spread - np.r_[np.full(h, np.nan), spread[:-h]]
    d_fx = log_fx - np.r_[np.full(h, np.nan), log_fx[:-h]]
    z_rate = _trailing_z(d_spread, cfg.s3_z_window)
    z_fx = _trailing_z(d_fx, cfg.s3_z_window)
    near = _near_fomc(ctx, inputs.fomc)
    short = f"fewer than {cfg.s3_z_window} sessions of 5-day changes for the z-score"
    reason = _reasons(
        len(spread),
        [
            *_daily_checks(ctx, ("DGS2", "DFF", "DEXJPUS")),
        ],
        [(np.isnan(z_rate) | np.isnan(z_fx), short)],
    )
    available = reason == ""
    value = np.fmax(np.abs(z_rate), np.abs(z_fx))
    threshold = np.where(near, cfg.s3_z_near_fomc, cfg.s3_z)
    out = _finish(available, value, threshold, value >= threshold)
    out |= {
        "near_fomc": near,
        "z_rate": z_rate,
        "z_fx": z_fx,
        "spread": spread,
        "spread_change_bp": 100 * d_spread,
        "usdjpy": usdjpy,
        "usdjpy_log_change": d_fx,
        "reason": reason,
    }
    return out


def _detail_s3(h: SignalHistory, row: pd.Series, when: pd.Timestamp) -> str:
    c = h.config
    fomc = f"within ±{c.s3_fomc_sessions} sessions of an FOMC decision" if row["near_fomc"] else ""
    return (
        f"5-day change of DGS2−DFF {row['spread_change_bp']:+.1f} bp (z {row['z_rate']:+.2f}); "
        f"5-day log change of USD/JPY {100 * row['usdjpy_log_change']:+.2f}% "
        f"(z {row['z_fx']:+.2f}); max |z| {row['value']:.2f} vs {row['threshold']:.1f}"
        + (f" ({fomc})" if fomc else "")
    )
