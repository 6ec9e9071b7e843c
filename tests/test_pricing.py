"""Tests for alvh.model.pricing (method §1–§2): BSM for SPX options, Black-76 for VIX options.

Golden values come from an independent implementation (QuantLib, looped) and published textbook
figures; the rest are invariants (put–call parity, finite differences of the price, implied-vol
round trips, documented edge conventions).
"""

from __future__ import annotations

import numpy as np
import pytest
import QuantLib as ql

from alvh.model.pricing import (
    IV_REASONS,
    NTV_ATOL,
    NTV_RTOL,
    BsmWorkspace,
    Greeks,
    black76_greeks,
    black76_price,
    bsm_greeks,
    bsm_greeks_into,
    bsm_price,
    implied_vol_black76,
    implied_vol_bsm,
)

# Any RuntimeWarning (overflow, 0/0) leaking out of the module fails the test.
pytestmark = pytest.mark.filterwarnings("error")

FIELDS = ("price", "delta", "gamma", "vega", "theta")

# Agreement with QuantLib: |ours − ql| <= RTOL·|ql| + ATOL·unit, unit being the natural scale
# of the quantity for an option on max(S, K): price/vega/theta ∝ max(S,K), delta ∝ 1,
# gamma ∝ 1/max(S,K). The absolute floor (1e-12 of the scale: 5e-9 index points for SPX) is
# needed because QuantLib's CumulativeNormalDistribution switches to an asymptotic series below
# 1e-8, which is not accurate to 1e-8 relative: on this grid QuantLib is up to 9.6e-5 off (a
# 7.2e-9 put on S=6424) where this module is 6e-13 off, both against 60-digit mpmath
# (see test_matches_high_precision_reference for such tail values pinned without a floor).
RTOL = 1e-8
ATOL = 1e-12


def _unit(name, scale):
    return {"price": scale, "delta": 1.0, "gamma": 1.0 / scale, "vega": scale, "theta": scale}[name]


def _assert_close_to_reference(ours: Greeks, ref: np.ndarray, scale: np.ndarray, label: str):
    for j, name in enumerate(FIELDS):
        got = getattr(ours, name)
        err = np.abs(got - ref[:, j])
        tol = RTOL * np.abs(ref[:, j]) + ATOL * _unit(name, scale)
        bad = ~(err <= tol)
        assert not bad.any(), (
            f"{label} {name}: {bad.sum()} cases off, worst at {np.argmax(err / tol)}: "
            f"ours {got[np.argmax(err / tol)]!r} vs QuantLib {ref[np.argmax(err / tol), j]!r}"
        )


def _random_market(rng, n, *, min_days=1, max_days=1095):
    """Spot 5–8000 log-uniform, strikes ±35% lognormal (deep OTM in the tails), vol 3%–200%."""
    spot = np.exp(rng.uniform(np.log(5.0), np.log(8000.0), n))
    strike = spot * np.exp(rng.normal(0.0, 0.35, n))
    days = rng.integers(min_days, max_days + 1, n)
    tau = days / 365.0  # Actual/365 Fixed year fractions, exactly as QuantLib computes them
    rate = rng.uniform(-0.01, 0.10, n)
    div = rng.uniform(0.0, 0.06, n)
    vol = np.exp(rng.uniform(np.log(0.03), np.log(2.0), n))
    is_call = rng.random(n) < 0.5
    return spot, strike, days, tau, rate, div, vol, is_call


# ---------------------------------------------------------------------------------------------
# QuantLib agreement
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ql_bsm():
    """A QuantLib BSM set-up built once; quotes are set per case (vectorising QL is impossible)."""
    today = ql.Date(15, 1, 2025)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    spot_q, rate_q, div_q, vol_q = (ql.SimpleQuote(x) for x in (100.0, 0.0, 0.0, 0.2))
    # FlatForward compounds continuously by default, matching e^{−rτ}.
    rate_ts = ql.YieldTermStructureHandle(ql.FlatForward(today, ql.QuoteHandle(rate_q), dc))
    div_ts = ql.YieldTermStructureHandle(ql.FlatForward(today, ql.QuoteHandle(div_q), dc))
    vol_ts = ql.BlackVolTermStructureHandle(
        ql.BlackConstantVol(today, ql.NullCalendar(), ql.QuoteHandle(vol_q), dc)
    )
    process = ql.BlackScholesMertonProcess(ql.QuoteHandle(spot_q), div_ts, rate_ts, vol_ts)
    engine = ql.AnalyticEuropeanEngine(process)

    def price(spot, strike, days, rate, div, vol, is_call):
        out = np.empty((len(spot), 5))
        for i in range(len(spot)):
            spot_q.setValue(float(spot[i]))
            rate_q.setValue(float(rate[i]))
            div_q.setValue(float(div[i]))
            vol_q.setValue(float(vol[i]))
            kind = ql.Option.Call if is_call[i] else ql.Option.Put
            option = ql.VanillaOption(
                ql.PlainVanillaPayoff(kind, float(strike[i])),
                ql.EuropeanExercise(today + int(days[i])),
            )
            option.setPricingEngine(engine)
            # QuantLib's theta is per year and is dV/dt (calendar time passing): our convention.
            out[i] = (option.NPV(), option.delta(), option.gamma(), option.vega(), option.theta())
        return out

    return price


