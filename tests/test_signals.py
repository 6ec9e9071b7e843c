"""Signals S1–S6 (method §5) on the bundled real history: known episodes, no look-ahead,
unavailability, determinism and invariants.

The dates are episodes any risk manager knows: mid-2017's record-low VIX (S1), the Oct-2008
crash and Feb-2018 "Volmageddon" (S4), the Aug-2024 yen carry unwind (S3), the Jun-2022 CPI
print of 9.1% a year (S2).
"""

from __future__ import annotations

import statistics
from datetime import date

import numpy as np
import pandas as pd
import pytest

from alvh.core.errors import UsageError
from alvh.data import known as history
from alvh.hedge import signals
from alvh.hedge.signals import SignalConfig, SignalConfigError, compute_signals, load_signal_inputs
from alvh.store.warehouse import connect

AS_OF = date(2026, 11, 25)


@pytest.fixture(scope="module")
def full(snapshot_warehouse) -> signals.SignalHistory:
    """Signals over the whole bundled history, computed once for the module."""
    con = connect(snapshot_warehouse, read_only=True)
    try:
        return compute_signals(load_signal_inputs(con, AS_OF))
    finally:
        con.close()


def _reading(full, day: str, name: str) -> signals.SignalReading:
    return full.on(day)[name]


# ---------------------------------------------------------------------------------------------
# Known episodes


def test_s1_complacency_in_july_2017(full):
    # method §5 S1: VIX near its record low, CAPE near the top of its trailing 30 years.
    s1 = _reading(full, "2017-07-03", "S1")
    assert s1.available and s1.active
    assert 10.5 < s1.inputs["vix"] < 12.0  # VIX closed 11.22
    assert 28 < s1.inputs["cape"] < 31  # Shiller CAPE for June 2017: 29.75
    assert 0.80 <= s1.value <= 1.0 and s1.threshold == pytest.approx(0.70)
    assert "VIX" in s1.detail and "CAPE" in s1.detail
    # CAPE is known a month after its month: on 3 July the latest is June's.
    row = full.frame("S1").loc["2017-07-03"]
    assert pd.Timestamp(row["cape_month"]) == pd.Timestamp("2017-06-01")


def test_s1_percentile_matches_a_direct_count(full, snapshot_con):
    cape = history.monthly_releases(snapshot_con, "CAPE", AS_OF).set_index("obs_date")["value"]
    window = cape.loc["1987-07-01":"2017-06-01"]  # 360 months ending June 2017
    assert len(window) == 360
    expected = float((window <= window.iloc[-1]).mean())
    assert full.frame("S1").loc["2017-07-03", "value"] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("day", "vix_low", "rsi_low", "ratio_low"),
    [("2008-10-10", 60, 75, 2.0), ("2018-02-05", 30, 85, 3.5)],
)
def test_s4_volatility_momentum_in_known_spikes(full, day, vix_low, rsi_low, ratio_low):
    s4 = _reading(full, day, "S4")
    assert s4.available and s4.active
    assert s4.inputs["vix"] > vix_low  # 69.95 and 37.32
    assert rsi_low < s4.value <= 100  # RSI 82.3 and 91.0
    assert s4.inputs["vix_ratio"] > ratio_low  # 2.31 and 3.92 times the 20-day minimum


def test_s3_yen_carry_unwind_on_2024_08_05(full):
    s3 = _reading(full, "2024-08-05", "S3")
    assert s3.available and s3.active
    # The yen strengthened ~6.7% in five sessions: USD/JPY fell, a z near -5.8.
    assert s3.inputs["usdjpy_log_change"] < -0.05
    assert s3.inputs["z_fx"] < -4.0
    # The 2-year yield fell ~47 bp against fed funds: z near -3.6.
    assert s3.inputs["z_rate"] < -2.0
    assert s3.value == pytest.approx(max(abs(s3.inputs["z_rate"]), abs(s3.inputs["z_fx"])))
    assert s3.value >= s3.threshold
    assert "USD/JPY" in s3.detail


