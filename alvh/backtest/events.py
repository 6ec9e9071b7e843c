"""Spike events, drawdowns inside them, and the article's claim (method §7).

Events are the named catalogue shipped with the package (`alvh/data/bundled/events.csv`, read by
`alvh.book.scenarios.event_catalogue`) plus spikes detected in the VIX history: VIX up ≥ 50 % within
10 sessions from a level below 25. Per event and variant the drawdown is the deepest fall of the
equity inside the event window, measured from the running peak since the close before the window
opens; the reduction is 1 − DD_hedged / DD_unhedged.

The claim check takes the events in which the unhedged book really fell (by at least
`min_unhedged_drawdown`; a reduction of a 0.3 % dip says nothing), counting a detected spike only
when it does not overlap a named event (no event counted twice), and compares the median
reduction with the article's 35–55 %.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from alvh.backtest.metrics import drawdown_series
from alvh.book.scenarios import event_catalogue

__all__ = [
    "CLAIMED_REDUCTION",
    "EventRules",
    "claim_check",
    "detect_spikes",
    "event_drawdowns",
    "event_losses",
    "event_table",
    "reduction",
]

CLAIMED_REDUCTION = (0.35, 0.55)


@dataclass(frozen=True)
class EventRules:
    """Spike detection (method §7) and the claim check's inclusion rule (docs/backtest.md)."""

    spike_rise: float = 0.50
    spike_sessions: int = 10
    spike_from_below: float = 25.0
    # A detected spike lasts until VIX is back within this multiple of its base level, at most
    # `max_sessions` from its base: long enough to hold the equity's trough of the episode.
    recovery_multiple: float = 1.25
    max_sessions: int = 63
    min_unhedged_drawdown: float = 0.02

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def detect_spikes(dates: pd.DatetimeIndex, vix: np.ndarray, rules: EventRules) -> pd.DataFrame:
    """VIX spikes: a close ≥ (1 + rise) × the lowest close of the previous `spike_sessions`
    sessions, that low being below `spike_from_below`. One row per episode (event, start, end,
    kind, description); triggers inside an episode extend it."""
    v = np.asarray(vix, dtype=float)
    n = len(v)
    w = rules.spike_sessions
    low = pd.Series(v).shift(1).rolling(w, min_periods=1).min().to_numpy()
    trigger = (low < rules.spike_from_below) & (v >= (1.0 + rules.spike_rise) * low)
    rows = []
    t = 0
    while t < n:
        if not trigger[t]:
            t += 1
            continue
        window = v[max(t - w, 0) : t]
        base_at = max(t - w, 0) + int(np.argmin(window))
        base, peak, peak_at = v[base_at], v[t], t
        end = t
        limit = min(base_at + rules.max_sessions, n - 1)
        while end < limit:
            nxt = end + 1
            if v[nxt] > peak:
                peak, peak_at = v[nxt], nxt
            end = nxt
            if v[nxt] <= rules.recovery_multiple * base and not trigger[nxt]:
                break
        if rows and dates[base_at] <= rows[-1]["end"]:
            # The look-back of a new trigger reaches into the previous episode: one episode.
            rows[-1]["end"] = dates[end]
            rows[-1]["description"] += f"; again {v[t]:.1f} on {dates[t].date()}"
            t = end + 1
            continue
        rows.append(
            {
                "event": f"auto-{dates[t].date()}",
                "start": dates[base_at],
                "end": dates[end],
                "kind": "auto",
                "description": (
                    f"VIX {base:.1f} on {dates[base_at].date()} to {v[t]:.1f} on "
                    f"{dates[t].date()} (+{v[t] / base - 1:.0%}); peak {peak:.1f} on "
                    f"{dates[peak_at].date()}"
                ),
            }
        )
        t = end + 1
    return pd.DataFrame(rows, columns=["event", "start", "end", "kind", "description"])


def event_table(dates: pd.DatetimeIndex, vix: np.ndarray, rules: EventRules) -> pd.DataFrame:
    """Named events inside the backtest's dates plus detected spikes, by start date.

    `overlaps` names the named event a detected spike overlaps ('' when none); `in_claim` is set
    later by `claim_check`.
    """
    named = event_catalogue()
    named = named[(named["end"] >= dates[0]) & (named["start"] <= dates[-1])].copy()
    if "kind" not in named.columns:
        named["kind"] = "named"
    auto = detect_spikes(dates, vix, rules)
    overlaps = []
    for row in auto.itertuples():
        hit = named[(named["start"] <= row.end) & (named["end"] >= row.start)]
        overlaps.append(", ".join(hit["event"]) if len(hit) else "")
    auto["overlaps"] = overlaps
    named["overlaps"] = ""
    table = pd.concat([named, auto], ignore_index=True)
    return table.sort_values(["start", "event"]).reset_index(drop=True)