def test_bsm_price_and_greeks_match_quantlib(ql_bsm):
    rng = np.random.default_rng(20250115)
    spot, strike, days, tau, rate, div, vol, is_call = _random_market(rng, 12_000)
    ref = ql_bsm(spot, strike, days, rate, div, vol, is_call)
    ours = bsm_greeks(spot, strike, tau, rate, div, vol, is_call)
    _assert_close_to_reference(ours, ref, np.maximum(spot, strike), "BSM")
    np.testing.assert_array_equal(ours.price, bsm_price(spot, strike, tau, rate, div, vol, is_call))


def test_black76_matches_quantlib():
    """VIX-option scale and vols (method §2.3): F 10–80, vol of vol 30%–300%, up to 1 year."""
    rng = np.random.default_rng(76)
    n = 10_000
    fwd = rng.uniform(10.0, 80.0, n)
    strike = fwd * np.exp(rng.normal(0.0, 0.5, n))
    days = rng.integers(1, 366, n)
    tau = days / 365.0
    rate = rng.uniform(0.0, 0.08, n)
    vol = rng.uniform(0.3, 3.0, n)
    is_call = rng.random(n) < 0.7
    ref = np.empty((n, 5))
    for i in range(n):
        kind = ql.Option.Call if is_call[i] else ql.Option.Put
        calc = ql.BlackCalculator(
            ql.PlainVanillaPayoff(kind, float(strike[i])),
            float(fwd[i]),
            float(vol[i] * np.sqrt(tau[i])),
            float(np.exp(-rate[i] * tau[i])),
        )
        # theta(spot=F) drops QuantLib's carry term: the forward is held fixed, as in Black-76.
        ref[i] = (
            calc.value(),
            calc.deltaForward(),
            calc.gammaForward(),
            calc.vega(float(tau[i])),
            calc.theta(float(fwd[i]), float(tau[i])),
        )
    ours = black76_greeks(fwd, strike, tau, rate, vol, is_call)
    _assert_close_to_reference(ours, ref, np.maximum(fwd, strike), "Black-76")
    # blackFormula is QuantLib's other entry point; it must agree on the price too.
    for i in range(0, n, 50):
        kind = ql.Option.Call if is_call[i] else ql.Option.Put
        expected = ql.blackFormula(
            kind, strike[i], fwd[i], vol[i] * np.sqrt(tau[i]), np.exp(-rate[i] * tau[i])
        )
        assert ours.price[i] == pytest.approx(expected, rel=RTOL, abs=ATOL * fwd[i])


