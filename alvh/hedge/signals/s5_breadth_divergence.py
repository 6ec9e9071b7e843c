"""S5 breadth divergence, an early warning (method §5): MACD(12,26,9) bearish divergence on
the advance-decline line when breadth data covers the day, otherwise on SPX near its 52-week
high, labelled as the proxy it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alvh.hedge.signals.common import _Context, _daily_checks, _finish, _reasons, _rolling
from alvh.hedge.signals.config import SignalConfig

if TYPE_CHECKING:  # only an annotation here: signal_history imports this module at run time
    from alvh.hedge.signals.signal_history import SignalHistory


def macd(values: np.ndarray, fast: int = 12, slow: int = 26, signal: int = 9):
    """MACD line (EMA_fast − EMA_slow), signal line (EMA of the MACD) and histogram."""
    x = pd.Series(values, dtype=float)
    line = x.ewm(span=fast, adjust=False).mean() - x.ewm(span=slow, adjust=False).mean()
    sig = line.ewm(span=signal, adjust=False).mean()
    return line.to_numpy(), sig.to_numpy(), (line - sig).to_numpy()


def bearish_divergence(
    values: np.ndarray, config: SignalConfig, near_high: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days of MACD bearish divergence: the series makes a new `s5_high_window`-session closing
    high above its previous high while its MACD line sits below the MACD at that previous high.

    The previous high is the last new-high day before the latest day with a negative MACD
    histogram (so the two highs are separated by a momentum dip), no more than `s5_high_window`
    sessions back. Returns (divergence, MACD gap vs the previous high, index of that high).
    """
    cfg = config
    x = np.asarray(values, dtype=float)
    n = len(x)
    line, _, hist = macd(x, cfg.s5_fast, cfg.s5_slow, cfg.s5_signal)
    prior_max = _rolling(np.r_[np.nan, x[:-1]], cfg.s5_high_window).max().to_numpy()
    is_high = x >= prior_max
    idx = np.arange(n)
    last_neg = np.maximum.accumulate(np.where(hist < 0, idx, -1))
    last_high = np.maximum.accumulate(np.where(is_high, idx, -1))
    high_before = np.r_[-1, last_high[:-1]]  # last new-high day strictly before each day
    prev = np.where(last_neg >= 0, high_before[np.maximum(last_neg, 0)], -1)
    valid = (prev >= 0) & (idx - prev <= cfg.s5_high_window)
    gap = np.where(valid, line - line[np.maximum(prev, 0)], np.nan)
    higher = np.where(valid, x > x[np.maximum(prev, 0)], False)
    divergence = is_high & valid & higher & (gap < 0)
    if near_high is not None:
        divergence &= near_high
    return divergence, gap, np.where(valid, prev, -1)


def _s5(ctx: _Context) -> dict[str, np.ndarray]:
    cfg = ctx.config
    n = len(ctx.index)
    spx = ctx.values["SPX"]
    high_52w = _rolling(spx, cfg.s5_near_high_window).max().to_numpy()
    near = spx >= (1 - cfg.s5_near_high_pct) * high_52w
    spx_div, spx_gap, spx_prev = bearish_divergence(spx, cfg, near)

    # Advance-decline line: cumulative net advances, counting only days with a fresh print.
    rows = ctx.index.to_numpy(dtype="datetime64[ns]")
    fresh = (ctx.value_dates["NYSE_ADVANCERS"] == rows) & (
        ctx.value_dates["NYSE_DECLINERS"] == rows
    )
    net = np.where(fresh, ctx.values["NYSE_ADVANCERS"] - ctx.values["NYSE_DECLINERS"], 0.0)
    started = np.cumsum(fresh) > 0
    ad_line = np.where(started, np.cumsum(np.nan_to_num(net)), np.nan)
    seen = np.cumsum(fresh)
    breadth_ok = (
        (seen >= cfg.s5_breadth_warmup_sessions)
        & (ctx.stale["NYSE_ADVANCERS"] <= cfg.daily_max_stale_sessions)
        & (ctx.stale["NYSE_DECLINERS"] <= cfg.daily_max_stale_sessions)
    )
    ad_div, ad_gap, ad_prev = np.zeros(n, bool), np.full(n, np.nan), np.full(n, -1)
    if started.any():
        first = int(np.argmax(started))
        d, g, p = bearish_divergence(ad_line[first:], cfg)
        ad_div[first:], ad_gap[first:], ad_prev[first:] = d, g, np.where(p >= 0, p + first, -1)

    proxy = ~breadth_ok
    divergence = np.where(proxy, spx_div, ad_div)
    gap = np.where(proxy, spx_gap, ad_gap)
    prev = np.where(proxy, spx_prev, ad_prev)
    level = np.where(proxy, spx, ad_line)
    line = macd(spx, cfg.s5_fast, cfg.s5_slow, cfg.s5_signal)[0]
    if started.any():
        ad_macd = np.full(n, np.nan)
        ad_macd[first:] = macd(ad_line[first:], cfg.s5_fast, cfg.s5_slow, cfg.s5_signal)[0]
        line = np.where(proxy, line, ad_macd)
    reason = _reasons(
        n,
        [
            *[(failed & proxy, message) for failed, message in _daily_checks(ctx, ("SPX",))],
        ],
        [(proxy & np.isnan(high_52w), "SPX history shorter than the 52-week window")],
    )
    available = reason == ""
    divergence &= available
    # Active for `s5_hold_sessions` from a divergence day: an early warning, not a one-day blip.
    idx = np.arange(n)
    last_div = np.maximum.accumulate(np.where(divergence, idx, -1))
    recent = (last_div >= 0) & (idx - last_div < cfg.s5_hold_sessions)
    out = _finish(available, gap, np.zeros(n), recent)
    nat = np.datetime64("NaT")
    out |= {
        "proxy": proxy,
        "divergence": divergence,
        "last_divergence": np.where(recent, rows[np.maximum(last_div, 0)], nat),
        "level": level,
        "macd": line,
        "macd_previous_high": np.where(prev >= 0, line[np.maximum(prev, 0)], np.nan),
        "previous_high": np.where(prev >= 0, rows[np.maximum(prev, 0)], nat),
        "reason": reason,
    }
    return out


def _detail_s5(h: SignalHistory, row: pd.Series, when: pd.Timestamp) -> str:
    c = h.config
    if row["proxy"]:
        series, unit = "SPX (proxy: no breadth data covers the day)", "SPX points"
    else:
        series = "the NYSE advance-decline line (proxy universe, not official NYSE)"
        unit = "issues"
    parts = [f"MACD({c.s5_fast},{c.s5_slow},{c.s5_signal}) on {series}"]
    if np.isfinite(row["value"]):
        prev = pd.Timestamp(row["previous_high"]).date()
        parts.append(
            f"MACD {row['macd']:.2f} vs {row['macd_previous_high']:.2f} at the previous "
            f"{c.s5_high_window}-session high ({prev}): {row['value']:+.2f} {unit}"
        )
    else:
        parts.append("no earlier high within the window to compare with")
    if row["divergence"]:
        parts.append("bearish divergence today (new high, lower MACD)")
    elif row["active"]:
        since = pd.Timestamp(row["last_divergence"]).date()
        parts.append(f"bearish divergence on {since}, active for {c.s5_hold_sessions} sessions")
    else:
        parts.append(f"no bearish divergence in the last {c.s5_hold_sessions} sessions")
    return "; ".join(parts)
