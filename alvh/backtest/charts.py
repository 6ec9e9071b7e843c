"""Charts for the backtest report: equity per variant, underwater curves, the hedge cost split.

Built on the daily report's helpers (`alvh.report.charts`): the same deterministic inline SVG,
palette, axes and tick formats. Charts draw the arrays they are handed; they compute nothing of
the method beyond the running-peak drawdown already in each `VariantResult`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib
import matplotlib.dates as mdates
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from alvh.report.charts import (
    _RC,
    GRID,
    HEDGED,
    INK,
    MUTED,
    UNHEDGED,
    _date_axis,
    _figure,
    _money_axis,
    _percent_axis,
    _style_axes,
    to_svg,
)

__all__ = ["VARIANT_COLORS", "equity_curves", "hedge_cost_bars", "underwater_chart"]

# unhedged and the full method keep the daily report's hues; the other variants sit between.
VARIANT_COLORS = {
    "unhedged": UNHEDGED,
    "vxth": "#7c3aed",
    "l1": "#2f9e44",
    "l1l2": "#0e7490",
    "alvh": HEDGED,
}
_FALLBACK = ("#a16207", "#be185d", "#4b5563")

# The cost split: each component's label and colour (cost = decay + roll-down + spread − payoff).
COST_PARTS = (
    ("premium_decay", "premium decay", "#c2410c"),
    ("futures_roll_down", "futures roll-down", "#f59e0b"),
    ("spread_cost", "spread cost", "#6b7785"),
    ("vix_move_payoff", "payoff from VIX moves (−)", "#2f9e44"),
)


def variant_color(name: str, order: int = 0) -> str:
    return VARIANT_COLORS.get(name, _FALLBACK[order % len(_FALLBACK)])


def _span_days(x: np.ndarray) -> float:
    return float((x[-1] - x[0]) / np.timedelta64(1, "D")) if len(x) > 1 else 0.0


def _time_axis(ax, x: np.ndarray) -> None:
    """The report's date axis; over decades, a year label every 2 or 5 years so none overlap."""
    span = _span_days(x)
    _date_axis(ax, span)
    years = span / 365.25
    if years > 12:
        ax.xaxis.set_major_locator(mdates.YearLocator(5 if years > 25 else 2))
    if len(x) > 1:
        ax.set_xlim(x[0], x[-1])


def _legend(ax, ncol: int) -> None:
    """Legend on the title's line, right-aligned, off the curves."""
    ax.legend(
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        frameon=False,
        fontsize=6.5,
        ncol=ncol,
        borderaxespad=0.2,
        handlelength=1.6,
        columnspacing=1.2,
    )


def equity_curves(
    name: str, dates: Sequence, equity: Mapping[str, np.ndarray], *, log: bool = True
) -> str:
    """Equity in USD of every variant on one chart; log scale by default (decades of growth)."""
    x = np.asarray(dates, dtype="datetime64[ns]")
    fig = _figure(7.2, 3.0)
    with matplotlib.rc_context(_RC):
        ax = fig.add_axes((0.1, 0.1, 0.88, 0.8))
        _style_axes(ax)
        for i, (variant, values) in enumerate(equity.items()):
            width = 1.3 if variant in ("unhedged", "alvh") else 0.9
            ax.plot(
                x,
                np.asarray(values, float),
                color=variant_color(variant, i),
                lw=width,
                label=variant,
            )
        if log:
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_major_formatter(FuncFormatter(_money_axis))
        ax.set_title(f"Equity, USD ({'log' if log else 'linear'} scale)", loc="left")
        _legend(ax, len(equity))
        _time_axis(ax, x)
    return to_svg(fig, name)


def underwater_chart(name: str, dates: Sequence, drawdown: Mapping[str, np.ndarray]) -> str:
    """Drawdown from the running peak, every variant overlaid; the unhedged book shaded."""
    x = np.asarray(dates, dtype="datetime64[ns]")
    fig = _figure(7.2, 2.4)
    with matplotlib.rc_context(_RC):
        ax = fig.add_axes((0.1, 0.12, 0.88, 0.76))
        _style_axes(ax)
        for i, (variant, values) in enumerate(drawdown.items()):
            values = np.asarray(values, float)
            color = variant_color(variant, i)
            if variant == "unhedged":
                ax.fill_between(x, values, 0.0, color=color, alpha=0.15, linewidth=0)
            ax.plot(x, values, color=color, lw=0.8, label=variant)
        ax.axhline(0, color=MUTED, linewidth=0.4)
        ax.yaxis.set_major_formatter(FuncFormatter(_percent_axis))
        ax.set_title("Underwater: drawdown from the running peak", loc="left")
        _legend(ax, len(drawdown))
        _time_axis(ax, x)
    return to_svg(fig, name)


def hedge_cost_bars(name: str, splits: Mapping[str, Mapping[str, float]]) -> str:
    """Per hedged variant: the cost components stacked (payoff below zero) and the net cost.

    `splits` maps variant → {premium_decay, futures_roll_down, spread_cost, vix_move_payoff}, as
    fractions of equity per year; the payoff is drawn as a negative bar (it reduces the cost).
    """
    variants = list(splits)
    y = np.arange(len(variants))
    height = 0.75 + 0.3 * max(len(variants), 2)  # inches: 0.3 below the bars, 0.25 above
    fig = _figure(7.2, height)
    with matplotlib.rc_context(_RC):
        ax = fig.add_axes((0.1, 0.3 / height, 0.62, 1 - 0.55 / height))
        _style_axes(ax)
        ax.grid(False, axis="y")
        ax.grid(True, axis="x", color=GRID, linewidth=0.4)
        pos = np.zeros(len(variants))
        neg = np.zeros(len(variants))
        for key, label, color in COST_PARTS:
            values = np.array([float(splits[v].get(key) or 0.0) for v in variants])
            if key == "vix_move_payoff":
                values = -values
            left = np.where(values >= 0, pos, neg)
            ax.barh(y, values, left=left, height=0.55, color=color, label=label, linewidth=0)
            pos += np.clip(values, 0, None)
            neg += np.clip(values, None, 0)
        net = pos + neg
        ax.plot(net, y, "D", color=INK, markersize=3.2, label="net cost")
        ax.axvline(0, color=MUTED, linewidth=0.5)
        ax.set_yticks(y, variants)
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(FuncFormatter(_percent_axis))
        ax.set_title("Hedge cost per year, % of equity", loc="left")
        ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False, fontsize=6.5)
    return to_svg(fig, name)
