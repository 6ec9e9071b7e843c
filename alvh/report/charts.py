"""Charts for the daily report: inline SVG strings drawn by `alvh.report.svg` (issue 6).

Deterministic by construction (coordinates rounded to 0.1 pt, no dates, no ids), so re-rendering
a day gives byte-identical charts; text stays text, set in DejaVu Sans by the browser and by
WeasyPrint. Charts draw numbers the context builder hands over; they compute nothing of the
method.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from alvh.backtest.metrics import drawdown_series
from alvh.report.svg import (
    Box,
    Figure,
    LinearScale,
    TimeScale,
    data_range,
    date_ticks,
    nice_ticks,
    number_formatter,
    runs,
    text_width,
)

# The palette mirrors templates/report.css's CSS variables (the SVG cannot read them in PDF).
INK = "#1f2933"
MUTED = "#6b7785"
GRID = "#d9dee4"
HEDGED = "#1d5fa8"
UNHEDGED = "#c2410c"
THRESHOLD = "#b42318"
ACTIVE_FILL = "#f6c453"

DASH = "3 1.3"  # a dashed line at about 0.8 pt
TICK = 2.5  # tick length, pt
SIMULATED_TITLE = " — SIMULATED (same rules, not this book's history)"


def as_datetimes(dates: Sequence) -> np.ndarray:
    return np.asarray(dates, dtype="datetime64[ns]")


def x_limits(x: np.ndarray, margin: float = 0.0) -> tuple[np.datetime64, np.datetime64]:
    """First and last date, ± `margin` of the span; ±15 days around a single date."""
    if len(x) == 0:
        x = np.array(["1970-01-01"], dtype="datetime64[ns]")
    first, last = x.min(), x.max()
    if first == last:
        pad = np.timedelta64(15, "D")
        return first - pad, last + pad
    pad = (last - first) * margin
    return first - pad, last + pad


def left_margin(default: float, labels: Sequence[str], size: float) -> float:
    """The panel's left edge: `default`, or wider when the y tick labels need it."""
    widest = max((text_width(t, size) for t in labels), default=0.0)
    return max(default, widest + TICK + 4)


def _flush(labels_x: np.ndarray, labels: Sequence[str], size: float, width: float) -> list:
    """Shift x tick labels that would cross the chart's edge inwards (the tick stays put)."""
    out = []
    for x, label in zip(labels_x, labels, strict=True):
        half = text_width(label, size) / 2
        out.append(min(max(float(x), half + 0.5), width - half - 0.5))
    return out


