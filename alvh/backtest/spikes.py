"""The largest spikes variant by variant against L1 alone, and how sure the claim's median is.

Issue 13's target: in the five largest spikes no hedged variant should cut less of the drawdown
than L1 alone, unless the report says why. `largest_spikes` compares every hedged variant with
L1 in those events and, where one falls short, explains it from the sleeves over the window: what
its hedge earned against L1's, what its condors lost against L1's and how many condors it held
(each variant sizes its condors on its own equity). `bootstrap_median_interval` resamples the
events of the claim check to put a 90 % interval around the median reduction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from alvh.backtest.events import reduction
from alvh.backtest.hedges import VariantPath

__all__ = ["bootstrap_median_interval", "largest_spikes"]

BASELINE = "l1"
# A variant "falls short" of L1 by more than this (a hundredth of a percentage point of
# reduction is rounding, not a difference).
SHORTFALL_TOLERANCE = 1e-4


def bootstrap_median_interval(
    values: Sequence[float], level: float = 0.90, resamples: int = 10_000, seed: int = 13
) -> list[float]:
    """Percentile bootstrap interval of the median of `values` (NaN ones dropped); seeded, so
    a run reproduces its interval. [NaN, NaN] with fewer than two values."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return [float("nan"), float("nan")]
    rng = np.random.default_rng(seed)
    medians = np.median(x[rng.integers(0, len(x), size=(resamples, len(x)))], axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(medians, [tail, 1.0 - tail])
    return [float(low), float(high)]


def _window(days: pd.DatetimeIndex, start, end) -> tuple[int, int]:
    """Session of the close before the event (the drawdown's anchor) and the event's last."""
    values = days.values
    first = int(np.searchsorted(values, np.datetime64(pd.Timestamp(start)), side="left"))
    last = int(np.searchsorted(values, np.datetime64(pd.Timestamp(end)), side="right")) - 1
    return max(first - 1, 0), last


def _why(name: str, path: VariantPath, base: VariantPath, anchor: int, last: int) -> str:
    """The sleeves of `name` and of L1 over the window, as shares of the equity at its start."""
    span = slice(anchor + 1, last + 1)

    def share(p: VariantPath, daily: np.ndarray) -> float:
        return float(daily[span].sum() / p.equity[anchor])

    hedge, hedge_l1 = share(path, path.hedge.pnl), share(base, base.hedge.pnl)
    condor, condor_l1 = share(path, path.condor.pnl), share(base, base.condor.pnl)
    risk, risk_l1 = path.condor.risk_capital[anchor], base.condor.risk_capital[anchor]
    sized = f"{risk / risk_l1:.0%} of L1's" if risk_l1 > 0 else "no L1 condors to compare"
    capped = path.hedge.capped
    year = path.hedge.capped["day"].between(max(anchor - 252, 0), last) if len(capped) else []
    capped_days = int(capped.loc[year, "day"].nunique()) if len(capped) else 0
    text = (
        f"over the window its hedge sleeve made {hedge:+.1%} of equity against L1's "
        f"{hedge_l1:+.1%} and its condors {condor:+.1%} against {condor_l1:+.1%} "
        f"(condor risk capital at the start {sized})"
    )
    if capped_days:
        text += f"; its budget cap bound on {capped_days} session(s) in the year up to the event"
    return text


def largest_spikes(
    paths: Mapping[str, VariantPath],
    days: pd.DatetimeIndex,
    events: pd.DataFrame,
    drawdowns: pd.DataFrame,
    claim_events: Sequence[str],
    count: int = 5,
) -> list[dict[str, object]]:
    """The `count` claim-check events with the deepest unhedged drawdown; per hedged variant its
    reduction, L1's, whether it falls short of L1 and, if so, why (see the module notes)."""
    if BASELINE not in paths or not len(claim_events):
        return []
    table = drawdowns.loc[list(claim_events)].sort_values("unhedged").head(count)
    windows = events.set_index("event")
    out = []
    for event, row in table.iterrows():
        anchor, last = _window(days, windows.loc[event, "start"], windows.loc[event, "end"])
        base = float(reduction(row[BASELINE], row["unhedged"]))
        variants = {}
        for name, path in paths.items():
            if name in ("unhedged", BASELINE):
                continue
            mine = float(reduction(row[name], row["unhedged"]))
            short = bool(mine < base - SHORTFALL_TOLERANCE)
            variants[name] = {
                "drawdown": float(row[name]),
                "reduction": mine,
                "worse_than_l1": short,
                "why": _why(name, path, paths[BASELINE], anchor, last) if short else "",
            }
        out.append(
            {
                "event": str(event),
                "unhedged_drawdown": float(row["unhedged"]),
                "l1_drawdown": float(row[BASELINE]),
                "l1_reduction": base,
                "variants": variants,
            }
        )
    return out
