"""Arrays to an inline `<svg>` element: scales, ticks and a few drawing primitives (issue 6).

The report's charts are simple (lines, step lines, shaded spans, markers, bars, a few ticks), so
they are drawn here as hand-built SVG rather than through a plotting library, for three reasons:

- speed: no plotting library to import in every `alvh run`, and a lean SVG is cheap for
  WeasyPrint to cascade, lay out and draw (it lays SVG text out glyph by glyph, so every
  element and every character counts);
- determinism: coordinates are rounded to 0.1 pt and written in a fixed order, so re-rendering
  a day gives a byte-identical chart;
- size: a line keeps only the lowest and highest point of each 1 pt column it crosses (plus its
  ends), then only the points that lie more than 0.25 pt off the line through the others
  (Douglas-Peucker), so a 9,000-day series stays a few kB and looks the same.

Units are points: `viewBox="0 0 W H"` with `width="Wpt"`, so a font size of 6 is 6 pt at the
chart's natural size. Styling uses presentation attributes only (no `style=` and no `<style>`:
WeasyPrint reports each SVG property in CSS as unknown), and no element carries an id, so several
charts can share one HTML page. All text is XML-escaped.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "FONT",
    "Box",
    "Figure",
    "LinearScale",
    "LogScale",
    "Panel",
    "TimeScale",
    "data_range",
    "date_ticks",
    "log_ticks",
    "nice_ticks",
    "number_formatter",
    "runs",
    "text_width",
]

FONT = "DejaVu Sans, sans-serif"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
EPOCH = np.datetime64("1970-01-01", "ns")
DAY = np.timedelta64(1, "D")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
TOLERANCE = 0.25  # pt: a dropped point lies at most this far from the line drawn

# DejaVu Sans advance widths in 1/1000 em for " " … "~" (from the font's hmtx table): enough to
# place legends and size margins without a font library. Bold is about 10 % wider.
_WIDTHS = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337,
    636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531,
    1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,
    603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500,
    500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
)  # fmt: skip


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Approximate width in pt of `text` set in DejaVu Sans at `size` pt."""
    total = 0
    for char in text:
        code = ord(char)
        total += _WIDTHS[code - 32] if 32 <= code < 127 else (318 if char == "·" else 838)
    return total * size / 1000 * (1.1 if bold else 1.0)


def _num(value: float) -> str:
    """A coordinate rounded to 0.1, without a trailing `.0` or a negative zero."""
    return _tenths(int(round(value * 10)))


def _tenths(q: int) -> str:
    sign = "-" if q < 0 else ""
    whole, frac = divmod(abs(q), 10)
    return f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}"


