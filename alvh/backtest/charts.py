"""Charts for the backtest report: equity per variant, underwater curves, the hedge cost split.

Drawn with the daily report's SVG primitives (`alvh.report.svg`) and its palette and tick
formats (`alvh.report.charts`): the same deterministic inline SVG. Charts draw the arrays they
are handed; they compute nothing of the method beyond the running-peak drawdown already in each
`VariantResult`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from alvh.report.charts import (
    GRID,
    HEDGED,
    INK,
    MUTED,
    TICK,
    UNHEDGED,
    as_datetimes,
    left_margin,
    money_axis,
    percent_axis,
    time_frame,
    x_limits,
)
from alvh.report.svg import (
    Box,
    Figure,
    LinearScale,
    LogScale,
    TimeScale,
    data_range,
    log_minor_ticks,
    log_ticks,
    nice_ticks,
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

WIDTH = 518.4  # pt: 7.2 in, the report's text width
SIZE = 7.0  # tick labels, pt
LEGEND = 6.5  # legend text, pt


def variant_color(name: str, order: int = 0) -> str:
    return VARIANT_COLORS.get(name, _FALLBACK[order % len(_FALLBACK)])


def _span(x: np.ndarray) -> str:
    return f"{str(x.min())[:10]} to {str(x.max())[:10]}" if len(x) else "no days"


def _title_and_legend(fig: Figure, box: Box, title: str, names: Sequence[str]) -> None:
    """Title at the left over the panel; the legend on the same line, right-aligned."""
    fig.text(box.left, box.top - 4, title, size=8.0, color=INK, bold=True)
    items = [(n, variant_color(n, i), "line") for i, n in enumerate(names)]
    fig.legend(items, x=box.right, y=box.top - 4, size=LEGEND, align="right")


def equity_curves(
    name: str, dates: Sequence, equity: Mapping[str, np.ndarray], *, log: bool = True
) -> str:
    """Equity in USD of every variant on one chart; log scale by default (decades of growth)."""
    x = as_datetimes(dates)
    series = {v: np.asarray(values, float) for v, values in equity.items()}
    lo, hi = data_range(*series.values(), log=log)
    if log:
        yticks, minor = log_ticks(lo, hi, 8), log_minor_ticks(lo, hi)
    else:
        yticks, minor = nice_ticks(lo, hi, 7), []
    ylabels = [money_axis(t) for t in yticks]
    scale = "log" if log else "linear"
    title = f"Equity, USD ({scale} scale)"
    fig = Figure(WIDTH, 216.0, name=name, label=f"{title} per variant, {_span(x)}")
    box = Box(left_margin(51.8, ylabels, SIZE), 21.6, 508.0, 194.4)
    first, last = x_limits(x)
    yscale = (LogScale if log else LinearScale)(lo, hi, box.bottom, box.top)
    panel = fig.panel(box, TimeScale(first, last, box.left, box.right), yscale)
    panel.grid(ys=yticks, color=GRID)
    for i, (variant, values) in enumerate(series.items()):
        width = 1.3 if variant in ("unhedged", "alvh") else 0.9
        panel.line(x, values, color=variant_color(variant, i), width=width)
    time_frame(panel, first, last, yticks=yticks, ylabels=ylabels, yminor=minor, size=SIZE)
    _title_and_legend(fig, box, title, list(series))
    return fig.svg()


def underwater_chart(name: str, dates: Sequence, drawdown: Mapping[str, np.ndarray]) -> str:
    """Drawdown from the running peak, every variant overlaid; the unhedged book shaded."""
    x = as_datetimes(dates)
    series = {v: np.asarray(values, float) for v, values in drawdown.items()}
    lo, hi = data_range(*series.values(), [0.0])
    yticks = nice_ticks(lo, hi, 8)
    ylabels = [percent_axis(t) for t in yticks]
    title = "Underwater: drawdown from the running peak"
    fig = Figure(WIDTH, 172.8, name=name, label=f"{title} per variant, {_span(x)}")
    box = Box(left_margin(51.8, ylabels, SIZE), 20.7, 508.0, 152.1)
    first, last = x_limits(x)
    panel = fig.panel(
        box, TimeScale(first, last, box.left, box.right), LinearScale(lo, hi, box.bottom, box.top)
    )
    panel.grid(ys=yticks, color=GRID)
    for i, (variant, values) in enumerate(series.items()):
        if variant == "unhedged":
            panel.fill_to(x, values, color=variant_color(variant, i), opacity=0.15)
    for i, (variant, values) in enumerate(series.items()):
        panel.line(x, values, color=variant_color(variant, i), width=0.8)
    panel.hline(0.0, color=MUTED, width=0.4)
    time_frame(panel, first, last, yticks=yticks, ylabels=ylabels, size=SIZE)
    _title_and_legend(fig, box, title, list(series))
    return fig.svg()


def hedge_cost_bars(name: str, splits: Mapping[str, Mapping[str, float]]) -> str:
    """Per hedged variant: the cost components stacked (payoff below zero) and the net cost.

    `splits` maps variant → {premium_decay, futures_roll_down, spread_cost, vix_move_payoff}, as
    fractions of equity per year; the payoff is drawn as a negative bar (it reduces the cost).
    """
    variants = list(splits)
    n = len(variants)
    rows = np.arange(n, dtype=float)
    parts = []  # (label, colour, lefts, widths)
    pos, neg = np.zeros(n), np.zeros(n)
    for key, label, color in COST_PARTS:
        values = np.array([float(splits[v].get(key) or 0.0) for v in variants])
        if key == "vix_move_payoff":
            values = -values
        lefts = np.where(values >= 0, pos, neg)
        parts.append((label, color, lefts, values))
        pos += np.clip(values, 0, None)
        neg += np.clip(values, None, 0)
    net = pos + neg
    lo, hi = data_range(pos, neg, net, [0.0])
    xticks = nice_ticks(lo, hi, 9)
    height = (0.75 + 0.3 * max(n, 2)) * 72  # 0.3 in per bar, 0.3 in below, 0.25 in above
    fig = Figure(
        WIDTH,
        height,
        name=name,
        label="Hedge cost per year, % of equity, per variant: " + ", ".join(variants),
    )
    box = Box(left_margin(51.8, variants, SIZE), 18.0, 373.2, height - 21.6)
    rows_scale = LinearScale(-0.6, n - 0.4, box.top, box.bottom)  # first variant at the top
    panel = fig.panel(box, LinearScale(lo, hi, box.left, box.right), rows_scale)
    panel.grid(xs=xticks, color=GRID)
    for _label, color, lefts, widths in parts:
        panel.hbars(rows, lefts, widths, color=color, thickness=0.55)
    panel.markers(net, rows, color=INK, size=5.5, shape="diamond")
    panel.vline(0.0, color=MUTED, width=0.5)
    panel.frame(
        color=MUTED,
        label_color=MUTED,
        size=SIZE,
        xticks=xticks,
        xlabels=[percent_axis(t) for t in xticks],
        yticks=rows,
        ylabels=variants,
        tick=TICK,
    )
    panel.title("Hedge cost per year, % of equity", color=INK)
    items = [("net cost", INK, "diamond")] + [(label, color, "box") for label, color, *_ in parts]
    first = (box.top + box.bottom) / 2 - 1.5 * LEGEND * (len(items) - 1) / 2 + 0.33 * LEGEND
    fig.legend(items, x=box.right + 0.02 * box.width, y=first, size=LEGEND, column=True)
    return fig.svg()