# Computed offline with mpmath at 60 significant digits from the closed forms (tau = days/365):
# (S, K, days, r, q, vol, is_call, (price, delta, gamma, vega, theta)). Deep tails (down to a
# 2.9e-15 put), 1-day ATM, 2-year deep ITM and 300% vol.
# fmt: off
HIGH_PRECISION = [
    (179.0525445111993, 125.19727425417027, 403, 0.00783905455578711, 0.032081809090987304,
     0.051680964590828445, False, (6.768677006910872e-10, -4.4371637554289317e-10,
     2.8650795043837031e-10, 5.2413174549220351e-7, -1.4187478198011065e-8)),
    (6423.6302120000955, 4721.880970037349, 234, 0.09721649621176955, 0.019720964064006006,
     0.07096289570851946, False, (7.2037965569676523e-9, -1.2947743506413736e-10,
     2.2954901762150713e-12, 4.3091421864661579e-6, -1.7333490901283608e-7)),
    (5000.0, 4500.0, 1, 0.05, 0.015, 0.25, False, (2.8778019987329782e-15,
     -3.6463873997750068e-16, 4.56213508708286e-17, 7.8118751491144863e-13,
     -3.5577724698238844e-11)),
    (5000.0, 5000.0, 1, 0.05, 0.015, 0.12, True, (12.768984436432795, 0.50732209638021717,
     0.01270029550449453, 104.38599044790024, -2374.1961084537316)),
    (5000.0, 2500.0, 730, 0.05, 0.015, 0.2, True, (2591.1251716911193, 0.9682534603394517,
     4.8584013585914072e-6, 48.584013585914074, -42.317297654143797)),
    (20.0, 40.0, 365, 0.04, 0.0, 3.0, True, (16.352924325342756, 0.90012852859667155,
     0.0029222261471439406, 3.5066713765727287, -5.32599291472272)),
    (100.0, 300.0, 30, 0.03, 0.01, 0.5, True, (3.0810514395112168e-14, 1.7138452551060085e-14,
     9.2164553161830512e-15, 3.7875843765135827e-12, -1.1553921734899081e-11)),
    (5000.0, 6000.0, 45, 0.045, 0.014, 0.11, True, (8.0161924009263888e-5,
     2.0865708278564955e-6, 5.1890744728588172e-8, 0.0175930949593501, -0.008168286331936301)),
]
# fmt: on


@pytest.mark.parametrize("case", HIGH_PRECISION)
def test_matches_high_precision_reference(case):
    """Relative accuracy holds in the far tails too, with no absolute floor (worst seen 2.5e-12,
    a 1-day put worth 2.9e-15 whose two legs cancel)."""
    spot, strike, days, rate, div, vol, is_call, expected = case
    g = bsm_greeks(spot, strike, days / 365.0, rate, div, vol, is_call)
    for name, value in zip(FIELDS, expected, strict=True):
        assert getattr(g, name) == pytest.approx(value, rel=1e-10, abs=0.0), name


# ---------------------------------------------------------------------------------------------
# Textbook values
# ---------------------------------------------------------------------------------------------


def test_hull_bsm_prices():
    # Hull, Options, Futures and Other Derivatives, Example 15.6: S=42, K=40, r=10%, σ=20%, T=0.5.
    call, put = bsm_price(42.0, 40.0, 0.5, 0.10, 0.0, 0.20, np.array([True, False]))
    assert call == pytest.approx(4.76, abs=0.005)
    assert put == pytest.approx(0.81, abs=0.005)


def test_hull_bsm_greeks():
    # Hull Example 19.1 ff.: S=49, K=50, r=5%, σ=20%, T=20 weeks (0.3846): price 2.40,
    # delta 0.522, gamma 0.066, vega 12.1 (per 1.00 of vol), theta −4.31 per year.
    g = bsm_greeks(49.0, 50.0, 0.3846, 0.05, 0.0, 0.20, True)
    assert g.price == pytest.approx(2.40, abs=0.005)
    assert g.delta == pytest.approx(0.522, abs=0.0005)
    assert g.gamma == pytest.approx(0.066, abs=0.0005)
    assert g.vega == pytest.approx(12.1, abs=0.05)
    assert g.theta == pytest.approx(-4.31, abs=0.005)


def test_haug_bsm_put_with_dividend_yield():
    # Haug, The Complete Guide to Option Pricing Formulas, p. 4: S=100, K=95, q=5%, r=10%, σ=20%,
    # T=0.5: put 2.4648.
    assert bsm_price(100.0, 95.0, 0.5, 0.10, 0.05, 0.20, False) == pytest.approx(2.4648, abs=5e-5)


def test_hull_black76_put():
    # Hull Example 18.x (futures options): F=K=20, r=9%, σ=25%, T=4 months: put 1.12.
    assert black76_price(20.0, 20.0, 4 / 12, 0.09, 0.25, False) == pytest.approx(1.12, abs=0.005)


# ---------------------------------------------------------------------------------------------
# Invariants
# ---------------------------------------------------------------------------------------------