def _escape(text: str) -> str:
    """Text for XML content or a double-quoted attribute: `&<>"'` escaped, control characters
    (not allowed in XML) dropped.

    `html.escape` rather than `xml.sax.saxutils`, which imports `urllib.request` (and with it
    `http.client`, `email`, …) for nothing here.
    """
    return html.escape(_CONTROL.sub("", str(text)), quote=True)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs, stop exclusive, of the consecutive True runs in `mask`."""
    flags = np.concatenate(([False], np.asarray(mask, dtype=bool), [False])).astype(np.int8)
    edges = np.diff(flags)
    return list(
        zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True)
    )


# --- scales -----------------------------------------------------------------------------------


class LinearScale:
    """Data values in [lo, hi] to pixels in [start, end] (end < start for a y axis)."""

    def __init__(self, lo: float, hi: float, start: float, end: float) -> None:
        self.lo, self.hi, self.start, self.end = float(lo), float(hi), float(start), float(end)

    def _t(self, values) -> np.ndarray:
        return np.asarray(values, dtype=float)

    def __call__(self, values) -> np.ndarray:
        t = self._t(values)
        lo, hi = self._t(self.lo), self._t(self.hi)
        span = (hi - lo) or 1.0  # an empty domain maps everything to `start`, not to NaN
        return self.start + (t - lo) / span * (self.end - self.start)


class LogScale(LinearScale):
    """Positive values to pixels by their log10; zero and negative values map to NaN (gaps)."""

    def _t(self, values) -> np.ndarray:
        v = np.asarray(values, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), np.nan)


class TimeScale(LinearScale):
    """numpy datetime64 values (or float days since 1970) to pixels, linear in days."""

    def __init__(self, first, last, start: float, end: float) -> None:
        super().__init__(_days(first), _days(last), start, end)

    def _t(self, values) -> np.ndarray:
        v = np.asarray(values)
        return v.astype(float) if v.dtype.kind == "f" else _days(v)


def _days(values) -> np.ndarray:
    return (np.asarray(values, dtype="datetime64[ns]") - EPOCH) / DAY


# --- ticks ------------------------------------------------------------------------------------


def data_range(*arrays, margin: float = 0.05, log: bool = False) -> tuple[float, float]:
    """The finite extent of `arrays` widened by `margin` of the span on each side.

    On a log scale the margin is taken in log space and non-positive values are ignored. A flat
    range is padded by 5 % of its value (0.05 around zero) so a constant series sits mid-panel;
    no finite value at all gives (0, 1), or (1, 10) on a log scale.
    """
    parts = [np.asarray(a, dtype=float).ravel() for a in arrays]
    v = np.concatenate(parts) if parts else np.array([])
    v = v[np.isfinite(v)]
    if log:
        v = v[v > 0]
        if not len(v):
            return 1.0, 10.0
        lo, hi = data_range(np.log10(v), margin=margin)
        return 10.0**lo, 10.0**hi
    if not len(v):
        return 0.0, 1.0
    lo, hi = float(v.min()), float(v.max())
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):
        pad = 0.05 * abs(hi) if hi else 0.05
        return lo - pad, hi + pad
    pad = margin * (hi - lo)
    return lo - pad, hi + pad


def nice_ticks(lo: float, hi: float, max_ticks: int = 5) -> list[float]:
    """Multiples of the finest 1, 2 or 5 × 10^k step that puts at most `max_ticks` in [lo, hi].

    >>> nice_ticks(0, 0.93)
    [0.0, 0.2, 0.4, 0.6, 0.8]
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    exponent = math.floor(math.log10((hi - lo) / max(max_ticks, 1)))
    previous: list[float] = []
    for k in range(exponent - 1, exponent + 3):
        for m in (1, 2, 5):
            step = m * 10.0**k
            first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
            ticks = [round(i * step, 12) + 0.0 for i in range(first, last + 1)]
            if len(ticks) <= max_ticks:
                # a coarser step that leaves a single tick helps nobody: keep the finer one
                return ticks if len(ticks) >= 2 or not previous else previous
            previous = ticks
    return previous


def log_ticks(lo: float, hi: float, max_ticks: int = 8) -> list[float]:
    """1, 2 and 5 per decade in [lo, hi]; 1 per decade (or fewer) when that is too many.

    A range inside one decade, with fewer than two such ticks, gets `nice_ticks` instead.
    """
    if not (lo > 0 and hi > lo):
        return []
    k0, k1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))

    def within(subs: Sequence[int], every: int = 1) -> list[float]:
        values = (m * 10.0**k for k in range(k0, k1 + 1) if k % every == 0 for m in subs)
        return [v for v in values if lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9)]

    ticks = within((1, 2, 5))
    if len(ticks) < 2:
        return nice_ticks(lo, hi, max_ticks)
    if len(ticks) <= max_ticks:
        return ticks
    every = 1
    while len(ticks := within((1,), every)) > max_ticks:
        every += 1
    return ticks


def log_minor_ticks(lo: float, hi: float) -> list[float]:
    """2…9 × 10^k in [lo, hi]: unlabelled minor ticks of a log axis."""
    if not (lo > 0 and hi > lo):
        return []
    k0, k1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    values = (m * 10.0**k for k in range(k0, k1 + 1) for m in range(2, 10))
    return [v for v in values if lo <= v <= hi]