def time_frame(
    panel, first, last, *, yticks, ylabels, size: float, xlabels: bool = True, yminor=()
):
    """Spines, y ticks and labels, date ticks and their labels (unless `xlabels` is False)."""
    box = panel.box
    max_ticks = max(2, int(box.width // (text_width("Oct 2026", size) + 10)))
    ticks, labels = date_ticks(first, last, max_ticks)
    panel.frame(
        color=MUTED,
        label_color=MUTED,
        size=size,
        xticks=ticks,
        xlabels=None,
        yticks=yticks,
        ylabels=ylabels,
        yminor=yminor,
        tick=TICK,
    )
    if xlabels and len(ticks):
        xs = _flush(panel.x(ticks), labels, size, panel.figure.width)
        base = box.bottom + TICK + 1.5 + 0.76 * size
        panel.figure.labels(
            [(x, base, t) for x, t in zip(xs, labels, strict=True)],
            size=size,
            color=MUTED,
            anchor="middle",
        )


def sparkline(
    name: str,
    dates: Sequence,
    values: np.ndarray,
    thresholds: np.ndarray,
    active: np.ndarray,
    *,
    symmetric: bool = False,
    percent: bool = False,
    markers: bool = False,
) -> str:
    """One signal over a year: its value, its threshold (dashed) and the days it was active.

    `symmetric` draws the threshold at ± (a |z| rule); `markers` draws points, for a value that
    exists only on release days; `percent` labels the axis in percent of the value.
    """
    x = as_datetimes(dates)
    values = np.asarray(values, dtype=float)
    thresholds = np.asarray(thresholds, dtype=float)
    active = np.asarray(active, dtype=bool)
    size = 6.0
    lo, hi = data_range(
        values,
        thresholds,
        -thresholds if symmetric else [],
        [0.0] if markers and np.isfinite(values).any() else [],
    )
    yticks = nice_ticks(lo, hi, 4)
    label = percent_axis if percent else number_formatter(yticks)
    ylabels = [label(t) for t in yticks]
    first, last = x_limits(x)
    span = f"{str(first)[:10]} to {str(last)[:10]}"
    fig = Figure(
        237.6,
        68.4,
        name=name,
        label=f"{name}: value, threshold (dashed) and days active (shaded), {span}",
    )
    box = Box(left_margin(31.0, ylabels, size), 4.1, 232.6, 54.7)
    panel = fig.panel(
        box, TimeScale(first, last, box.left, box.right), LinearScale(lo, hi, box.bottom, box.top)
    )
    panel.grid(ys=yticks, color=GRID)
    spans = runs(active[: len(x)])
    if spans:
        starts = [x[a] for a, _ in spans]
        stops = [x[b] if b < len(x) else x[b - 1] for _, b in spans]
        panel.spans(starts, stops, color=ACTIVE_FILL, opacity=0.45)
    if markers:
        have = np.isfinite(values)
        panel.hline(0.0, color=MUTED, width=0.4)
        panel.stems(x[have], values[have], color=HEDGED, width=0.8)
        panel.markers(x[have], values[have], color=HEDGED, size=2.4)
    else:
        panel.line(x, values, color=HEDGED, width=0.9)
    panel.step(x, thresholds, color=THRESHOLD, width=0.8, dash=DASH)
    if symmetric:
        panel.step(x, -thresholds, color=THRESHOLD, width=0.8, dash=DASH)
    if len(values) and np.isfinite(values[-1]):
        panel.markers(x[-1:], values[-1:], color=INK, size=2.8)
    time_frame(panel, first, last, yticks=yticks, ylabels=ylabels, size=size)
    return fig.svg()


def equity_chart(
    name: str,
    dates: Sequence,
    hedged: np.ndarray,
    unhedged: np.ndarray,
    *,
    simulated: bool,
    hedged_label: str = "hedged (condors + hedge + cash)",
    unhedged_label: str = "unhedged (condors + cash)",
) -> str:
    """Equity (top) and drawdown from the running peak (bottom), hedged vs unhedged (§4.3).

    A simulated history carries the word *simulated* in its title and a watermark.
    """
    x = as_datetimes(dates)
    hedged = np.asarray(hedged, dtype=float)
    unhedged = np.asarray(unhedged, dtype=float)
    drawdowns = [drawdown_series(series) for series in (hedged, unhedged)]
    size = 7.0
    top_lo, top_hi = data_range(hedged, unhedged)
    top_ticks = nice_ticks(top_lo, top_hi, 6)
    top_labels = [money_axis(t) for t in top_ticks]
    dd_lo, dd_hi = data_range(*drawdowns)
    dd_ticks = nice_ticks(dd_lo, dd_hi, 5)
    dd_labels = [percent_axis(t) for t in dd_ticks]
    first, last = x_limits(x, margin=0.05 if len(x) < 3 else 0.0)

    title = "Equity, USD" + (SIMULATED_TITLE if simulated else "")
    fig = Figure(
        518.4,
        237.6,
        name=name,
        label=f"{title}, and drawdown from the running peak: hedged vs unhedged, "
        f"{str(first)[:10]} to {str(last)[:10]}",
    )
    left = left_margin(46.7, top_labels + dd_labels, size)
    top_box = Box(left, 19.0, 508.0, 133.0)
    bottom_box = Box(left, 152.1, 508.0, 213.8)
    xscale = TimeScale(first, last, left, 508.0)
    top = fig.panel(top_box, xscale, LinearScale(top_lo, top_hi, top_box.bottom, top_box.top))
    bottom = fig.panel(
        bottom_box, xscale, LinearScale(dd_lo, dd_hi, bottom_box.bottom, bottom_box.top)
    )
    few = len(x) < 3
    top.grid(ys=top_ticks, color=GRID)
    bottom.grid(ys=dd_ticks, color=GRID)
    for series, drawdown, color in (
        (hedged, drawdowns[0], HEDGED),
        (unhedged, drawdowns[1], UNHEDGED),
    ):
        top.line(x, series, color=color, width=1.1)
        bottom.line(x, drawdown, color=color, width=1.1)
        if few:
            top.markers(x, series, color=color, size=3.0)
            bottom.markers(x, drawdown, color=color, size=3.0)
    time_frame(top, first, last, yticks=top_ticks, ylabels=top_labels, size=size, xlabels=False)
    time_frame(bottom, first, last, yticks=dd_ticks, ylabels=dd_labels, size=size)
    top.title(title, color=INK)
    bottom.title("Drawdown from the running peak", color=INK)
    fig.legend(
        [(hedged_label, HEDGED, "line"), (unhedged_label, UNHEDGED, "line")],
        x=top_box.left + 6,
        y=top_box.top + 9,
        size=6.5,
    )
    if simulated:
        fig.text(
            0.55 * fig.width,
            0.38 * fig.height + 12,
            "SIMULATED",
            size=34.0,
            color=MUTED,
            anchor="middle",
            bold=True,
            opacity=0.18,
            rotate=-12.0,
        )
    return fig.svg()


def percent_axis(value: float, _pos=None) -> str:
    text = f"{100 * value:.1f}".rstrip("0").rstrip(".")
    return ("0" if text in ("-0", "") else text).replace("-", "\u2212") + "%"


def money_axis(value: float, _pos=None) -> str:
    sign = "\u2212" if value < 0 else ""
    return f"{sign}${abs(value):,.0f}"


# one color per risk-graph horizon: today, +5 days, then each expiry (issue 12)
RISK_COLORS = (INK, HEDGED, UNHEDGED, "#2f855a", "#7c3aed", "#b7791f", MUTED)


def risk_graph(name: str, curves: Sequence, spot: float) -> str:
    """The book's P&L against SPX, one line per horizon (today, +5 days, each expiry), with
    zero and today's SPX marked: the desk's risk graph (issue 12, method §4.4)."""
    size = 6.5
    spx = np.concatenate([c.spx for c in curves])
    lo_y, hi_y = data_range(*[c.pnl for c in curves], np.zeros(1))
    yticks = nice_ticks(lo_y, hi_y, 6)
    ylabels = [money_axis(t) for t in yticks]
    xticks = nice_ticks(float(spx.min()), float(spx.max()), 6)
    xlabel = number_formatter(xticks)
    fig = Figure(
        300.0,
        200.0,
        name=name,
        label="Book P&L in USD against SPX at the close of today, in 5 trading days and at each "
        "expiry, VIX along the §2.4 fit",
    )
    left = left_margin(40.0, ylabels, size)
    box = Box(left, 18.0, 294.0, 178.0)
    panel = fig.panel(
        box,
        LinearScale(float(spx.min()), float(spx.max()), box.left, box.right),
        LinearScale(lo_y, hi_y, box.bottom, box.top),
    )
    panel.grid(ys=yticks, color=GRID)
    panel.hline(0.0, color=MUTED, width=0.6)
    panel.vline(spot, color=THRESHOLD, width=0.5)
    items = []
    for curve, color in zip(curves, RISK_COLORS * 3, strict=False):
        dash = DASH if curve.label.startswith("expiry") else None
        panel.line(curve.spx, curve.pnl, color=color, width=1.0, dash=dash)
        items.append((curve.label, color, "dashed" if dash else "line"))
    inside = [t for t in xticks if spx.min() <= t <= spx.max()]
    panel.frame(
        color=MUTED,
        label_color=MUTED,
        size=size,
        xticks=inside,
        xlabels=[xlabel(t) for t in inside],
        yticks=yticks,
        ylabels=ylabels,
        tick=TICK,
    )
    panel.title("Book P&L vs SPX, USD", size=7.5, color=INK)
    fig.legend(items, x=box.left + 4, y=box.top + 8, size=5.8)
    return fig.svg()
