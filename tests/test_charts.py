"""The hand-built SVG charts (alvh/report/svg.py, alvh/report/charts.py, alvh/backtest/charts.py).

Fast and warehouse-free: the report-level tests (test_report.py, test_backtest*.py) render the
charts inside full reports. Here: pixels follow the data, ticks are nice, output is well-formed,
deterministic, escaped and free of CSS, and degenerate input renders.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from alvh.backtest import charts as bt
from alvh.report import charts, svg

NS = "{http://www.w3.org/2000/svg}"
DAYS = np.arange("2025-08-20", "2026-08-21", dtype="datetime64[D]")


def parse(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{NS}svg"
    return root


def lines(root: ET.Element, color: str) -> list[list[tuple[float, float]]]:
    """The subpaths (M … L …) of the unfilled paths stroked in `color`, as point lists."""
    out = []
    for path in root.iter(f"{NS}path"):
        if path.get("stroke") == color and path.get("fill") == "none":
            for sub in path.get("d").split("M")[1:]:
                pairs = sub.replace("L", " ").split()
                out.append([tuple(map(float, p.split(","))) for p in pairs])
    return out


def texts(root: ET.Element) -> dict[str, float]:
    """Text content → its baseline y."""
    return {t.text: float(t.get("y")) for t in root.iter(f"{NS}text")}


def tick_marks(root: ET.Element) -> list[float]:
    """The y of every left-axis tick mark ("M{left},{y}h-2.5")."""
    marks = []
    for path in root.iter(f"{NS}path"):
        marks += [float(y) for y in re.findall(r"M[\d.]+,([\d.]+)h-2\.5", path.get("d", ""))]
    return marks


def a_sparkline(values=None, thresholds=None, active=None, name="spark-t", **kwargs) -> str:
    n = len(DAYS)
    values = np.sin(np.arange(n) / 9.0) if values is None else values
    thresholds = np.full(n, 0.5) if thresholds is None else thresholds
    active = values > 0.5 if active is None else active
    return charts.sparkline(name, DAYS, values, thresholds, active, **kwargs)


def all_charts() -> dict[str, str]:
    n = len(DAYS)
    walk = 1e6 * np.exp(np.cumsum(np.random.default_rng(7).normal(0, 0.01, n)))
    hedged, unhedged = walk, walk * np.linspace(1.0, 1.1, n)
    return {
        "spark": a_sparkline(name="spark"),
        "spark-markers": a_sparkline(
            name="spark-markers",
            values=np.where(np.arange(n) % 21 == 0, np.cos(np.arange(n)), np.nan),
            symmetric=True,
            markers=True,
        ),
        "spark-percent": a_sparkline(
            name="spark-percent", values=np.linspace(-0.02, -0.01, n), percent=True
        ),
        "equity": charts.equity_chart("equity", DAYS, hedged, unhedged, simulated=True),
        "bt-equity": bt.equity_curves("bt-equity", DAYS, {"unhedged": unhedged, "alvh": hedged}),
        "bt-underwater": bt.underwater_chart(
            "bt-underwater", DAYS, {"unhedged": unhedged / np.maximum.accumulate(unhedged) - 1}
        ),
        "bt-costs": bt.hedge_cost_bars(
            "bt-costs",
            {
                "vxth": {
                    "premium_decay": 0.08,
                    "futures_roll_down": -0.01,
                    "vix_move_payoff": 0.04,
                },
                "alvh": {"premium_decay": 0.011, "spread_cost": 0.0005, "vix_move_payoff": 0.006},
            },
        ),
    }


# --- the document -----------------------------------------------------------------------------


def test_charts_are_deterministic_well_formed_and_css_free():
    first, second = all_charts(), all_charts()
    for name, text in first.items():
        assert text == second[name], f"{name} differs between two renders"
        root = parse(text)
        assert root.get("class") == "chart-svg" and root.get("data-chart") == name
        assert root.get("role") == "img" and root.get("aria-label")
        assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox"))
        assert root.get("width").endswith("pt")
        for element in root.iter():
            assert element.tag != f"{NS}style", name
            assert "style" not in element.attrib, f"{name}: style= on {element.tag}"
            assert element.get("id", name).startswith(name), f"{name}: unprefixed id"
            assert "id" not in element.attrib, f"{name}: an id on {element.tag} (svg.py: none)"
        for t in root.iter(f"{NS}text"):
            family = t.get("font-family") or next(
                g.get("font-family") for g in root.iter(f"{NS}g") if t in list(g)
            )
            assert family.startswith("DejaVu Sans")
        # coordinates rounded: no long decimals anywhere
        assert not re.search(r"\d\.\d{3,}", text), name


def test_charts_need_no_plotting_library():
    check = (
        "import sys, alvh.report.charts, alvh.backtest.charts; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_hostile_label_text_is_escaped():
    hostile = "<script>alert(1)</script>&\"'"
    text = charts.equity_chart(
        f"eq{hostile}",
        DAYS[:5],
        np.arange(5.0) + 1e6,
        np.arange(5.0) + 1e6,
        simulated=False,
        hedged_label=hostile + "\x07",  # a control character is not even valid XML
    )
    assert "<script" not in text
    root = parse(text)  # escaped well enough to stay one well-formed element
    assert hostile in [t.text for t in root.iter(f"{NS}text")]
    assert re.fullmatch(r"[A-Za-z0-9_-]+", root.get("data-chart"))
    costs = bt.hedge_cost_bars("c", {hostile: {"premium_decay": 0.01}})
    assert hostile in [t.text for t in parse(costs).iter(f"{NS}text")]


# --- pixels follow the data -------------------------------------------------------------------


def test_a_line_follows_its_data_and_its_tick_labels():
    values = np.sin(np.arange(len(DAYS)) / 9.0) * 0.8
    values[200] = 1.0  # the highest value, a spike
    values[-1] = 0.0  # the last value, on a tick
    root = parse(a_sparkline(values=values))
    (line,) = lines(root, charts.HEDGED)
    xs, ys = [p[0] for p in line], [p[1] for p in line]
    assert xs == sorted(xs) and xs[0] < xs[-1]  # later dates further right
    marks = tick_marks(root)
    # y tick labels by value ("0", "0.5", "1.0", "−0.5"), each centred on its tick mark
    labels = {}
    for text, y in texts(root).items():
        if re.fullmatch(r"\u2212?[\d.]+", text):
            labels[float(text.replace("\u2212", "-"))] = y - 0.36 * 6
    assert {0.0, 1.0} <= set(labels) and len(labels) == len(marks)
    for y in labels.values():
        assert min(abs(m - y) for m in marks) < 0.15
    assert min(ys) == pytest.approx(labels[1.0], abs=1.0)  # the spike is the highest point
    assert ys[-1] == pytest.approx(labels[0.0], abs=1.0)  # the last value 0 is on the 0 tick
    spike = DAYS[200]
    x_of = svg.TimeScale(DAYS[0], DAYS[-1], xs[0], xs[-1])
    assert xs[ys.index(min(ys))] == pytest.approx(float(x_of([spike])[0]), abs=0.6)


def _panel(width=400.0, height=100.0, lo=0.0, hi=1.0, n=10):
    fig = svg.Figure(width, height, name="t", label="t")
    box = svg.Box(0, 0, width, height)
    return fig, fig.panel(
        box, svg.LinearScale(0, n - 1, 0, width), svg.LinearScale(lo, hi, height, 0)
    )


def test_nan_breaks_a_line_into_segments():
    fig, panel = _panel()
    y = np.array([0.1, 0.5, 0.2, np.nan, 0.3, 0.9, 0.4, 0.6, np.nan, np.nan])
    panel.line(np.arange(10), y, color="#000000")
    segments = lines(parse(fig.svg()), "#000000")
    assert len(segments) == 2
    assert [len(s) for s in segments] == [3, 4]
    assert segments[0][-1][0] < segments[1][0][0]  # the gap between them


def test_a_long_series_is_thinned_but_keeps_its_extremes():
    n = 9_000
    y = np.cumsum(np.random.default_rng(3).normal(size=n))
    fig, panel = _panel(width=450.0, height=200.0, lo=y.min(), hi=y.max(), n=n)
    panel.line(np.arange(n), y, color="#000000")
    (line,) = lines(parse(fig.svg()), "#000000")
    assert len(line) < n / 5  # about two points per 1 pt column at most
    ys = [p[1] for p in line]
    assert min(ys) == pytest.approx(0.0, abs=0.05)  # the highest value, at the top edge
    assert max(ys) == pytest.approx(200.0, abs=0.05)  # the lowest, at the bottom edge
    assert line[0] == (0.0, round(float(panel.y([y[0]])[0]), 1))
    assert line[-1][0] == 450.0


def test_a_step_line_holds_each_value_until_the_next_date():
    fig, panel = _panel(n=4)
    panel.step(np.arange(4), [0.2, 0.2, 0.8, 0.8], color="#000000")
    (line,) = lines(parse(fig.svg()), "#000000")
    # where="post": flat at 0.2 until x=2, up, flat at 0.8 (collinear points dropped)
    x2 = 400 * 2 / 3
    assert line == [(0.0, 80.0), (round(x2, 1), 80.0), (round(x2, 1), 20.0), (400.0, 20.0)]


def test_log_scale_puts_decades_equal_distances_apart():
    scale = svg.LogScale(1e4, 1e7, 300.0, 0.0)
    y = scale([1e4, 1e5, 1e6, 1e7, 2e6, -1.0])
    assert y[:4].tolist() == pytest.approx([300.0, 200.0, 100.0, 0.0])
    assert y[4] == pytest.approx(100.0 - 100.0 * math.log10(2))
    assert math.isnan(y[5])  # no log of a loss: a gap, not a crash

    equity = np.geomspace(1e5, 1e6, len(DAYS))
    root = parse(bt.equity_curves("e", DAYS, {"alvh": equity}, log=True))
    labels = texts(root)
    assert {"$100,000", "$200,000", "$500,000", "$1,000,000"} <= set(labels)
    decade = labels["$100,000"] - labels["$1,000,000"]
    assert decade > 0
    assert labels["$100,000"] - labels["$200,000"] == pytest.approx(
        decade * math.log10(2), abs=0.15
    )


# --- ticks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lo", "hi", "most", "expected"),
    [
        (0.0, 0.93, 5, [0.0, 0.2, 0.4, 0.6, 0.8]),
        (0.69, 0.95, 4, [0.7, 0.8, 0.9]),
        (-0.0925, 0.004, 5, [-0.08, -0.06, -0.04, -0.02, 0.0]),
        (970_000, 1_230_000, 6, [1_000_000, 1_050_000, 1_100_000, 1_150_000, 1_200_000]),
    ],
)
def test_nice_ticks(lo, hi, most, expected):
    assert svg.nice_ticks(lo, hi, most) == pytest.approx(expected)


def test_nice_ticks_are_1_2_5_steps_inside_the_range():
    rng = np.random.default_rng(11)
    for _ in range(200):
        lo = rng.normal() * 10.0 ** rng.integers(-4, 7)
        hi = lo + abs(rng.normal()) * 10.0 ** rng.integers(-4, 7) + 1e-9
        ticks = svg.nice_ticks(lo, hi, 5)
        assert 2 <= len(ticks) <= 5
        step = ticks[1] - ticks[0]
        assert all(lo - 1e-6 * step <= t <= hi + 1e-6 * step for t in ticks)
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert min(abs(mantissa - m) for m in (1, 2, 5, 10)) < 1e-3  # float noise at 1e6 ± 1e-4
        assert np.allclose(np.diff(ticks), step, rtol=1e-3)


def test_log_ticks():
    assert svg.log_ticks(9e5, 9e6) == [1e6, 2e6, 5e6]
    assert svg.log_ticks(1e3, 1e9, 8) == [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9]
    sparse = svg.log_ticks(1e3, 1e12, 5)  # too many decades: every 2nd
    assert sparse == [1e4, 1e6, 1e8, 1e10, 1e12]
    assert len(svg.log_ticks(1.0e6, 1.3e6)) >= 2  # inside one decade: linear steps


def test_date_ticks():
    ticks, labels = svg.date_ticks(np.datetime64("2025-08-20"), np.datetime64("2026-08-20"))
    assert labels == ["Oct 2025", "Jan 2026", "Apr 2026", "Jul 2026"]
    assert ticks[0] == np.datetime64("2025-10-01")
    _, labels = svg.date_ticks(np.datetime64("2023-08-21"), np.datetime64("2026-08-20"))
    assert labels == ["2024", "2025", "2026"]
    _, labels = svg.date_ticks(np.datetime64("1990-01-02"), np.datetime64("2026-08-20"), 10)
    assert labels == ["1995", "2000", "2005", "2010", "2015", "2020", "2025"]
    _, labels = svg.date_ticks(np.datetime64("2026-08-05"), np.datetime64("2026-09-04"))
    assert len(labels) >= 2  # a month: days, not an empty axis
    # bounds inside a day: no tick before the first instant or after the last
    first, last = np.datetime64("2026-08-19T22:48", "ns"), np.datetime64("2026-08-21T01:12", "ns")
    ticks, labels = svg.date_ticks(first, last)
    assert labels == ["20 Aug", "21 Aug"] and ticks.min() >= first and ticks.max() <= last


def test_tick_label_formats():
    assert charts.percent_axis(-0.025, None) == "\u22122.5%"
    assert charts.percent_axis(0.01, None) == "1%"
    assert charts.percent_axis(-0.0, None) == "0%"
    assert charts.money_axis(1_000_000, None) == "$1,000,000"
    assert charts.money_axis(-1500, None) == "\u2212$1,500"
    label = svg.number_formatter([-0.5, 0.0, 0.5])
    assert [label(v) for v in (-0.5, 0.0, 0.5)] == ["\u22120.5", "0", "0.5"]


# --- what each chart shows --------------------------------------------------------------------


def test_sparkline_shows_threshold_active_days_and_the_last_dot():
    n = len(DAYS)
    active = np.zeros(n, dtype=bool)
    active[10:20] = active[100:101] = True
    root = parse(a_sparkline(active=active, symmetric=True))
    dashed = [p for p in root.iter(f"{NS}path") if p.get("stroke-dasharray")]
    assert len(dashed) == 2 and all(p.get("stroke") == charts.THRESHOLD for p in dashed)
    (shade,) = [p for p in root.iter(f"{NS}path") if p.get("fill") == charts.ACTIVE_FILL]
    assert shade.get("d").count("Z") == 2  # two spans
    assert any(p.get("fill") == charts.INK for p in root.iter(f"{NS}path"))  # the last dot
    assert {"Oct 2025", "Jan 2026", "Apr 2026", "Jul 2026"} <= set(texts(root))


def test_equity_chart_titles_legend_and_watermark():
    n = 30
    hedged = 1e6 + np.arange(n) * 100.0
    simulated = parse(charts.equity_chart("eq", DAYS[:n], hedged, hedged, simulated=True))
    names = set(texts(simulated))
    assert "Equity, USD" + charts.SIMULATED_TITLE in names
    assert {"Drawdown from the running peak", "SIMULATED"} <= names
    assert {"hedged (condors + hedge + cash)", "unhedged (condors + cash)"} <= names
    own = parse(charts.equity_chart("eq", DAYS[:n], hedged, hedged, simulated=False))
    assert "SIMULATED" not in texts(own) and "Equity, USD" in texts(own)


def test_cost_bars_list_variants_top_down_with_payoff_below_zero():
    splits = {
        "vxth": {"premium_decay": 0.08, "vix_move_payoff": 0.04},
        "l1": {"premium_decay": 0.005, "vix_move_payoff": 0.002},
        "alvh": {"premium_decay": 0.011, "vix_move_payoff": 0.006},
    }
    root = parse(bt.hedge_cost_bars("c", splits))
    labels = texts(root)
    assert labels["vxth"] < labels["l1"] < labels["alvh"]  # first variant on top
    assert {"net cost", "premium decay", "payoff from VIX moves (−)", "4%"} <= set(labels)
    zero = next(p for p in root.iter(f"{NS}path") if p.get("stroke") == charts.MUTED)
    x0 = float(re.match(r"M([\d.]+),", zero.get("d")).group(1))
    payoff = next(p for p in root.iter(f"{NS}path") if p.get("fill") == "#2f9e44")
    rights = [float(v) for v in re.findall(r"H([\d.]+)", payoff.get("d"))]
    assert all(r <= x0 + 0.05 for r in rights)  # the payoff bars end at zero, on the left


# --- degenerate input renders -----------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [np.full(len(DAYS), np.nan), np.full(len(DAYS), 3.0), np.zeros(len(DAYS))],
    ids=["all-nan", "constant", "zeros"],
)
def test_sparkline_degenerate_values(values):
    root = parse(a_sparkline(values=values, thresholds=np.full(len(DAYS), np.nan)))
    assert len(texts(root)) >= 3  # axes still labelled
    if np.isfinite(values).any():
        (line,) = lines(root, charts.HEDGED)
        box_top, box_bottom = 4.1, 54.7
        assert all(box_top < y < box_bottom for _, y in line)  # a flat line mid-panel


def test_one_point_renders_with_markers():
    spark = parse(charts.sparkline("s", DAYS[:1], [1.0], [np.nan], [True]))
    assert any(p.get("fill") == charts.INK for p in spark.iter(f"{NS}path"))
    equity = parse(charts.equity_chart("e", DAYS[:1], [1e6], [1e6], simulated=False))
    dots = [
        p for p in equity.iter(f"{NS}path") if p.get("fill") in (charts.HEDGED, charts.UNHEDGED)
    ]
    assert len(dots) == 4  # hedged and unhedged, equity and drawdown
    two = parse(charts.equity_chart("e", DAYS[:2], [1e6, 1.1e6], [1e6, 0.9e6], simulated=False))
    assert len(lines(two, charts.HEDGED)) == 2  # a line in each panel
    empty = bt.equity_curves("b", DAYS[:0], {"alvh": np.array([])})
    parse(empty)