def test_s2_registers_the_june_2022_cpi_on_its_release_day_only(full, snapshot_con):
    # CPI for June 2022 came out on 2022-07-13 (in the bundled BLS calendar): MoM +1.26%
    # against a trailing trend of +0.69%.
    calendar_days = set(history.events(snapshot_con, ["CPI"])["event_date"])
    assert pd.Timestamp("2022-07-13") in calendar_days
    before, on = _reading(full, "2022-07-12", "S2"), _reading(full, "2022-07-13", "S2")
    assert before.available and not before.active and before.value is None
    assert on.available and on.active
    assert on.value == pytest.approx(_independent_cpi_z(snapshot_con, "2022-06-01"), abs=1e-9)
    assert on.value > 2.0
    assert "CPI 2022-06" in on.detail
    # PPI for June 2022 (dated 2022-07-27 by the conservative rule) agreed in sign: the
    # surprise is confirmed on that day, not before.
    frame = full.frame("S2")
    assert not frame.loc["2022-07-13":"2022-07-26", "confirmed"].any()
    assert frame.loc["2022-07-27", "confirmed"]
    assert "agrees in sign" in frame.loc["2022-07-27", "confirmation"]


def test_s2_confirmed_by_an_s3_spike_within_five_sessions(full):
    # CPI for July 2022 (released 2022-08-10, z about -2.4); S3 fired on 2022-08-03.
    s2 = full.frame("S2")
    assert s2.loc["2022-08-10", "active"] and s2.loc["2022-08-10", "value"] < -1.5
    assert full.frame("S3").loc["2022-08-03", "active"]
    assert s2.loc["2022-08-10", "confirmed"]
    assert "S3 firing on 2022-08-03" in s2.loc["2022-08-10", "confirmation"]


def _independent_cpi_z(con, month: str) -> float:
    """z of one CPI month from the raw index with the standard library (method §5 S2)."""
    cpi = history.monthly_releases(con, "CPIAUCSL", AS_OF).set_index("obs_date")["value"]
    months = list(cpi.loc[: pd.Timestamp(month)].index[-26:])
    mom = [100 * (cpi[b] / cpi[a] - 1) for a, b in zip(months, months[1:], strict=False)]
    current, prior = mom[-1], mom[:-1]
    return (current - statistics.mean(prior[-12:])) / statistics.stdev(prior[-24:])


# ---------------------------------------------------------------------------------------------
# No look-ahead, unavailability, determinism


@pytest.mark.parametrize("cut", [date(2022, 7, 12), date(2024, 8, 5)])
def test_no_look_ahead(snapshot_con, cut):
    # method §1: values on days <= D must not change when a year more of data is known.
    early = compute_signals(load_signal_inputs(snapshot_con, cut))
    later = compute_signals(load_signal_inputs(snapshot_con, cut.replace(year=cut.year + 1)))
    assert early.index[-1] == pd.Timestamp(cut)
    for name in signals.SIGNALS:
        pd.testing.assert_frame_equal(
            early.frame(name), later.frame(name).loc[: pd.Timestamp(cut)], check_exact=True
        )


def test_s3_unavailable_once_usdjpy_is_stale(full):
    # DEXJPUS ends 2025-09-26; 2025-10-03 is 5 sessions later (the limit), 10-06 is 6.
    ok, stale = _reading(full, "2025-10-03", "S3"), _reading(full, "2025-10-06", "S3")
    assert ok.available
    assert not stale.available and not stale.active
    assert stale.value is None and stale.threshold is None
    assert "DEXJPUS stale" in stale.detail and "2025-09-26" in stale.detail


def test_signals_unavailable_before_their_inputs_exist(snapshot_con):
    early = compute_signals(load_signal_inputs(snapshot_con, date(1971, 12, 31), date(1970, 12, 1)))
    first = early.on("1970-12-01")
    assert not first["S3"].available and "DEXJPUS missing" in first["S3"].detail
    for name in ("S1", "S4"):  # VIX starts in 1990
        assert not first[name].available and "VIX missing" in first[name].detail
    # Once USD/JPY exists, S3 still needs its 252-session z window (and DGS2, from 1976).
    assert "DEXJPUS" not in early.on("1971-06-01")["S3"].detail.split("(")[0]
    assert not early.on("1971-06-01")["S3"].available


def test_all_signals_unavailable_after_the_data_ends(full):
    # The bundled data ends in Aug 2026; on 2026-11-25 nothing is fresh.
    for name, reading in full.on("2026-11-25").items():
        assert not reading.available and not reading.active, name
        assert reading.value is None and "unavailable" in reading.detail, name


