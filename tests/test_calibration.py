"""Calibration of the §2.1 surface to quotes (method §2.1): the market side on a trimmed real
slice, and the fit recovering a surface it was given."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alvh.data.quotes.reader import read_quotes
from alvh.model import calibration as cal
from alvh.model import market as mm
from alvh.model.pricing import black76_price, bsm_price

SLICE = Path(__file__).parent / "fixtures/option_chains/cboe_quote_table_spx_2023-09-01_cut.csv"
RATE = 0.0529  # 3-month T-bill on 2023-09-01
SPX_CLOSE = 4515.77  # the file's header (and the bundled SPX close)


@pytest.fixture(scope="module")
def real_options() -> pd.DataFrame:
    frame = read_quotes(SLICE).frame
    frame = frame[frame["root"] == "SPXW"].copy()
    frame["tau"] = (frame["expiry"] - frame["as_of"]).dt.days / 365.0
    frame["rate"] = RATE
    return cal.market_options(frame)


def test_parity_forward_recovers_the_forward_and_ignores_one_stale_quote():
    strikes = np.arange(4300.0, 4701.0, 25.0)
    forward, tau, rate, vol = 4512.3, 30 / 365, 0.05, 0.15
    calls = black76_price(forward, strikes, tau, rate, vol, True)
    puts = black76_price(forward, strikes, tau, rate, vol, False)
    assert cal.parity_forward(strikes, calls, puts, tau, rate) == pytest.approx(forward, abs=1e-9)
    stale = calls.copy()
    stale[np.argmin(np.abs(strikes - forward))] += 5.0  # one call near the money left stale
    assert cal.parity_forward(strikes, stale, puts, tau, rate) == pytest.approx(forward, abs=1e-9)
    assert np.isnan(cal.parity_forward(strikes, calls * np.nan, puts, tau, rate))


def test_market_options_of_a_real_day_are_otm_two_sided_and_reprice_their_mid(real_options):
    o = real_options
    assert len(o) > 100 and o["expiry"].nunique() >= 4
    # the market's forward sits just above the close (carry less dividends), per expiry
    per_expiry = o.groupby("expiry")["forward"].first()
    assert ((per_expiry / SPX_CLOSE - 1).abs() < 0.01).all()
    assert (o["bid"] > 0).all() and (o["ask"] > o["bid"]).all()
    call = (o["type"] == "C").to_numpy()
    assert (o.loc[call, "strike"] >= o.loc[call, "forward"]).all()
    assert (o.loc[~call, "strike"] < o.loc[~call, "forward"]).all()
    again = black76_price(o["forward"], o["strike"], o["tau"], o["rate"], o["market_iv"], call)
    np.testing.assert_allclose(again, o["mid"], rtol=1e-6, atol=1e-6)
    assert ((o["delta"] > 0) == call).all()
    # a put skew: the further out of the money a put, the higher its vol (one expiry)
    one = o[(o["expiry"] == o["expiry"].max()) & ~call].sort_values("strike")
    assert one["market_iv"].iloc[0] > one["market_iv"].iloc[-1] + 0.03


def test_condor_legs_pick_the_20_and_5_delta_strikes(real_options):
    legs = cal.condor_legs(real_options)
    assert len(legs) and len(legs) % 4 == 0
    for _, condor in legs.groupby("condor"):
        by_leg = condor.set_index("leg")
        for leg, _, target, sign in cal.CONDOR_LEGS:
            assert abs(by_leg.loc[leg, "delta"] - target) <= cal.DELTA_TOLERANCE
            assert by_leg.loc[leg, "sign"] == sign
        k = by_leg["strike"]
        assert k["long put"] < k["short put"] < k["short call"] < k["long call"]
        days = (condor["expiry"].iloc[0] - condor["as_of"].iloc[0]).days
        assert cal.CONDOR_DAYS[0] <= days <= cal.CONDOR_DAYS[1]


def _synthetic_market(truth: cal.SurfaceParams) -> pd.DataFrame:
    """Options priced on `truth`: 4 days (VIX 11..32), 3 expiries, puts and calls 5Δ..ATM."""
    rows = []
    for day, vix in enumerate((11.0, 16.0, 22.0, 32.0)):
        for days in (9, 30, 52):
            tau = days / 365.0
            forward = 4500.0
            k = forward * np.exp(np.linspace(-4.0, 2.0, 41) * np.sqrt(tau) * vix / 100)
            rows.append(
                pd.DataFrame(
                    {
                        "as_of": pd.Timestamp("2024-01-02") + pd.Timedelta(days=day),
                        "expiry": pd.Timestamp("2024-01-02") + pd.Timedelta(days=day + days),
                        "strike": k,
                        "type": np.where(k >= forward, "C", "P"),
                        "forward": forward,
                        "tau": tau,
                        "rate": 0.04,
                        "vix": vix,
                        "vix9d": vix * 0.95,
                        "vix3m": vix * 1.08,
                        "vix6m": vix * 1.12,
                    }
                )
            )
    options = pd.concat(rows, ignore_index=True)
    options["market_iv"] = cal.surface_vol(options, truth)
    call = (options["type"] == "C").to_numpy()
    args = (options["forward"], options["strike"], options["tau"], options["rate"])
    options["mid"] = black76_price(*args, options["market_iv"], call)
    options["bid"], options["ask"] = options["mid"] * 0.98, options["mid"] * 1.02
    from alvh.model.pricing import black76_greeks

    options["delta"] = black76_greeks(*args, options["market_iv"], call).delta
    return options


def test_fit_surface_recovers_the_surface_that_priced_the_quotes():
    truth = cal.SurfaceParams(
        0.82,
        -0.03,
        -0.02,
        replace(mm.SkewParams(), s=-2.0, c=0.45, s_vix=-0.9, c_vix=-3.0, floor=0.78),
    )
    options = _synthetic_market(truth)
    options = options[options["delta"].abs().between(0.05, 0.5)]
    start = cal.SurfaceParams(0.85, 0.0, 0.0, mm.SkewParams(-1.8787, 0.2096, 0.70))
    before = np.abs(cal.surface_vol(options, start) - options["market_iv"]).max()
    fit = cal.fit_surface(options, cal.condor_legs(options), start=start)
    after = np.abs(cal.surface_vol(options, fit.params) - options["market_iv"]).max()
    assert before > 0.01 and after < 1e-4  # from vol points apart to a hundredth of one
    assert fit.params.atm_ratio == pytest.approx(0.82, abs=2e-3)
    assert fit.params.skew.s == pytest.approx(-2.0, abs=0.05)
    assert fit.n_condors > 0 and fit.n_slices == 12
    credits = cal.condor_credits(cal.condor_legs(options), fit.params)
    assert credits["error_pct"].abs().max() < 0.1


def test_the_shipped_defaults_are_the_calibrated_surface_and_arbitrage_free_at_high_vix():
    from alvh.book.valuation import ModelParams

    p = ModelParams()
    assert p.atm_ratio < 0.85 and p.skew.s_vix != 0.0  # no longer the §2.1 reference fit
    # beyond the calibrated range (VIX 40, 60 days) the shape is held, not extrapolated
    s_in, c_in, _ = p.skew.shape(60 / 365, 40.0)
    s_out, c_out, _ = p.skew.shape(365 / 365, 90.0)
    assert (s_in, c_in) == (s_out, c_out)
    strikes = np.arange(1500.0, 7500.0, 5.0)
    for vix in (40.0, 60.0, 90.0):
        atm = p.atm_vol(1.0, vix)
        vol = mm.spx_implied_vol(strikes, 5000.0 * np.exp(0.025), 1.0, 1.65 * atm, vix, p.skew)
        for call in (True, False):
            px = bsm_price(5000.0, strikes, 1.0, 0.04, 0.015, vol, call)
            assert mm.strike_arbitrage(strikes, px, call)["n_breaches"] == 0


VIX_SLICE = (
    Path(__file__).parent / "fixtures/option_chains/datashop_eod_quotes_vix_2016-06-01_cut.csv"
)


def test_vix_options_parity_forward_is_the_future_and_longer_calls_carry_less_vol():
    frame = read_quotes(VIX_SLICE).frame
    frame = frame[frame["root"] == "VIX"].copy()
    frame["tau"] = (frame["expiry"] - frame["as_of"]).dt.days / 365.0
    frame = frame[frame["tau"] * 365 >= 7].assign(rate=0.0027)
    options = cal.market_options(frame)
    forwards = options.groupby("expiry")["forward"].first()
    # the bundled VX settlements of 2016-06-01 for the June and July contracts
    settle = pd.Series({pd.Timestamp("2016-06-15"): 15.275, pd.Timestamp("2016-07-20"): 17.525})
    np.testing.assert_allclose(forwards.loc[settle.index], settle, atol=0.03)
    flat = mm.VixSkew(level_tenor=0.0)
    fitted = cal.fit_vix_level_tenor(options, 78.93, 1.2, flat)
    assert fitted < -0.02  # the 49-day calls are cheaper in vol than the flat level says
    calls = options[options["type"] == "C"]
    before = np.abs(cal.vix_option_errors(calls, 78.93, 1.2, flat)).sum()
    after = np.abs(cal.vix_option_errors(calls, 78.93, 1.2, replace(flat, level_tenor=fitted)))
    assert after.sum() < before


def test_vix_level_term_structure_is_flat_to_a_month_then_a_power_of_the_tenor():
    skew = mm.VixSkew(level_tenor=-0.2)
    days = np.array([7.0, 20.0, 30.0, 60.0, 180.0, 365.0, 700.0])
    forward = 20.0
    vol = mm.vix_option_vol(forward, forward, days / 365, 100.0, skew=replace(skew, anchor="atm"))
    no_term = mm.VixSkew(anchor="atm", level_tenor=0.0)
    flat = mm.vix_option_vol(forward, forward, days / 365, 100.0, skew=no_term)
    ratio = vol / flat
    np.testing.assert_allclose(ratio[:3], 1.0)
    np.testing.assert_allclose(ratio[3:6], (days[3:6] / 30) ** -0.2)
    assert ratio[6] == pytest.approx(ratio[5])  # held beyond a year