def test_put_call_parity_bsm_and_black76():
    rng = np.random.default_rng(11)
    spot, strike, _, tau, rate, div, vol, _ = _random_market(rng, 20_000)
    call = bsm_price(spot, strike, tau, rate, div, vol, True)
    put = bsm_price(spot, strike, tau, rate, div, vol, False)
    parity = spot * np.exp(-div * tau) - strike * np.exp(-rate * tau)
    scale = np.maximum(spot, strike)
    np.testing.assert_allclose(call - put, parity, rtol=0, atol=1e-13 * scale.max())
    assert np.all(np.abs(call - put - parity) <= 1e-13 * scale)

    call = black76_price(spot, strike, tau, rate, vol, True)
    put = black76_price(spot, strike, tau, rate, vol, False)
    assert np.all(np.abs(call - put - np.exp(-rate * tau) * (spot - strike)) <= 1e-13 * scale)


def test_greeks_match_central_finite_differences():
    rng = np.random.default_rng(5)
    n = 5_000
    # Strikes within ±2.5 standard deviations of the forward and at least a week to expiry: where
    # the O(h²) truncation and the ulp noise of a difference quotient are both small, so the
    # tolerances below (set from the measured FD error with margin ~5-10) can be tight.
    spot, _, _, tau, rate, div, _, is_call = _random_market(rng, n, min_days=7)
    vol = rng.uniform(0.08, 1.0, n)
    fwd = spot * np.exp((rate - div) * tau)
    strike = fwd * np.exp(vol * np.sqrt(tau) * rng.uniform(-2.5, 2.5, n))
    g = bsm_greeks(spot, strike, tau, rate, div, vol, is_call)

    def price(s=spot, t=tau, v=vol):
        return bsm_price(s, strike, t, rate, div, v, is_call)

    def rel_err(exact, approx):
        return np.max(np.abs(exact - approx) / np.abs(exact))

    h = 1e-5 * spot
    assert rel_err(g.delta, (price(s=spot + h) - price(s=spot - h)) / (2 * h)) < 5e-6
    h = 1e-4 * spot
    assert rel_err(g.gamma, (price(s=spot + h) - 2 * price() + price(s=spot - h)) / h**2) < 3e-4
    h = 1e-5
    assert rel_err(g.vega, (price(v=vol + h) - price(v=vol - h)) / (2 * h)) < 1e-6
    # Theta is calendar time passing: minus the derivative in time to expiry.
    assert rel_err(g.theta, -(price(t=tau + h) - price(t=tau - h)) / (2 * h)) < 2e-5

    # Black-76: delta w.r.t. the forward, theta with the forward held fixed.
    b = black76_greeks(fwd, strike, tau, rate, vol, is_call)

    def b76(f=fwd, t=tau):
        return black76_price(f, strike, t, rate, vol, is_call)

    h = 1e-5 * fwd
    assert rel_err(b.delta, (b76(f=fwd + h) - b76(f=fwd - h)) / (2 * h)) < 5e-6
    h = 1e-4 * fwd
    assert rel_err(b.gamma, (b76(f=fwd + h) - 2 * b76() + b76(f=fwd - h)) / h**2) < 3e-4
    h = 1e-5
    assert rel_err(b.theta, -(b76(t=tau + h) - b76(t=tau - h)) / (2 * h)) < 2e-5


def test_chunked_kernel_with_preallocated_outputs():
    """The fast path with a tiny block length (many chunk boundaries, broadcast inputs) agrees
    with a one-block evaluation, and writes into the buffers it was given."""
    rng = np.random.default_rng(3)
    spot = 5000.0  # scalar
    strike = np.round(5000 * np.exp(rng.normal(0, 0.1, (37, 11))) / 5) * 5
    tau = (np.arange(11) + 1) / 365.0  # broadcasts along the last axis
    vol = rng.uniform(0.1, 0.5, (37, 11))
    is_call = rng.random((37, 1)) < 0.5
    out = Greeks(*(np.empty((37, 11)) for _ in FIELDS))
    res = bsm_greeks_into(spot, strike, tau, 0.04, 0.015, vol, is_call, out, BsmWorkspace(7))
    assert res is out
    one_block = bsm_greeks_into(
        spot,
        strike,
        tau,
        0.04,
        0.015,
        vol,
        is_call,
        Greeks(*(np.empty((37, 11)) for _ in FIELDS)),
        BsmWorkspace(37 * 11),
    )
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(out, name), getattr(one_block, name))
    # A single point priced separately (scalar path) agrees with its element.
    single = bsm_greeks(spot, strike[5, 3], tau[3], 0.04, 0.015, vol[5, 3], is_call[5, 0])
    assert single.price.shape == ()
    for name in FIELDS:
        assert getattr(single, name) == getattr(out, name)[5, 3]
    with pytest.raises(ValueError):
        bsm_greeks_into(spot, strike, tau, 0.04, 0.015, vol, is_call, Greeks(*[np.empty(3)] * 5))