def test_s5_is_a_labelled_proxy_without_breadth_data(full):
    s5 = full.frame("S5")
    assert s5.loc[:"2023-06-20", "proxy"].all()
    assert not s5.loc["2024-01-02":"2026-06-17", "proxy"].any()  # breadth covers these days
    assert s5.loc["2026-06-26":, "proxy"].all()  # breadth stale after 2026-06-17
    assert "proxy" in _reading(full, "2017-07-03", "S5").detail
    assert "advance-decline" in _reading(full, "2024-08-05", "S5").detail


def test_determinism(snapshot_con, full):
    inputs = load_signal_inputs(snapshot_con, AS_OF)
    again = compute_signals(inputs)
    for name in signals.SIGNALS:
        pd.testing.assert_frame_equal(full.frame(name), again.frame(name), check_exact=True)
    assert full.on("2024-08-05") == again.on("2024-08-05")


# ---------------------------------------------------------------------------------------------
# Invariants


def test_invariants_hold_on_every_day(full):
    for name in signals.SIGNALS:
        f = full.frame(name)
        assert list(f.columns[:4]) == ["value", "threshold", "active", "available"]
        assert not (f["active"] & ~f["available"]).any(), name
        off = ~f["available"]
        assert f.loc[off, "value"].isna().all() and f.loc[off, "threshold"].isna().all(), name
        assert (f.loc[off, "reason"] != "").all() and (f.loc[~off, "reason"] == "").all(), name
    rsi = full.frame("S4")["value"].dropna()
    assert ((rsi >= 0) & (rsi <= 100)).all()
    s1 = full.frame("S1").dropna(subset=["value"])
    assert ((s1["value"] > 0) & (s1["value"] <= 1)).all()
    s2 = full.frame("S2")
    assert not (s2["active"] & ~s2["release"]).any()  # a surprise registers on release days only
    s3 = full.frame("S3")
    on = s3["available"]
    assert (s3.loc[on, "active"] == (s3.loc[on, "value"] >= s3.loc[on, "threshold"])).all()
    assert set(s3.loc[on, "threshold"].unique()) == {1.5, 2.0}
    s6 = full.frame("S6")
    on = s6["available"]
    assert (s6.loc[on, "active"] == (s6.loc[on, "value"] < s6.loc[on, "threshold"])).all()
    s5 = full.frame("S5")
    assert not (s5["active"] & s5["last_divergence"].isna()).any()


def test_s6_is_earnings_yield_minus_the_10_year(full, snapshot_con):
    row = full.frame("S6").loc["2024-08-05"]
    panel = history.daily_panel(snapshot_con, ["CAPE", "DGS10"], date(2024, 8, 5))
    cape, dgs10 = panel.values.loc["2024-08-05", "CAPE"], panel.values.loc["2024-08-05", "DGS10"]
    assert row["value"] == pytest.approx(1 / cape - dgs10 / 100, abs=1e-15)
    assert row["available"] and row["active"]  # -0.96% vs a 20th percentile of +0.04%


def test_every_signal_is_available_on_almost_every_day_since_1990(full):
    summary = full.summary()
    covered = full.index <= pd.Timestamp("2025-09-26")  # before USD/JPY ends
    assert covered.sum() > 8900
    for name in signals.SIGNALS:
        f = full.frame(name).loc[covered]
        assert f["available"].mean() > 0.99, name
    assert (summary["active"] < 1).all() and (summary["active"] > 0).all()


# ---------------------------------------------------------------------------------------------
# Building blocks against independent implementations


def _loop_wilder_rsi(x: list[float], n: int) -> list[float | None]:
    out: list[float | None] = [None] * len(x)
    gains = [max(b - a, 0.0) for a, b in zip(x, x[1:], strict=False)]
    losses = [max(a - b, 0.0) for a, b in zip(x, x[1:], strict=False)]
    avg_g, avg_l = sum(gains[:n]) / n, sum(losses[:n]) / n
    for i in range(n, len(x)):
        if i > n:
            avg_g = (avg_g * (n - 1) + gains[i - 1]) / n
            avg_l = (avg_l * (n - 1) + losses[i - 1]) / n
        out[i] = 100.0 if avg_l == 0 else 100 - 100 / (1 + avg_g / avg_l)
    return out