def number_formatter(ticks: Sequence[float]) -> Callable[[float], str]:
    """Plain tick labels with as few decimals as tell `ticks` apart exactly, a U+2212 minus."""
    decimals = 0
    while decimals < 8 and any(
        abs(round(v, decimals) - v) > 1e-9 * max(1.0, abs(v)) for v in ticks
    ):
        decimals += 1

    def label(value: float) -> str:
        text = f"{value:.{decimals}f}"
        if float(text) == 0:
            return "0"
        return text.replace("-", "\u2212")

    return label


def date_ticks(first, last, max_ticks: int = 8) -> tuple[np.ndarray, list[str]]:
    """Date ticks in [first, last] and their labels.

    More than 500 days: 1 January of every year ("%Y"), or of every 2nd, 5th, 10th … year when
    that is more than `max_ticks`. Otherwise the first days of January, April, July and October
    ("%b %Y"; half-years or years when too many), of every month when fewer than two quarters
    start inside, and days ("%d %b") when fewer than two months do.
    """
    # ticks fall on midnights: the first one on or after `first`, the last on or before `last`
    first = (np.datetime64(first, "ns") + (DAY - np.timedelta64(1, "ns"))).astype("datetime64[D]")
    last = np.datetime64(last, "ns").astype("datetime64[D]")
    span = int((last - first) / DAY)
    if span > 500:
        years = np.arange(first.astype("datetime64[Y]"), last.astype("datetime64[Y]") + 1)
        years = years[years.astype("datetime64[D]") >= first]
        numbers = years.astype(int) + 1970
        for step in (1, 2, 5, 10, 20, 50, 100):
            chosen = numbers[numbers % step == 0]
            if len(chosen) <= max_ticks:
                break
        ticks = (chosen - 1970).astype("datetime64[Y]").astype("datetime64[D]")
        return ticks, [str(y) for y in chosen.tolist()]
    months = np.arange(first.astype("datetime64[M]"), last.astype("datetime64[M]") + 1)
    months = months[months.astype("datetime64[D]") >= first]
    index = months.astype(int)  # months since January 1970: 0 is a January
    chosen = months[index % 3 == 0]
    for every in (6, 12):
        if len(chosen) <= max_ticks:
            break
        chosen = months[index % every == 0]
    if len(chosen) < 2:
        chosen = months
    if len(chosen) >= 2:
        labels = [f"{MONTHS[m % 12]} {1970 + m // 12}" for m in chosen.astype(int).tolist()]
        return chosen.astype("datetime64[D]"), labels
    for step in (1, 2, 5, 7, 14, 28):
        days = np.arange(first, last + 1, step)
        if len(days) <= max_ticks:
            break
    labels = [f"{int(d.astype(object).day)} {MONTHS[d.astype(object).month - 1]}" for d in days]
    return days, labels


# --- drawing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """A pixel rectangle: the plotting area of a panel."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