def _per_event(
    equity: dict[str, np.ndarray], dates: pd.DatetimeIndex, events: pd.DataFrame, measure
) -> pd.DataFrame:
    """`measure(window)` per event and variant; a window starts at the close before the event."""
    values = dates.values
    out = {}
    for row in events.itertuples():
        first = int(np.searchsorted(values, np.datetime64(row.start), side="left"))
        last = int(np.searchsorted(values, np.datetime64(row.end), side="right")) - 1
        anchor = max(first - 1, 0)
        result = {}
        for name, e in equity.items():
            window = np.asarray(e[anchor : last + 1], dtype=float)
            result[name] = np.nan if last < first or window.size == 0 else measure(window)
        out[row.event] = result
    return pd.DataFrame.from_dict(out, orient="index").reindex(columns=list(equity))


def event_drawdowns(
    equity: dict[str, np.ndarray], dates: pd.DatetimeIndex, events: pd.DataFrame
) -> pd.DataFrame:
    """Per event and variant, the deepest drawdown inside the event window (negative fraction).

    The running peak starts at the close before the window opens, so a fall that began before
    the event does not count, and one that begins inside it counts in full.
    """
    return _per_event(equity, dates, events, lambda w: float(np.nanmin(drawdown_series(w))))


def event_losses(
    equity: dict[str, np.ndarray], dates: pd.DatetimeIndex, events: pd.DataFrame
) -> pd.DataFrame:
    """Per event and variant, the deepest close below the close before the window (≤ 0).

    Unlike `event_drawdowns` this does not count a hedge's gain inside the window that is
    given back before the window ends: it asks how far below its pre-event level the portfolio
    fell — a second reading of "the hedge cuts drawdowns" reported beside the first.
    """
    return _per_event(equity, dates, events, lambda w: float(min(np.min(w / w[0] - 1.0), 0.0)))


def reduction(hedged: np.ndarray | float, unhedged: np.ndarray | float) -> np.ndarray:
    """Drawdown reduction 1 − DD_hedged / DD_unhedged; NaN where the unhedged book did not fall."""
    h = np.asarray(hedged, dtype=float)
    u = np.asarray(unhedged, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(u < 0, 1.0 - h / u, np.nan)


def claim_check(
    drawdowns: pd.DataFrame,
    events: pd.DataFrame,
    variant: str,
    hedge_cost_per_year: float,
    rules: EventRules,
    claimed: tuple[float, float] = CLAIMED_REDUCTION,
) -> dict[str, object]:
    """Median, range and verdict of `variant`'s drawdown reduction across spike events.

    `drawdown_saved_per_1pct_cost` is the median drawdown saved (percentage points of equity)
    per 1 % of equity spent on the hedge per year (premium − payoff, `hedge_cost_per_year`).
    """
    e = events.set_index("event")
    unhedged = drawdowns["unhedged"]
    use = (unhedged <= -rules.min_unhedged_drawdown) & (e.loc[drawdowns.index, "overlaps"] == "")
    used = drawdowns.index[use.to_numpy()]
    red = reduction(drawdowns.loc[used, variant], unhedged.loc[used])
    saved = drawdowns.loc[used, variant].to_numpy() - unhedged.loc[used].to_numpy()
    if len(used) == 0:
        median = low = high = float("nan")
        verdict = "n/a"
    else:
        median, low, high = float(np.median(red)), float(np.min(red)), float(np.max(red))
        verdict = "below" if median < claimed[0] else "above" if median > claimed[1] else "within"
    per_cost = (
        float(np.median(saved) * 100 / (hedge_cost_per_year * 100))
        if len(used) and hedge_cost_per_year > 0
        else float("nan")
    )
    return {
        "claimed": list(claimed),
        "variant": variant,
        "median": median,
        "min": low,
        "max": high,
        "verdict": verdict,
        "n_events": int(len(used)),
        "events": [str(x) for x in used],
        "median_drawdown_saved": float(np.median(saved)) if len(used) else float("nan"),
        "hedge_cost_per_year": hedge_cost_per_year,
        "drawdown_saved_per_1pct_cost": per_cost,
        "rule": (
            f"events with an unhedged drawdown of at least {rules.min_unhedged_drawdown:.0%}, "
            "detected spikes only where they overlap no named event"
        ),
    }
