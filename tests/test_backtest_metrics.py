"""Backtest metrics and event rules (method §7): known values and invariants, no warehouse."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alvh.backtest import metrics as m
from alvh.backtest.events import EventRules, claim_check, detect_spikes, event_drawdowns, reduction


def _days(n: int, start: str = "2020-01-01") -> pd.DatetimeIndex:
    return pd.bdate_range(start, periods=n)


def test_cagr_of_a_doubling_over_one_year_is_100_percent():
    days = pd.DatetimeIndex(["2020-01-01", "2020-12-31 06:00"])  # 365.25 days apart
    assert m.cagr(np.array([1.0, 2.0]), days) == pytest.approx(1.0)
    assert np.isnan(m.cagr(np.array([1.0]), days[:1]))


def test_max_drawdown_known_value_and_dates():
    dd = m.max_drawdown(np.array([100.0, 120.0, 60.0, 90.0, 130.0, 117.0]))
    assert dd == (pytest.approx(-0.5), 1, 2)
    assert m.max_drawdown(np.array([1.0, 2.0, 3.0])) == (0.0, 0, 0)


def test_shifting_returns_down_only_deepens_the_drawdown():
    rng = np.random.default_rng(3)
    r = rng.normal(0.0003, 0.01, 500)
    base = np.cumprod(1 + np.r_[0.0, r])
    lower = np.cumprod(1 + np.r_[0.0, r - 0.001])
    assert m.max_drawdown(lower).depth <= m.max_drawdown(base).depth
    assert (m.drawdown_series(base) <= 0).all()


def test_sharpe_sortino_volatility_known_values():
    r = np.array([0.01, -0.01, 0.02, 0.0])
    assert m.annual_volatility(r, periods=4) == pytest.approx(np.std(r, ddof=1) * 2)
    assert m.sharpe_ratio(r, 0.0, periods=4) == pytest.approx(np.mean(r) / np.std(r, ddof=1) * 2)
    downside = np.sqrt(np.mean(np.minimum(r, 0) ** 2)) * 2
    assert m.sortino_ratio(r, 0.0, periods=4) == pytest.approx(np.mean(r) * 4 / downside)
    assert np.isnan(m.sharpe_ratio(np.full(10, 0.001), 0.0))  # no dispersion
    assert np.isnan(m.sortino_ratio(np.full(10, 0.001), 0.0))  # nothing falls short
    # excess over a risk-free rate: paying exactly the rate leaves no excess to measure
    assert np.isnan(m.sharpe_ratio(np.array([0.01, 0.02, 0.03]), np.array([0.01, 0.02, 0.03])))
    # both ratios read returns net of the rate: adding the rate to returns and rate alike
    # changes nothing, and a higher rate lowers them
    rf = np.array([0.001, 0.002, 0.0, 0.003])
    for ratio in (m.sharpe_ratio, m.sortino_ratio):
        assert ratio(r + rf, rf, periods=4) == pytest.approx(ratio(r, 0.0, periods=4))
        assert ratio(r, 0.001, periods=4) < ratio(r, 0.0, periods=4)


def test_calmar_and_worst_month():
    assert m.calmar_ratio(0.10, -0.20) == pytest.approx(0.5)
    assert np.isnan(m.calmar_ratio(0.10, 0.0))
    days = pd.DatetimeIndex(["2020-01-30", "2020-01-31", "2020-02-28", "2020-03-31"])
    month, value = m.worst_month(np.array([100.0, 100.0, 80.0, 88.0]), days)
    assert month == "2020-02" and value == pytest.approx(-0.2)


def test_detect_spikes_finds_a_50_percent_rise_from_below_25_once():
    days = _days(60)
    vix = np.full(60, 14.0)
    vix[20:25] = [16, 18, 21, 23, 26]  # 23 ≥ 1.5 × 14 on day 23
    vix[25:40] = np.linspace(26, 15, 15)
    spikes = detect_spikes(days, vix, EventRules())
    assert len(spikes) == 1
    row = spikes.iloc[0]
    assert row["event"] == f"auto-{days[22].date()}"  # 21 ≥ 1.5 × 14 first on day 22
    assert row["start"] == days[0] + (days[12] - days[0])  # the low of the 10 prior sessions
    assert row["end"] <= days[40]


def test_detect_spikes_ignores_rises_from_above_25_and_small_rises():
    days = _days(40)
    high = np.r_[np.full(20, 30.0), np.full(20, 50.0)]  # +67 % but from 30
    small = np.r_[np.full(20, 15.0), np.full(20, 22.0)]  # +47 %
    assert detect_spikes(days, high, EventRules()).empty
    assert detect_spikes(days, small, EventRules()).empty


def test_event_drawdown_counts_only_the_fall_inside_the_window():
    days = _days(10)
    equity = {"unhedged": np.array([100, 90, 95, 100, 96, 80, 85, 90, 100, 101.0])}
    equity["hedged"] = np.array([100, 90, 95, 100, 98, 90, 92, 95, 100, 101.0])
    events = pd.DataFrame({"event": ["e"], "start": [days[4]], "end": [days[7]]})
    dd = event_drawdowns(equity, days, events)
    assert dd.loc["e", "unhedged"] == pytest.approx(-0.20)  # from the close before: 100 → 80
    assert dd.loc["e", "hedged"] == pytest.approx(-0.10)
    assert reduction(-0.10, -0.20) == pytest.approx(0.5)
    assert np.isnan(reduction(-0.1, 0.0))


def test_claim_check_verdicts():
    events = pd.DataFrame({"event": ["a", "b", "c", "d"], "overlaps": ["", "", "", "a"]})
    dd = pd.DataFrame(
        {"unhedged": [-0.10, -0.20, -0.01, -0.10], "alvh": [-0.05, -0.12, 0.0, -0.10]},
        index=["a", "b", "c", "d"],
    )
    out = claim_check(dd, events, "alvh", 0.01, EventRules())
    # c is too small a fall, d overlaps a named event: a (50 %) and b (40 %) count
    assert out["events"] == ["a", "b"]
    assert out["median"] == pytest.approx(0.45) and out["verdict"] == "within"
    assert out["drawdown_saved_per_1pct_cost"] == pytest.approx(0.065 / 0.01)
    dd["alvh"] = dd["unhedged"] * 0.9
    assert claim_check(dd, events, "alvh", 0.01, EventRules())["verdict"] == "below"


def test_one_drawdown_rule_for_gaps_and_books_below_zero():
    # The report's curves and the backtest share drawdown_series: a missing close stays
    # missing and does not move the peak; a book worth less than nothing has no ratio drawdown.
    dd = m.drawdown_series(np.array([100.0, np.nan, 80.0, 120.0, 90.0]))
    assert np.isnan(dd[1])
    np.testing.assert_allclose(dd[[0, 2, 3, 4]], [0.0, -0.2, 0.0, -0.25])
    np.testing.assert_array_equal(m.drawdown_series(np.array([-50.0, -80.0, -20.0])), 0.0)
    deepest = m.max_drawdown(np.array([100.0, np.nan, 80.0, 120.0, 90.0]))
    assert (deepest.depth, deepest.peak, deepest.trough) == (-0.25, 3, 4)