def _short(value: float) -> str:
    """A size or an opacity: at most two decimals."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _attrs(**attributes) -> str:
    """Presentation attributes, underscores spelled as hyphens; None values left out.

    Coordinates come formatted (`_num`); a float here is a size or an opacity.
    """
    parts = []
    for key, value in attributes.items():
        if value is None:
            continue
        text = _short(value) if isinstance(value, float) else str(value)
        parts.append(f'{key.replace("_", "-")}="{_escape(text)}"')
    return " ".join(parts)


def _points(
    px: np.ndarray, py: np.ndarray, column: float | None, tolerance: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Pixel points in 0.1 pt integers, thinned without a visible change.

    With `column` (pt) and x never decreasing, each column keeps only its lowest and highest
    point (and the run keeps its first and last); then repeated points and the inner points of
    straight runs go; then, with `tolerance` (pt), every point within that distance of the line
    drawn without it.
    """
    qx = np.rint(px * 10).astype(np.int64)
    qy = np.rint(py * 10).astype(np.int64)
    n = len(qx)
    if column and n > 2 and np.all(np.diff(qx) >= 0):
        col = np.floor_divide(qx, max(int(round(column * 10)), 1))
        order = np.lexsort((qy, col))  # by column, then by y; stable for equal y
        starts = np.flatnonzero(np.concatenate(([True], col[1:] != col[:-1])))
        ends = np.concatenate((starts[1:], [n])) - 1
        keep = np.unique(np.concatenate((order[starts], order[ends], [0, n - 1])))
        qx, qy = qx[keep], qy[keep]
    if len(qx) > 1:
        same = np.concatenate(([False], (qx[1:] == qx[:-1]) & (qy[1:] == qy[:-1])))
        qx, qy = qx[~same], qy[~same]
    if len(qx) > 2:
        ax, ay = qx[1:-1] - qx[:-2], qy[1:-1] - qy[:-2]
        bx, by = qx[2:] - qx[1:-1], qy[2:] - qy[1:-1]
        straight = (ax * by - ay * bx == 0) & (ax * bx + ay * by > 0)
        keep = np.concatenate(([True], ~straight, [True]))
        qx, qy = qx[keep], qy[keep]
    if tolerance and len(qx) > 2:
        keep = _douglas_peucker(qx, qy, tolerance * 10)
        qx, qy = qx[keep], qy[keep]
    return qx, qy


def _douglas_peucker(qx: np.ndarray, qy: np.ndarray, tolerance: float) -> np.ndarray:
    """Which points to keep so that none dropped lies farther than `tolerance` from the line.

    Douglas & Peucker (1973), iterative; the lowest and highest points are always kept, so a
    spike is never shaved off.
    """
    n = len(qx)
    x, y = qx.astype(float), qy.astype(float)
    keep = np.zeros(n, dtype=bool)
    anchors = sorted({0, n - 1, int(np.argmin(y)), int(np.argmax(y))})
    keep[anchors] = True
    stack = list(zip(anchors[:-1], anchors[1:], strict=True))
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        dx, dy = x[b] - x[a], y[b] - y[a]
        rx, ry = x[a + 1 : b] - x[a], y[a + 1 : b] - y[a]
        norm = math.hypot(dx, dy)
        distance = np.abs(rx * dy - ry * dx) / norm if norm else np.hypot(rx, ry)
        i = int(np.argmax(distance))
        if distance[i] > tolerance:
            k = a + 1 + i
            keep[k] = True
            stack += [(a, k), (k, b)]
    return keep


def _path_data(qx: np.ndarray, qy: np.ndarray) -> str:
    pairs = [f"{_tenths(x)},{_tenths(y)}" for x, y in zip(qx.tolist(), qy.tolist(), strict=True)]
    if len(pairs) == 1:
        return f"M{pairs[0]}"
    return f"M{pairs[0]}L" + " ".join(pairs[1:])