# ---------------------------------------------------------------------------------------------
# Edge conventions
# ---------------------------------------------------------------------------------------------


def test_expiry_today_is_intrinsic_with_step_delta():
    strike = np.array([90.0, 100.0, 110.0, 90.0, 100.0, 110.0])
    is_call = np.array([True, True, True, False, False, False])
    g = bsm_greeks(100.0, strike, 0.0, 0.05, 0.02, 0.3, is_call)
    np.testing.assert_array_equal(g.price, [10.0, 0.0, 0.0, 0.0, 0.0, 10.0])
    np.testing.assert_array_equal(g.delta, [1.0, 0.5, 0.0, 0.0, -0.5, -1.0])
    for name in ("gamma", "vega", "theta"):
        np.testing.assert_array_equal(getattr(g, name), 0.0)
    b = black76_greeks(20.0, np.array([15.0, 25.0]), 0.0, 0.05, 1.2, np.array([True, False]))
    np.testing.assert_array_equal(b.price, [5.0, 5.0])
    np.testing.assert_array_equal(b.delta, [1.0, -1.0])


def test_zero_vol_is_discounted_forward_intrinsic():
    spot, tau, rate, div = 100.0, 0.5, 0.05, 0.01
    strike = np.array([90.0, 110.0, 90.0, 110.0])
    is_call = np.array([True, True, False, False])
    g = bsm_greeks(spot, strike, tau, rate, div, 0.0, is_call)
    w = np.where(is_call, 1.0, -1.0)
    lower = np.maximum(w * (spot * np.exp(-div * tau) - strike * np.exp(-rate * tau)), 0.0)
    np.testing.assert_allclose(g.price, lower, rtol=1e-15, atol=1e-13)
    itm = lower > 0
    np.testing.assert_allclose(g.delta, np.where(itm, w * np.exp(-div * tau), 0.0), rtol=1e-15)
    np.testing.assert_array_equal(g.gamma, 0.0)
    np.testing.assert_array_equal(g.vega, 0.0)
    # Theta of a certain payoff is the carry: d/dt of w(S e^{−qτ} − K e^{−rτ}).
    carry = w * (div * spot * np.exp(-div * tau) - rate * strike * np.exp(-rate * tau))
    np.testing.assert_allclose(g.theta, np.where(itm, carry, 0.0), rtol=1e-14, atol=1e-14)
    # And vol → 0 is continuous with the σ = 0 answer.
    tiny = bsm_price(spot, strike, tau, rate, div, 1e-6, is_call)
    np.testing.assert_allclose(tiny, lower, atol=1e-10)


def test_invalid_inputs_give_nan_and_no_warnings():
    args = dict(strike=100.0, rate=0.05, div_yield=0.0, is_call=True)
    cases = [
        dict(spot=-1.0, tau=0.5, vol=0.2),
        dict(spot=0.0, tau=0.5, vol=0.2),
        dict(spot=100.0, tau=-0.1, vol=0.2),
        dict(spot=100.0, tau=0.5, vol=-0.2),
        dict(spot=np.nan, tau=0.5, vol=0.2),
        dict(spot=100.0, tau=np.inf, vol=0.2),
    ]
    for case in cases:
        g = bsm_greeks(**case, **args)
        for name in FIELDS:
            assert np.isnan(getattr(g, name)), (case, name)
    # A valid neighbour in the same array is untouched by the NaN handling.
    g = bsm_greeks(np.array([100.0, -1.0]), 100.0, 0.5, 0.05, 0.0, 0.2, True)
    assert np.isfinite(g.price[0]) and np.isnan(g.price[1])