def test_wilder_rsi_matches_a_loop_on_real_vix(full):
    vix = full.frame("S4")["vix"].loc["2018-01-02":"2018-04-30"].to_list()
    expected = _loop_wilder_rsi(vix, 14)
    got = signals.wilder_rsi(np.array(vix), 14)
    assert np.isnan(got[:14]).all()
    np.testing.assert_allclose(got[14:], np.array(expected[14:], dtype=float), rtol=1e-12)


def test_wilder_rsi_edges():
    assert signals.wilder_rsi(np.arange(1.0, 30.0), 14)[-1] == 100.0
    assert signals.wilder_rsi(np.arange(30.0, 1.0, -1), 14)[-1] == 0.0
    assert signals.wilder_rsi(np.full(30, 5.0), 14)[-1] == 50.0
    assert np.isnan(signals.wilder_rsi(np.arange(10.0), 14)).all()


def test_macd_matches_a_loop():
    x = np.array([100 + 5 * np.sin(i / 7) + i * 0.1 for i in range(120)])

    def ema(values, span):
        alpha, out = 2 / (span + 1), [values[0]]
        for v in values[1:]:
            out.append(alpha * v + (1 - alpha) * out[-1])
        return np.array(out)

    line = ema(x, 12) - ema(x, 26)
    hist = line - ema(line, 9)
    got_line, _, got_hist = signals.macd(x)
    np.testing.assert_allclose(got_line, line, rtol=1e-12)
    np.testing.assert_allclose(got_hist, hist, rtol=1e-10, atol=1e-12)


def test_bearish_divergence_on_a_built_series():
    # A rally, a dip, then a slower grind to a marginally higher high: price higher, momentum
    # lower. The second high is a divergence; the first is not.
    up = np.linspace(100, 120, 40)
    dip = np.linspace(120, 112, 15)
    grind = np.linspace(112, 121, 30)
    x = np.r_[np.full(70, 100.0), up, dip, grind]
    divergence, gap, _ = signals.bearish_divergence(x, SignalConfig())
    first_high = 70 + 39
    assert not divergence[: first_high + 1].any()
    assert divergence[-1] and gap[-1] < 0


# ---------------------------------------------------------------------------------------------
# Configuration and the reading shape


def test_config_defaults_overrides_and_unknown_keys():
    defaults = SignalConfig()
    assert defaults.s1_vix_max == 25 and defaults.s2_z == 1.5 and defaults.s3_z_window == 252
    assert defaults.s6_window_sessions == 2520 and defaults.daily_max_stale_sessions == 5
    changed = SignalConfig.from_mapping({"s4_rsi_threshold": 75, "s3_z_window": 126.0})
    assert changed.s4_rsi_threshold == 75.0 and changed.s3_z_window == 126
    assert isinstance(changed.s3_z_window, int)
    assert changed.as_dict()["s4_rsi_threshold"] == 75.0
    assert SignalConfig.from_mapping(defaults.as_dict()) == defaults
    with pytest.raises(SignalConfigError, match="s4_rsi_treshold"):
        SignalConfig.from_mapping({"s4_rsi_treshold": 75})
    with pytest.raises(SignalConfigError):
        SignalConfig(s1_valuation_percentile=1.5)
    with pytest.raises(SignalConfigError):
        SignalConfig(s3_z_window=10.5)


def test_config_changes_the_result(snapshot_con):
    inputs = load_signal_inputs(snapshot_con, date(2018, 3, 1), date(2017, 1, 3))
    strict = compute_signals(inputs, SignalConfig(s4_rsi_threshold=95, s4_min_multiple=5))
    assert not strict.on("2018-02-05")["S4"].active
    assert strict.on("2018-02-05")["S4"].threshold == 95


def test_reading_shape_and_non_trading_day(full):
    reading = full.on("2024-08-05")["S3"].to_json()
    assert {"value", "threshold", "active", "available", "detail", "inputs"} <= set(reading)
    with pytest.raises(UsageError):
        full.on("2024-08-04")  # a Sunday
    with pytest.raises(KeyError):
        full.frame("S7")