class Figure:
    """A chart of `width` × `height` pt: panels and text added in drawing order, then `svg()`."""

    def __init__(self, width: float, height: float, *, name: str, label: str) -> None:
        self.width, self.height = width, height
        self.slug = re.sub(r"[^a-zA-Z0-9_-]", "-", name)
        self.label = label
        self.parts: list[str] = []

    def add(self, element: str) -> None:
        """Append one ready-made SVG element (drawn over what came before)."""
        self.parts.append(element)

    def panel(self, box: Box, x: LinearScale, y: LinearScale) -> Panel:
        """A plotting area at `box` with its x and y scales."""
        return Panel(self, box, x, y)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float,
        color: str,
        anchor: str = "start",
        bold: bool = False,
        opacity: float | None = None,
        rotate: float | None = None,
    ) -> None:
        """One line of text, baseline at y; `rotate` in degrees (clockwise: y points down)."""
        transform = f"rotate({_num(rotate)} {_num(x)} {_num(y)})" if rotate else None
        attributes = _attrs(
            x=_num(x),
            y=_num(y),
            font_family=FONT,
            font_size=float(size),
            font_weight="bold" if bold else None,
            fill=color,
            fill_opacity=opacity,
            text_anchor=None if anchor == "start" else anchor,
            transform=transform,
        )
        self.add(f"<text {attributes}>{_escape(text)}</text>")

    def labels(
        self, items: Iterable[tuple[float, float, str]], *, size: float, color: str, anchor: str
    ) -> None:
        """Several texts sharing font, colour and anchor, as one group."""
        texts = [f'<text x="{_num(x)}" y="{_num(y)}">{_escape(t)}</text>' for x, y, t in items]
        if texts:
            group = _attrs(
                font_family=FONT,
                font_size=float(size),
                fill=color,
                text_anchor=None if anchor == "start" else anchor,
            )
            self.add(f"<g {group}>" + "".join(texts) + "</g>")

    def legend(
        self,
        items: Sequence[tuple[str, str, str]],
        *,
        x: float,
        y: float,
        size: float = 6.5,
        align: str = "left",
        column: bool = False,
    ) -> None:
        """Swatches and labels: `items` are (label, colour, kind), kind one of line, dashed, box,
        circle, diamond. In a row starting at x (`align="right"`: ending at x) with its baseline
        at y, or with `column` one item per line from baseline y down.
        """
        handle, gap, spacing = 2.0 * size, 0.8 * size, 2.0 * size
        widths = [handle + gap + text_width(label, size) for label, _, _ in items]
        if not column and align == "right":
            x -= sum(widths) + spacing * (len(items) - 1)
        texts = []
        for i, (label, color, kind) in enumerate(items):
            mid = y - 0.33 * size
            self._swatch(x, mid, handle, size, color, kind)
            texts.append((x + handle + gap, y, label))
            if column:
                y += 1.5 * size
            else:
                x += widths[i] + spacing
        self.labels(texts, size=size, color="#1f2933", anchor="start")

    def _swatch(self, x: float, mid: float, length: float, size: float, color: str, kind: str):
        if kind in ("line", "dashed"):
            dash = "3 1.3" if kind == "dashed" else None
            d = f"M{_num(x)},{_num(mid)}h{_num(length)}"
            self.add(
                f"<path {_attrs(d=d, stroke=color, stroke_width=1.2, stroke_dasharray=dash)}/>"
            )
        elif kind == "box":
            box = f"M{_num(x + length / 4)},{_num(mid - size / 3)}h{_num(length / 2)}"
            box += f"v{_num(2 * size / 3)}h{_num(-length / 2)}Z"
            self.add(f"<path {_attrs(d=box, fill=color)}/>")
        else:
            radius = (0.4 if kind == "diamond" else 0.3) * size
            d = _marker_path([x + length / 2], [mid], radius, kind)
            self.add(f"<path {_attrs(d=d, fill=color)}/>")

    def svg(self) -> str:
        """The `<svg>` element for inline use in HTML."""
        w, h = _num(self.width), _num(self.height)
        root = (
            f'<svg class="chart-svg" data-chart="{self.slug}" xmlns="http://www.w3.org/2000/svg" '
            f'width="{w}pt" height="{h}pt" viewBox="0 0 {w} {h}" role="img" '
            f'aria-label="{_escape(self.label)}">'
        )
        return "\n".join([root, *self.parts, "</svg>"])


def _marker_path(xs: Iterable[float], ys: Iterable[float], radius: float, shape: str) -> str:
    r = _num(radius)
    parts = []
    for x, y in zip(xs, ys, strict=True):
        if shape == "diamond":
            parts.append(f"M{_num(x)},{_num(y - radius)}l{r},{r} -{r},{r} -{r},-{r}Z")
        else:  # two half-circle arcs
            d = _num(2 * radius)
            parts.append(f"M{_num(x - radius)},{_num(y)}a{r},{r} 0 1 0 {d},0a{r},{r} 0 1 0 -{d},0Z")
    return "".join(parts)