def test_extreme_but_valid_inputs_stay_finite_and_bounded():
    rng = np.random.default_rng(9)
    n = 20_000
    spot = rng.uniform(1.0, 8000.0, n)
    strike = spot * np.exp(rng.normal(0.0, 2.0, n))  # absurdly deep in and out of the money
    tau = np.exp(rng.uniform(np.log(1e-9), np.log(30.0), n))  # a few seconds to 30 years
    vol = np.exp(rng.uniform(np.log(1e-6), np.log(50.0), n))  # up to 5000% vol
    is_call = rng.random(n) < 0.5
    g = bsm_greeks(spot, strike, tau, 0.05, 0.02, vol, is_call)
    for name in FIELDS:
        assert np.all(np.isfinite(getattr(g, name))), name
    sq, kr = spot * np.exp(-0.02 * tau), strike * np.exp(-0.05 * tau)
    w = np.where(is_call, 1.0, -1.0)
    lower = np.maximum(w * (sq - kr), 0.0)
    upper = np.where(is_call, sq, kr)
    slack = 1e-12 * np.maximum(spot, strike)
    assert np.all(g.price >= lower - slack) and np.all(g.price <= upper + slack)
    assert np.all(g.gamma >= 0.0) and np.all(g.vega >= 0.0)
    assert np.all(w * g.delta >= 0.0) and np.all(np.abs(g.delta) <= 1.0)


# ---------------------------------------------------------------------------------------------
# Implied volatility
# ---------------------------------------------------------------------------------------------


def _check_round_trip(iv, vol, price, vega, forward, strike, is_call, discount):
    """Assert the round trip; return the max relative vol error among clear-cut cases."""
    assert set(np.unique(iv.reason)) <= set(IV_REASONS)
    w = np.where(is_call, 1.0, -1.0)
    intrinsic = np.maximum(w * (forward - strike), 0.0)
    time_value = price / discount - intrinsic  # undiscounted, as the documented rule reads
    itm = intrinsic > 0
    limit = NTV_RTOL * np.maximum(forward, strike)
    # The documented rule: in the money the time value must exceed NTV_RTOL·max(F, K); out of the
    # money the price must exceed NTV_ATOL·min(F, K). Cases within a factor 2 may go either way.
    limit = np.where(itm, limit, NTV_ATOL * np.minimum(forward, strike))
    clear_ok = time_value > 2 * limit
    clear_ntv = time_value < 0.5 * limit
    assert np.all(iv.reason[clear_ok] == "ok"), np.unique(iv.reason[clear_ok])
    assert np.all(iv.reason[clear_ntv] == "no_time_value")
    assert np.all(np.isnan(iv.vol[iv.reason != "ok"]))
    ok = iv.reason == "ok"
    # How well a vol is determined by a price known to a few ulps: Δσ ≈ Δprice / vega, with
    # Δprice from rounding of the in-the-money subtraction (~1e-15 of the scale) and, far in the
    # tails, ~1e-9 relative cancellation noise of the two-term formula itself.
    noise = 4e-16 * np.maximum(forward, strike) * discount * itm + 1e-9 * price
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # vega underflows to 0 only where the price itself is ~1e-300: no vol check possible.
        tol = 1e-10 * vol + np.where(vega > 0, noise / vega, np.inf)
    err = np.abs(iv.vol - vol)
    assert np.all(err[ok] <= tol[ok]), np.max(err[ok] / tol[ok])
    return float(np.max(err[clear_ok] / vol[clear_ok]))


def test_implied_vol_bsm_round_trip():
    rng = np.random.default_rng(42)
    n = 30_000
    spot, strike, _, tau, rate, div, vol, is_call = _random_market(rng, n)
    # A third of the grid at 1–3 days to expiry (0DTE-like short tau), and vol up to 300%.
    short = rng.random(n) < 0.33
    tau = np.where(short, rng.integers(1, 4, n) / 365.0, tau)
    vol = np.exp(rng.uniform(np.log(0.02), np.log(3.0), n))
    price = bsm_price(spot, strike, tau, rate, div, vol, is_call)
    vega = bsm_greeks(spot, strike, tau, rate, div, vol, is_call).vega
    iv = implied_vol_bsm(price, spot, strike, tau, rate, div, is_call)
    discount = np.exp(-rate * tau)
    forward = spot * np.exp(-div * tau) / discount
    _check_round_trip(iv, vol, price, vega, forward, strike, is_call, discount)
    ok = iv.reason == "ok"
    # The rest is 1–3-day options whose price underflowed to 0 or whose time value is rounding.
    assert ok.mean() > 0.75
    # Deep out of the money and short-dated prices are part of what came back.
    deep = ok & (price < 1e-6 * spot)
    assert deep.sum() > 500
    assert (ok & short).sum() > 5000
    # The vol reprices the input to 1e-10 where the price is not in the far tail's noise.
    repriced = bsm_price(spot[ok], strike[ok], tau[ok], rate[ok], div[ok], iv.vol[ok], is_call[ok])
    rel = np.abs(repriced - price[ok]) / price[ok]
    body = price[ok] > 1e-100
    assert np.all(rel[body] <= 1e-10 + 1e-14 * np.maximum(spot, strike)[ok][body] / price[ok][body])


