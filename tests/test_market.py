"""Market model (method §2): known values, the reference fit, and no-arbitrage invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alvh.core.resources import snapshot_dir
from alvh.model import market
from alvh.model.pricing import black76_greeks, black76_price, bsm_price

ONE_MONTH = 30.0 / 365.0


@pytest.fixture(scope="module")
def vol_indices() -> pd.DataFrame:
    df = pd.read_csv(snapshot_dir() / "cboe_vol_indices_daily.csv", parse_dates=["date"])
    return df[df["nyse_trading_day"]]


@pytest.fixture(scope="module")
def futures() -> pd.DataFrame:
    path = snapshot_dir() / "vix_futures_contracts_daily.csv.gz"
    return pd.read_csv(path, parse_dates=["date", "expiry"])


# ---------------------------------------------------------------------------------------------
# §2.1 ATM term structure
# ---------------------------------------------------------------------------------------------


def test_atm_vol_reproduces_each_pillar_exactly():  # method §2.1
    levels = {"vix9d": 14.0, "vix": 16.0, "vix3m": 18.5, "vix6m": 20.0}
    days = np.array([9.0, 30.0, 93.0, 183.0])
    got = market.atm_vol(days / 365.0, **levels)
    want = 0.85 * np.array([14.0, 16.0, 18.5, 20.0]) / 100.0
    assert np.array_equal(got, want)
    assert market.atm_vol(30 / 365, 16.0) == 0.85 * 16.0 / 100.0


def test_atm_vol_is_linear_in_total_variance_and_flat_outside():
    lv = {"vix9d": 14.0, "vix": 16.0, "vix3m": 18.5, "vix6m": 20.0}
    s30, s93 = 0.85 * 0.16, 0.85 * 0.185
    t = 61.5 / 365
    w_mid = 0.5 * (s30**2 * 30 / 365 + s93**2 * 93 / 365)
    assert market.atm_vol(t, **lv) == pytest.approx(np.sqrt(w_mid / t), rel=1e-14)
    # flat vol extrapolation below 9 d and beyond 183 d
    assert market.atm_vol(1 / 365, **lv) == pytest.approx(0.85 * 0.14, rel=1e-15)
    assert market.atm_vol(1.0, **lv) == pytest.approx(0.85 * 0.20, rel=1e-15)


def test_atm_vol_uses_vix_alone_when_the_others_are_missing():
    taus = np.array([1, 9, 30, 93, 365]) / 365
    assert np.allclose(market.atm_vol(taus, 20.0), 0.17, rtol=0, atol=1e-15)
    # missing VIX3M (2008-09): interpolate 30 d ↔ 183 d
    t = 100 / 365
    w = 0.17**2 * 30 / 365 + (0.85**2 * 0.25**2 * 183 / 365 - 0.17**2 * 30 / 365) * 70 / 153
    got = market.atm_vol(t, 20.0, vix3m=np.nan, vix6m=25.0)
    assert got == pytest.approx(np.sqrt(w / t), rel=1e-14)
    assert np.isnan(market.atm_vol(t, np.nan, vix6m=25.0))


def test_atm_vol_vectorises_over_tenors_and_days():
    vix = np.array([[12.0], [40.0]])
    taus = np.array([5, 30, 200]) / 365
    got = market.atm_vol(taus, vix, vix9d=vix * 0.9, vix3m=vix * 1.1, vix6m=vix * 1.2)
    assert got.shape == (2, 3)
    assert got[1, 1] == 0.85 * 40.0 / 100


def test_real_vix_term_structures_have_no_calendar_arbitrage(vol_indices):
    """Linear total variance needs non-decreasing pillar variance; the bundled history has it."""
    d = vol_indices
    w = [d[c] ** 2 * t for c, t in (("vix9d", 9), ("vix", 30), ("vix3m", 93), ("vix6m", 183))]
    for a, b in zip(w, w[1:], strict=False):
        assert not (a > b).any()


# ---------------------------------------------------------------------------------------------
# §2.1 skew
# ---------------------------------------------------------------------------------------------


def test_skew_fit_hits_the_reference_points():
    fit = market.fit_skew_to_reference()
    # Each public reference point (VIX+2, +7, +18 at 5/10/20 % OTM) within 0.25 vol points.
    assert (fit.table["error"].abs() <= 0.25).all(), fit.table
    assert fit.params.s == pytest.approx(-1.9, abs=0.1)
    assert fit.params.c == pytest.approx(0.2, abs=0.05)
    # The shipped defaults are no longer this fit but the calibration to real SPX quotes
    # (issue 11; benchmarks/fit_market_model.py): the reference fit stays for comparison.
    assert market.SkewParams().s != pytest.approx(fit.params.s, abs=1e-2)


def test_otm_calls_sit_a_few_points_below_atm():
    atm = 0.85 * 0.15
    kf = np.array([1.0, 1.03, 1.05, 1.10, 1.30])
    iv = 100 * market.spx_implied_vol(kf, 1.0, ONE_MONTH, atm, 15.0)
    gap = 100 * atm - iv[1:]
    assert np.all((gap >= 1.0) & (gap <= 5.0)), iv
    assert np.all(np.diff(iv) <= 0)
    assert iv[-1] == pytest.approx(100 * atm * market.SkewParams().floor, rel=1e-12)


@pytest.mark.parametrize("vix", [9.0, 15.0, 45.0, 90.0])
@pytest.mark.parametrize("days", [1, 30, 365])
def test_smile_returns_atm_vol_at_the_forward(vix, days):
    atm = market.atm_vol(days / 365, vix)
    assert market.spx_implied_vol(4000.0, 4000.0, days / 365, atm, vix) == atm


def unmodified_quadratic(strike, forward, tau, atm, vix):
    """The §2.1 example σ_atm·max(floor, 1 + s·m + c·m²) without wing treatment."""
    p = market.SkewParams()
    m = np.log(strike / forward) / (np.sqrt(tau) * vix / 15.0)
    return atm * np.maximum(p.floor, 1.0 + p.s * m + p.c * m * m)


SPOT, RATE, DIV = 5000.0, 0.04, 0.015
STRIKES = np.arange(0.3 * SPOT, 1.5 * SPOT + 1e-9, 5.0)  # 30 %..150 % on the 5-point grid
TENORS = (1, 2, 5, 9, 14, 30, 60, 93, 183, 365)


def arbitrage_breaches(vol_fn, atm_scale: float) -> int:
    vix = np.arange(9.0, 90.5, 1.0)[:, None]
    breaches = 0
    for days in TENORS:
        tau = days / 365
        fwd = SPOT * np.exp((RATE - DIV) * tau)
        atm = atm_scale * market.atm_vol(tau, vix)
        vol = vol_fn(STRIKES[None, :], fwd, tau, atm, vix)
        for is_call in (True, False):
            px = bsm_price(SPOT, STRIKES[None, :], tau, RATE, DIV, vol, is_call)
            breaches += market.strike_arbitrage(STRIKES, px, is_call, tol=1e-9)["n_breaches"]
    return breaches


@pytest.mark.parametrize("atm_scale", [0.65, 1.0, 1.65])
def test_spx_surface_is_free_of_static_arbitrage_in_strike(atm_scale):
    """Calls non-increasing and convex, puts non-decreasing and convex: VIX 9..90, 1 d..1 y.

    `atm_scale` stretches the ATM vol against 0.85·VIX/100 over the range real term
    structures reach (VIX9D/VIX down to 0.66, VIX6M/VIX up to 1.62).
    """
    assert arbitrage_breaches(market.spx_implied_vol, atm_scale) == 0


def test_arbitrage_check_catches_the_unmodified_quadratic():
    """The same check fails for the quadratic without wings, so the test above can fail."""
    assert arbitrage_breaches(unmodified_quadratic, 1.0) > 100


def test_durrleman_condition_holds_far_into_both_wings():
    m = np.concatenate([-np.logspace(4, -4, 3000), np.linspace(0.0, 5.0, 501)])
    margin = market.SkewParams().wing_margin
    for alpha in (0.06, 0.1275, 0.21):
        for sqrt_theta in (0.003, 0.1, 0.8):
            atm = alpha  # VIX 15, so α = σ_atm
            tau = (sqrt_theta / atm) ** 2
            mm = m[m * np.sqrt(tau) > -700]
            g = market.spx_durrleman(np.exp(mm * np.sqrt(tau)), 1.0, tau, atm, 15.0)
            assert np.nanmin(g) >= margin - 1e-9, (alpha, sqrt_theta)


def test_put_wing_total_variance_grows_at_most_linearly_in_log_strike():  # Lee (2004)
    p = market.SkewParams()
    for vix, days in ((9.0, 1), (15.0, 30), (90.0, 365)):
        tau = days / 365
        atm = market.atm_vol(tau, vix)
        k = np.log(np.array([1e-6, 1e-7]))
        w = market.spx_implied_vol(np.exp(k), 1.0, tau, atm, vix) ** 2 * tau
        slope = (w[1] - w[0]) / (k[0] - k[1])
        assert 0 < slope <= p.max_wing_slope + 1e-12


def test_smile_vectorises_over_options_of_many_expiries():
    rng = np.random.default_rng(3)
    strikes = rng.uniform(2000.0, 7000.0, 2000)
    taus = rng.choice(np.array([2, 9, 30, 93, 365]) / 365, 2000)
    atm = market.atm_vol(taus, 24.0)
    together = market.spx_implied_vol(strikes, 5000.0, taus, atm, 24.0)
    for t in np.unique(taus):
        alone = market.spx_implied_vol(strikes[taus == t], 5000.0, t, atm[taus == t][0], 24.0)
        assert np.array_equal(together[taus == t], alone)
    edge = market.spx_implied_vol(4500.0, 5000.0, np.array([0.0, np.nan]), 0.2, 24.0)
    assert edge[0] == 0.2 and np.isnan(edge[1])


def test_smile_is_continuous_across_its_joins():
    atm, vix = 0.85 * 0.15, 15.0
    scale = np.sqrt(ONE_MONTH)
    p = market.SkewParams()
    shape = p.shape(ONE_MONTH, vix)
    m_j = float(market._put_wing_start(atm * 15 / vix, scale, *shape[:2], p))
    for m0 in (m_j, 0.0, float(-shape[0] / (2 * shape[2]))):
        k = np.exp((m0 + np.array([-1e-9, 1e-9])) * scale)
        iv = market.spx_implied_vol(k, 1.0, ONE_MONTH, atm, vix)
        assert abs(iv[1] - iv[0]) < 1e-8


# ---------------------------------------------------------------------------------------------
# §2.2 VX curve
# ---------------------------------------------------------------------------------------------


def test_mean_reversion_curve_limits():
    theta, kappa = 22.0, 3.0
    assert market.model_vx_curve(35.0, 0.0, theta, kappa) == 35.0
    assert market.model_vx_curve(35.0, 50.0, theta, kappa) == pytest.approx(theta, abs=1e-12)
    got = market.model_vx_curve(np.array([12.0, 35.0]), 0.25, theta, kappa)
    assert np.allclose(got, theta + (np.array([12.0, 35.0]) - theta) * np.exp(-0.75))
    assert market.model_vx_dvix(0.25, kappa) == pytest.approx(np.exp(-0.75))
    assert market.shift_vx_curve(20.0, 0.25, 10.0, kappa) == pytest.approx(20 + 10 * np.exp(-0.75))


def test_mean_reversion_fit_recovers_known_parameters():
    dates = pd.bdate_range("2020-01-01", periods=40)
    vix = pd.Series(np.linspace(12.0, 60.0, 40), index=dates)
    rows = []
    for d, v in vix.items():
        for months in (1, 2, 4, 7):
            expiry = d + pd.Timedelta(days=30 * months - 3)
            tau = (expiry - d).days / 365
            rows.append((d, expiry, 21.5 + (v - 21.5) * np.exp(-2.7 * tau)))
    df = pd.DataFrame(rows, columns=["date", "expiry", "settle"])
    theta, kappa, stats = market.fit_vx_mean_reversion(df, vix)
    assert theta == pytest.approx(21.5, abs=1e-6)
    assert kappa == pytest.approx(2.7, abs=1e-6)
    assert stats.n_obs == 160 and stats.rmse < 1e-6


def test_shock_kappa_fit_recovers_a_known_response():
    dates = pd.bdate_range("2021-01-01", periods=30)
    vix = pd.Series(20.0 + 5.0 * np.sin(np.arange(30.0)), index=dates)
    rows = []
    for expiry in (pd.Timestamp("2021-03-17"), pd.Timestamp("2021-06-16")):
        level = 22.0
        for i, d in enumerate(dates):
            if i:
                tau = (expiry - d).days / 365
                level += np.exp(-6.0 * tau) * (vix.iloc[i] - vix.iloc[i - 1])
            rows.append((d, expiry, level))
    df = pd.DataFrame(rows, columns=["date", "expiry", "settle"])
    kappa, stats = market.fit_vx_shock_kappa(df, vix)
    assert kappa == pytest.approx(6.0, abs=1e-6)
    assert stats.n_obs == 58


def test_mean_reversion_defaults_are_the_bundled_fit(futures, vol_indices):
    theta, kappa, stats = market.fit_vx_mean_reversion(
        futures, vol_indices.set_index("date")["vix"]
    )
    p = market.VxCurveParams()
    assert theta == pytest.approx(p.theta, abs=1e-3)
    assert kappa == pytest.approx(p.kappa, abs=1e-4)
    assert stats.first_date.year == 2007 and stats.last_date.year == 2026


def test_observed_interpolation_reproduces_listed_settlements_on_2024_08_05(futures):
    day = futures[futures["date"] == "2024-08-05"]
    assert len(day) >= 7
    for row in day.itertuples():
        assert market.observed_vx_for_expiry(day, row.expiry) == row.settle
    s = day.sort_values("expiry")
    (e1, f1), (e2, f2) = s[["expiry", "settle"]].iloc[0], s[["expiry", "settle"]].iloc[1]
    mid = e1 + (e2 - e1) / 2
    want = f1 + (f2 - f1) * (mid - e1).days / (e2 - e1).days
    assert market.observed_vx_for_expiry(day, mid) == pytest.approx(want, abs=1e-12)
    # flat beyond both ends
    assert market.observed_vx_for_expiry(day, "2024-08-06") == f1
    assert market.observed_vx_for_expiry(day, "2030-01-01") == s["settle"].iloc[-1]


def test_vx_curve_prefers_observed_and_says_which(futures):
    as_of, expiry = "2024-08-05", "2024-09-18"
    settle = futures.loc[
        (futures["date"] == as_of) & (futures["expiry"] == expiry), "settle"
    ].item()
    obs = market.vx_curve(as_of, expiry, 38.57, futures)
    assert obs == (settle, "observed", 44 / 365)
    p = market.VxCurveParams()
    model = market.vx_curve(as_of, expiry, 38.57, None)
    assert model.source == "model"
    assert model.forward == pytest.approx(market.model_vx_curve(38.57, 44 / 365, p.theta, p.kappa))
    # a day without contracts falls back to the model; the term structure wins over it
    assert market.vx_curve("2006-06-01", "2006-07-19", 15.0, futures).source == "model"
    term = market.vx_curve("2024-08-05", expiry, 38.57, None, term={"vix3m": 28.0})
    assert term.source == "term_structure"
    assert market.vx_curve(as_of, "2030-01-01", 38.57, futures).source == "observed_flat"
    with pytest.raises(ValueError, match="before as_of"):
        market.vx_curve(as_of, "2024-08-01", 38.57, futures)


def test_term_structure_forward_of_a_flat_curve_is_the_level():
    got = market.term_structure_vx_forward(
        np.array([0.0, 0.1, 0.5]), 20.0, vix9d=20.0, vix3m=20.0, vix6m=20.0, convexity=0.9
    )
    assert np.allclose(got, 18.0, rtol=1e-13)
    assert np.isnan(market.term_structure_vx_forward(0.1, 20.0))


def test_vx_error_table_has_overall_and_window_rows(futures, vol_indices):
    vix = vol_indices.set_index("date")["vix"]
    p = market.VxCurveParams()
    windows = {"2015-08": ("2015-08-01", "2015-08-31")}
    table = market.vx_model_errors(futures, vix, p.theta, p.kappa, windows)
    assert list(table["window"]) == ["overall", "overall", "2015-08", "2015-08"]
    assert list(table["contract"]) == ["VX1", "VX2", "VX1", "VX2"]
    aug = table[table["window"] == "2015-08"]
    assert (aug["n"] == 21).all()
    # the model lags the spike: it overstates VX1/VX2 after spot VIX jumped (Aug-2015)
    assert (aug["mean_error"] > 0).all()
    assert (table["rmse"] >= table["mae"]).all()


# ---------------------------------------------------------------------------------------------
# §2.3 VIX options
# ---------------------------------------------------------------------------------------------


def test_vix_option_vol_level_from_vvix_or_default():
    # Level at the money with the ATM anchor: 1.2·VVIX/100, or the 0.90 default (method §2.3).
    atm = market.VixSkew(anchor="atm")
    vol = market.vix_option_vol
    assert vol(18.0, 18.0, ONE_MONTH, vvix=95.0, skew=atm) == pytest.approx(1.14, 1e-15)
    assert vol(18.0, 18.0, ONE_MONTH, skew=atm) == 0.90
    assert vol(18.0, 18.0, ONE_MONTH, vvix=np.nan, skew=atm) == 0.90
    both = vol(18.0, 18.0, ONE_MONTH, vvix=np.array([80.0, np.nan]), skew=atm)
    assert np.allclose(both, [0.96, 0.90], rtol=1e-15)


def test_default_anchor_is_the_30_delta_call_where_the_vxth_replication_calibrated():
    # method §2.3: about 1.2 × VVIX/100 *at 30-delta* matches the Cboe VXTH index.
    assert market.VixSkew().anchor == "delta30"
    level, f = 1.2 * 90.0 / 100.0, 18.0
    total = level * np.sqrt(ONE_MONTH)
    k30 = f * np.exp(0.5244005127080407 * total + 0.5 * total**2)
    assert market.vix_option_vol(k30, f, ONE_MONTH, 90.0) == pytest.approx(level)


def test_vix_option_skew_slopes_upward():
    k = np.arange(10.0, 60.0, 1.0)
    vol = market.vix_option_vol(k, 18.0, ONE_MONTH, vvix=90.0)
    assert np.all(np.diff(vol) > 0)


def test_delta30_anchor_puts_the_level_at_the_30_delta_call():
    skew = market.VixSkew(anchor="delta30")
    level, f = 1.08, 18.0
    total = level * np.sqrt(ONE_MONTH)
    k30 = f * np.exp(0.5244005127080407 * total + 0.5 * total**2)  # undiscounted 30-delta
    assert market.vix_option_vol(k30, f, ONE_MONTH, 90.0, skew=skew) == pytest.approx(level)
    assert market.vix_option_vol(f, f, ONE_MONTH, 90.0, skew=skew) < level


@pytest.mark.parametrize("anchor", ["atm", "delta30"])
def test_vix_option_prices_free_of_static_arbitrage(anchor):
    skew = market.VixSkew(anchor=anchor)
    strikes = market.vix_strike_grid(1.0, 300.0)
    for f in (10.0, 18.0, 40.0, 80.0):
        for vvix in (60.0, 100.0, 210.0):
            for days in (1, 30, 182):
                vol = market.vix_option_vol(strikes, f, days / 365, vvix, skew=skew)
                for is_call in (True, False):
                    px = black76_price(f, strikes, days / 365, 0.04, vol, is_call)
                    assert market.strike_arbitrage(strikes, px, is_call, 1e-12)["n_breaches"] == 0


def test_vix_strike_grid_is_half_points_below_20():
    grid = market.vix_strike_grid(12.2, 24.0)
    assert grid[0] == 12.5 and grid[-1] == 24.0
    assert set(np.diff(grid[grid < 20])) == {0.5}
    assert set(np.diff(grid[grid >= 20])) == {1.0}


@pytest.mark.parametrize("forward", [13.7, 18.0, 26.4])
def test_thirty_delta_strike_is_the_nearest_grid_strike(forward):
    def vol_fn(k):
        return market.vix_option_vol(k, forward, ONE_MONTH, 95.0)

    pick = market.vix_call_strike_for_delta(forward, ONE_MONTH, 0.04, vol_fn)
    grid = market.vix_strike_grid(0.5 * forward, 4 * forward)
    assert pick.strike in grid and pick.strike > forward
    deltas = black76_greeks(forward, grid, ONE_MONTH, 0.04, vol_fn(grid), True).delta
    assert abs(pick.delta - 0.30) == pytest.approx(np.abs(deltas - 0.30).min())
    assert abs(pick.delta - 0.30) < 0.03


# ---------------------------------------------------------------------------------------------
# §2.4 VIX response
# ---------------------------------------------------------------------------------------------


def test_vix_response_rises_on_down_days(vol_indices):
    spx = pd.read_csv(snapshot_dir() / "spx_daily.csv", parse_dates=["date"])
    fit = market.fit_vix_response(
        spx.set_index("date")["close"], vol_indices.set_index("date")["vix"]
    )
    assert fit.down_slope < -2.0 and fit.up_slope < 0.0
    assert 0.2 < fit.down_r2 < 0.6
    assert fit.n_down > 4000 and fit.n_up > 4000
    assert market.apply_vix_response(15.0, -0.05, fit) > 15.0 * 1.15
    assert market.apply_vix_response(15.0, 0.0, fit) == 15.0
    moved = market.apply_vix_response(np.array([15.0, 15.0]), np.array([-0.05, 0.05]), fit)
    assert moved[0] > 15.0 > moved[1]
    with_a = market.apply_vix_response(15.0, -0.05, fit, include_intercept=True)
    assert with_a == pytest.approx(15.0 * np.exp(fit.down_slope * -0.05 + fit.down_intercept))


def test_vix_response_fit_recovers_known_slopes():
    rng = np.random.default_rng(7)
    r = rng.normal(0, 0.01, 2000)
    y = np.where(r < 0, 0.002 - 5.0 * r, -0.003 - 2.0 * r)
    spx = pd.Series(100 * np.cumprod(1 + np.r_[0.0, r]))
    vix = pd.Series(20 * np.exp(np.cumsum(np.r_[0.0, y])))
    fit = market.fit_vix_response(spx, vix)
    assert fit.down_slope == pytest.approx(-5.0, abs=1e-9)
    assert fit.up_intercept == pytest.approx(-0.003, abs=1e-9)
    assert fit.down_r2 == pytest.approx(1.0)


def test_vix_response_is_capped_at_a_level_vix_has_never_exceeded(vol_indices):
    spx = pd.read_csv(snapshot_dir() / "spx_daily.csv", parse_dates=["date"])
    fit = market.fit_vix_response(
        spx.set_index("date")["close"], vol_indices.set_index("date")["vix"]
    )
    uncapped = 82.69 * np.exp(fit.down_slope * -0.25)  # 2020-03-16's close, SPX −25 %
    assert uncapped > 200.0
    assert market.apply_vix_response(82.69, -0.25, fit) == market.VIX_RESPONSE_CAP == 90.0
    # below the cap the response is the regression's, untouched
    assert market.apply_vix_response(15.0, -0.10, fit) == pytest.approx(
        15.0 * np.exp(fit.down_slope * -0.10)
    )
    # a VIX already above the cap is never raised further, and still falls on up days
    above = market.apply_vix_response(np.array([95.0, 95.0]), np.array([-0.05, 0.05]), fit)
    assert above[0] == 95.0 and above[1] < 95.0
    assert market.apply_vix_response(82.69, -0.25, fit, cap=300.0) == pytest.approx(uncapped)


def _lstsq_fit(r: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Slope, intercept and R² by numpy's least squares (an independent implementation)."""
    (slope, intercept), *_ = np.linalg.lstsq(np.c_[r, np.ones_like(r)], y, rcond=None)
    resid = y - (intercept + slope * r)
    return slope, intercept, 1.0 - (resid**2).sum() / ((y - y.mean()) ** 2).sum()