class Panel:
    """A plotting area with an x and a y scale; primitives take data values, not pixels."""

    def __init__(self, figure: Figure, box: Box, x: LinearScale, y: LinearScale) -> None:
        self.figure, self.box, self.x, self.y = figure, box, x, y

    def _stroke(self, d: str, color: str, width: float, dash: str | None, join: bool = False):
        if d:
            attributes = _attrs(
                d=d,
                fill="none",
                stroke=color,
                stroke_width=float(width),
                stroke_dasharray=dash,
                stroke_linejoin="round" if join else None,
            )
            self.figure.add(f"<path {attributes}/>")

    def _polyline(self, px: np.ndarray, py: np.ndarray) -> str:
        ok = np.isfinite(px) & np.isfinite(py)
        pieces = []
        for start, stop in runs(ok):
            if stop - start > 1:  # a lone point draws nothing, as in any plotting library
                pieces.append(_path_data(*_points(px[start:stop], py[start:stop], 1.0, TOLERANCE)))
        return "".join(pieces)

    def line(self, x, y, *, color: str, width: float = 1.0, dash: str | None = None) -> None:
        """A polyline through (x, y); a NaN (or a non-positive value on a log scale) breaks it."""
        self._stroke(self._polyline(self.x(x), self.y(y)), color, width, dash, join=True)

    def step(self, x, y, *, color: str, width: float = 1.0, dash: str | None = None) -> None:
        """A step line, where="post": each value holds from its x until the next x."""
        px, py = self.x(x), self.y(y)
        if len(px) == 0:
            return
        # vertices x0 y0, x1 y0, x1 y1, x2 y1, …, xn yn
        sx = np.repeat(px, 2)[1:]
        sy = np.repeat(py, 2)[:-1]
        self._stroke(self._polyline(sx, sy), color, width, dash, join=True)

    def hline(self, value: float, *, color: str, width: float = 0.5) -> None:
        """A horizontal line across the panel at y = value."""
        y = float(self.y([value])[0])
        if math.isfinite(y):
            d = f"M{_num(self.box.left)},{_num(y)}H{_num(self.box.right)}"
            self._stroke(d, color, width, None)

    def vline(self, value, *, color: str, width: float = 0.5) -> None:
        """A vertical line across the panel at x = value."""
        x = float(self.x([value])[0])
        if math.isfinite(x):
            d = f"M{_num(x)},{_num(self.box.top)}V{_num(self.box.bottom)}"
            self._stroke(d, color, width, None)

    def spans(self, starts, stops, *, color: str, opacity: float) -> None:
        """Full-height shaded bands from each start to its stop (x values)."""
        top, bottom = _num(self.box.top), _num(self.box.bottom)
        d = "".join(
            f"M{_num(a)},{top}H{_num(b)}V{bottom}H{_num(a)}Z"
            for a, b in zip(self.x(starts).tolist(), self.x(stops).tolist(), strict=True)
        )
        if d:
            self.figure.add(f"<path {_attrs(d=d, fill=color, fill_opacity=float(opacity))}/>")

    def fill_to(self, x, y, *, base: float = 0.0, color: str, opacity: float) -> None:
        """The area between the series and y = base (NaN breaks it into separate areas)."""
        px, py = self.x(x), self.y(y)
        zero = _num(float(self.y([base])[0]))
        pieces = []
        for start, stop in runs(np.isfinite(px) & np.isfinite(py)):
            if stop - start > 1:
                qx, qy = _points(px[start:stop], py[start:stop], 1.0, TOLERANCE)
                path = _path_data(qx, qy)
                pieces.append(f"{path} {_tenths(qx[-1])},{zero} {_tenths(qx[0])},{zero}Z")
        if pieces:
            d = "".join(pieces)
            self.figure.add(f"<path {_attrs(d=d, fill=color, fill_opacity=float(opacity))}/>")

    def markers(self, x, y, *, color: str, size: float = 2.4, shape: str = "circle") -> None:
        """A dot (or diamond) of diameter `size` pt at every finite point, as one path."""
        px, py = self.x(x), self.y(y)
        ok = np.isfinite(px) & np.isfinite(py)
        if ok.any():
            d = _marker_path(px[ok].tolist(), py[ok].tolist(), size / 2, shape)
            self.figure.add(f"<path {_attrs(d=d, fill=color)}/>")

    def stems(self, x, y, *, base: float = 0.0, color: str, width: float = 0.8) -> None:
        """Vertical lines from y = base to each finite value."""
        px, py = self.x(x), self.y(y)
        y0 = _num(float(self.y([base])[0]))
        ok = np.isfinite(px) & np.isfinite(py)
        d = "".join(
            f"M{_num(a)},{y0}V{_num(b)}"
            for a, b in zip(px[ok].tolist(), py[ok].tolist(), strict=True)
        )
        self._stroke(d, color, width, None)

    def hbars(self, rows, lefts, widths, *, color: str, thickness: float = 0.55) -> None:
        """Horizontal bars centred on `rows` (y values) from `lefts` over `widths` (x values)."""
        rows = np.asarray(rows, dtype=float)
        lefts = np.asarray(lefts, dtype=float)
        rights = lefts + np.asarray(widths, dtype=float)
        half = abs(float(self.y([thickness])[0] - self.y([0.0])[0])) / 2
        parts = []
        for row, a, b in zip(self.y(rows), self.x(lefts), self.x(rights), strict=True):
            if not (np.isfinite(a) and np.isfinite(b) and np.isfinite(row)) or _num(a) == _num(b):
                continue
            a, b = min(a, b), max(a, b)
            parts.append(f"M{_num(a)},{_num(row - half)}H{_num(b)}V{_num(row + half)}H{_num(a)}Z")
        if parts:
            self.figure.add(f"<path {_attrs(d=''.join(parts), fill=color)}/>")

    def grid(self, *, xs=(), ys=(), color: str, width: float = 0.4) -> None:
        """Grid lines across the panel at data values `ys` (horizontal) and `xs` (vertical)."""
        b = self.box
        d = "".join(f"M{_num(b.left)},{_num(y)}H{_num(b.right)}" for y in self.y(ys).tolist())
        d += "".join(f"M{_num(x)},{_num(b.top)}V{_num(b.bottom)}" for x in self.x(xs).tolist())
        self._stroke(d, color, width, None)

    def frame(
        self,
        *,
        color: str,
        label_color: str,
        size: float,
        xticks=(),
        xlabels: Sequence[str] | None = None,
        yticks=(),
        ylabels: Sequence[str] | None = None,
        yminor=(),
        tick: float = 2.5,
    ) -> None:
        """Left and bottom spines (top and right hidden), outward ticks and their labels.

        Labels are left out when `xlabels` / `ylabels` is None (a panel sharing its x axis).
        """
        b = self.box
        left, bottom = _num(b.left), _num(b.bottom)
        spine = f"M{left},{_num(b.top)}V{bottom}H{_num(b.right)}"
        self._stroke(spine, color, 0.6, None)
        px = self.x(xticks).tolist() if len(xticks) else []
        py = self.y(yticks).tolist() if len(yticks) else []
        marks = "".join(f"M{_num(x)},{bottom}v{_num(tick)}" for x in px)
        marks += "".join(f"M{left},{_num(y)}h{_num(-tick)}" for y in py)
        if len(yminor):
            marks += "".join(f"M{left},{_num(y)}h{_num(-tick * 0.6)}" for y in self.y(yminor))
        self._stroke(marks, color, 0.5, None)
        if ylabels is not None:
            items = [
                (b.left - tick - 2, y + 0.36 * size, t) for y, t in zip(py, ylabels, strict=True)
            ]
            self.figure.labels(items, size=size, color=label_color, anchor="end")
        if xlabels is not None:
            base = b.bottom + tick + 1.5 + 0.76 * size
            items = [(x, base, t) for x, t in zip(px, xlabels, strict=True)]
            self.figure.labels(items, size=size, color=label_color, anchor="middle")

    def title(self, text: str, *, size: float = 8.0, color: str = "#1f2933") -> None:
        """A bold title, left-aligned over the panel."""
        self.figure.text(self.box.left, self.box.top - 4, text, size=size, color=color, bold=True)