def test_implied_vol_black76_round_trip():
    rng = np.random.default_rng(43)
    n = 10_000
    fwd = rng.uniform(10.0, 80.0, n)
    strike = np.round(fwd * np.exp(rng.normal(0.0, 0.5, n)))
    strike = np.maximum(strike, 1.0)
    tau = rng.integers(1, 366, n) / 365.0
    rate = rng.uniform(0.0, 0.08, n)
    vol = np.exp(rng.uniform(np.log(0.2), np.log(4.0), n))
    is_call = rng.random(n) < 0.7
    price = black76_price(fwd, strike, tau, rate, vol, is_call)
    vega = black76_greeks(fwd, strike, tau, rate, vol, is_call).vega
    iv = implied_vol_black76(price, fwd, strike, tau, rate, is_call)
    _check_round_trip(iv, vol, price, vega, fwd, strike, is_call, np.exp(-rate * tau))
    assert (iv.reason == "ok").mean() > 0.95


def test_implied_vol_textbook_and_huge_vol():
    iv = implied_vol_bsm(np.array([4.7594, 0.8086]), 42.0, 40.0, 0.5, 0.10, 0.0, [True, False])
    np.testing.assert_allclose(iv.vol, 0.20, atol=2e-5)
    # 500% vol over two years: far up the concave part of the price curve, near the bound.
    p = bsm_price(100.0, 120.0, 2.0, 0.03, 0.0, 5.0, True)
    iv = implied_vol_bsm(p, 100.0, 120.0, 2.0, 0.03, 0.0, True)
    assert iv.reason == "ok"
    assert iv.vol == pytest.approx(5.0, rel=1e-8)
    assert iv.vol.shape == () and iv.reason.shape == ()


def test_implied_vol_edge_reasons():
    s, k, t, r, q = 100.0, 90.0, 0.5, 0.05, 0.01
    sq, kr = s * np.exp(-q * t), k * np.exp(-r * t)
    call_lower = sq - kr
    cases = [
        # (price, strike, tau, is_call, expected reason)
        (call_lower - 1e-3, k, t, True, "below_intrinsic"),
        (-0.01, 110.0, t, True, "below_intrinsic"),  # negative price of an OTM option
        (sq + 1e-6, k, t, True, "above_upper_bound"),
        (sq, k, t, True, "above_upper_bound"),  # at the bound: infinite vol
        (kr + 1e-6, k, t, False, "above_upper_bound"),
        (5.0, k, 0.0, True, "expired"),
        (5.0, k, -0.1, True, "expired"),
        (call_lower, k, t, True, "no_time_value"),  # exactly the European lower bound
        (call_lower * (1 + 1e-14), k, t, True, "no_time_value"),  # within rounding of it
        (0.0, 200.0, t, True, "no_time_value"),  # a worthless OTM option: any vol fits
        (np.nan, k, t, True, "invalid_input"),
    ]
    price, strike, tau, is_call, expected = (np.array(c) for c in zip(*cases, strict=True))
    iv = implied_vol_bsm(price, s, strike, tau, r, q, is_call)
    np.testing.assert_array_equal(iv.reason, expected)
    assert np.all(np.isnan(iv.vol))

    # Black-76 bounds: e^{−rτ}·max(w(F−K), 0) ≤ price ≤ e^{−rτ}·(F or K).
    f, d = 20.0, np.exp(-r * t)
    iv = implied_vol_black76(
        np.array([d * 5.0 - 1e-4, d * 20.0 + 1e-9, d * 5.0, 1.0, d * 2.5]),
        f,
        np.array([15.0, 25.0, 15.0, 25.0, 18.0]),
        np.array([t, t, t, 0.0, t]),
        r,
        np.array([True, True, True, True, True]),
    )
    np.testing.assert_array_equal(
        iv.reason, ["below_intrinsic", "above_upper_bound", "no_time_value", "expired", "ok"]
    )
    assert np.isnan(iv.vol[:4]).all() and np.isfinite(iv.vol[4])