def test_vix_response_from_running_sums_is_least_squares_on_every_cut(vol_indices):
    spx = pd.read_csv(snapshot_dir() / "spx_daily.csv", parse_dates=["date"])
    spx, vix = spx.set_index("date")["close"], vol_indices.set_index("date")["vix"]
    dates, r, y = market.vix_response_pairs(spx, vix)
    sums = market.VixResponseSums.of(r, y)  # once, to the last day
    checked = 0
    for known in [20, 40, 500, *range(1000, len(dates), 331), len(dates)]:
        fit = market.vix_response_on(sums, dates, known)
        assert fit == market.fit_vix_response(  # the series cut at that day, fitted alone
            spx[spx.index <= pd.Timestamp(dates[known - 1])], vix
        )
        rr, yy = r[: known - 1], y[: known - 1]
        for mine, side in (
            ((fit.down_slope, fit.down_intercept, fit.down_r2), rr < 0),
            ((fit.up_slope, fit.up_intercept, fit.up_r2), rr >= 0),
        ):
            assert mine == pytest.approx(_lstsq_fit(rr[side], yy[side]), rel=1e-11, abs=1e-13)
        assert (fit.n_down, fit.n_up) == ((rr < 0).sum(), (rr >= 0).sum())
        assert fit.last_date == dates[known - 1].item()
        checked += 1
    assert checked > 20
