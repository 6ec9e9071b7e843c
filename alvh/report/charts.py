"""Charts for the daily report: matplotlib figures as inline SVG strings (issue 6).

Deterministic by construction, so re-rendering a day gives byte-identical SVG: the Agg backend,
a fixed `svg.hashsalt`, no creation date or creator in the metadata, text kept as text
(`svg.fonttype = none`, drawn by the system's fonts in the browser and in WeasyPrint), and every
element id prefixed with the chart's own name so several charts can share one HTML page.

Charts draw numbers the context builder hands over; they compute nothing of the method.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display, same output everywhere

import matplotlib.dates as mdates
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

# The palette mirrors templates/report.css's CSS variables (the SVG cannot read them in PDF).
INK = "#1f2933"
MUTED = "#6b7785"
GRID = "#d9dee4"
HEDGED = "#1d5fa8"
UNHEDGED = "#c2410c"
THRESHOLD = "#b42318"
ACTIVE_FILL = "#f6c453"

_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "alvh-report",
    "svg.image_inline": True,
    "font.family": "DejaVu Sans",
    "font.size": 7.0,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.linewidth": 0.6,
    "axes.titlesize": 8.0,
    "axes.titleweight": "bold",
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.major.width": 0.5,
    "ytick.major.width": 0.5,
    "xtick.major.size": 2.5,
    "ytick.major.size": 2.5,
    "lines.linewidth": 1.1,
    "path.simplify": True,
    # merge segments that deviate less than a pixel: a 3-year daily curve keeps its shape in a
    # fraction of the SVG (and of WeasyPrint's time)
    "path.simplify_threshold": 0.9,
}
_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|href="#)([^")]+)')


def to_svg(fig: Figure, name: str) -> str:
    """The figure as an `<svg>` element for inline use; ids are prefixed with `name`."""
    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buffer, format="svg", metadata=_METADATA)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # drop the XML declaration and DOCTYPE
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    slug = re.sub(r"[^a-zA-Z0-9_-]", "-", name)
    text = _ID.sub(lambda m: f'id="{slug}-{m.group(1)}"', text)
    text = _REF.sub(lambda m: f"{m.group(1)}{slug}-{m.group(2)}", text)
    return text.replace("<svg ", f'<svg class="chart-svg" data-chart="{slug}" ', 1)


def _figure(width_in: float, height_in: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width_in, height_in), dpi=100)


def _style_axes(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(True, axis="y", color=GRID, linewidth=0.4)
    ax.set_axisbelow(True)


def _date_axis(ax, span_days: float) -> None:
    if span_days > 500:
        locator = mdates.YearLocator()
        formatter = mdates.DateFormatter("%Y")
    else:
        locator = mdates.MonthLocator(bymonth=(1, 4, 7, 10))
        formatter = mdates.DateFormatter("%b %Y")
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(formatter)


def _spans(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index pairs of consecutive True runs."""
    spans, start = [], None
    for i, flag in enumerate(mask):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            spans.append((start, i - 1))
            start = None
    if start is not None:
        spans.append((start, len(mask) - 1))
    return spans


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
    x = np.asarray(dates, dtype="datetime64[ns]")
    values = np.asarray(values, dtype=float)
    thresholds = np.asarray(thresholds, dtype=float)
    active = np.asarray(active, dtype=bool)
    fig = _figure(3.3, 0.95)
    with matplotlib.rc_context(_RC):
        ax = fig.add_axes((0.13, 0.2, 0.85, 0.74))
        _style_axes(ax)
        for first, last in _spans(active):
            right = x[last + 1] if last + 1 < len(x) else x[last]
            ax.axvspan(x[first], right, color=ACTIVE_FILL, alpha=0.45, linewidth=0)
        if markers:
            have = np.isfinite(values)
            ax.vlines(x[have], 0, values[have], color=HEDGED, linewidth=0.8)
            ax.plot(x[have], values[have], "o", color=HEDGED, markersize=2.4)
            ax.axhline(0, color=MUTED, linewidth=0.4)
        else:
            ax.plot(x, values, color=HEDGED, linewidth=0.9)
        ax.step(x, thresholds, where="post", color=THRESHOLD, linewidth=0.8, linestyle="--")
        if symmetric:
            ax.step(x, -thresholds, where="post", color=THRESHOLD, linewidth=0.8, linestyle="--")
        last_value = values[np.isfinite(values)]
        if len(last_value) and np.isfinite(values[-1]):
            ax.plot(x[-1:], values[-1:], "o", color=INK, markersize=2.8)
        _date_axis(ax, 366)
        ax.set_xlim(x[0], x[-1])
        if percent:
            ax.yaxis.set_major_formatter(FuncFormatter(_percent_axis))
        ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(3))
        ax.tick_params(labelsize=6)
    return to_svg(fig, name)


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
    x = np.asarray(dates, dtype="datetime64[ns]")
    hedged = np.asarray(hedged, dtype=float)
    unhedged = np.asarray(unhedged, dtype=float)
    fig = _figure(7.2, 3.3)
    with matplotlib.rc_context(_RC):
        top = fig.add_axes((0.09, 0.44, 0.89, 0.48))
        bottom = fig.add_axes((0.09, 0.1, 0.89, 0.26), sharex=top)
        for ax in (top, bottom):
            _style_axes(ax)
        marker = "o" if len(x) < 3 else None
        top.plot(x, hedged, color=HEDGED, label=hedged_label, marker=marker, markersize=3)
        top.plot(x, unhedged, color=UNHEDGED, label=unhedged_label, marker=marker, markersize=3)
        top.yaxis.set_major_formatter(FuncFormatter(_money_axis))
        top.legend(loc="upper left", frameon=False, fontsize=6.5, ncol=2)
        title = "Equity, USD" + (
            " — SIMULATED (same rules, not this book's history)" if simulated else ""
        )
        top.set_title(title, loc="left")
        for series, color in ((hedged, HEDGED), (unhedged, UNHEDGED)):
            peak = np.maximum.accumulate(series)
            with np.errstate(invalid="ignore", divide="ignore"):
                drawdown = np.where(peak > 0, series / peak - 1.0, 0.0)
            bottom.plot(x, drawdown, color=color, marker=marker, markersize=3)
        bottom.yaxis.set_major_formatter(FuncFormatter(_percent_axis))
        bottom.set_title("Drawdown from the running peak", loc="left")
        span = float((x[-1] - x[0]) / np.timedelta64(1, "D")) if len(x) > 1 else 0.0
        _date_axis(bottom, span)
        if len(x) == 1:
            pad = np.timedelta64(15, "D")
            top.set_xlim(x[0] - pad, x[0] + pad)
        top.tick_params(labelbottom=False)
        if simulated:
            fig.text(
                0.55,
                0.62,
                "SIMULATED",
                color=MUTED,
                alpha=0.18,
                fontsize=34,
                fontweight="bold",
                ha="center",
                va="center",
                rotation=12,
            )
    return to_svg(fig, name)


def _percent_axis(value: float, _pos) -> str:
    text = f"{100 * value:.1f}".rstrip("0").rstrip(".")
    return ("0" if text in ("-0", "") else text).replace("-", "\u2212") + "%"


def _money_axis(value: float, _pos) -> str:
    sign = "\u2212" if value < 0 else ""
    return f"{sign}${abs(value):,.0f}"
