"""The day's surface fitted to its own quotes (method §2.1; issue 11): on trimmed real slices it
lowers the day's error below the defaults' and the 0.4 target on the strikes it saw and on
those it did not; thin days are refused; the fits stay free of static arbitrage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alvh.book.valuation import ModelParams
from alvh.core.resources import snapshot_dir
from alvh.data.quotes.reader import read_quotes
from alvh.model import calibration as cal
from alvh.model import day_surface as ds
from alvh.model import market as mm
from alvh.model.pricing import bsm_price

FIXTURES = Path(__file__).parent / "fixtures" / "option_chains"
DEFAULTS = cal.SurfaceParams(
    ModelParams().atm_ratio, ModelParams().atm_ratio_vix, ModelParams().atm_ratio_tenor
)
# trimmed real slices with two expiries 7–60 days out (tests/fixtures/option_chains)
TWO_EXPIRIES = (
    "cboe_quote_table_spx_2020-09-04_cut.dat",
    "cboe_quote_table_spx_2022-01-07_cut.csv",
)
ONE_EXPIRY = "cboe_quote_table_spx_2023-04-14_cut.csv"
THIN_DAYS = "hod_l2_spxw_2018-02-02_to_2018-02-05_cut.csv"  # one expiry, 16–20 options a day


def day_options(name: str) -> dict[pd.Timestamp, pd.DataFrame]:
    """`market_options` of each day of a slice, on the day's bundled VIX family and T-bill."""
    snap = snapshot_dir()
    family = pd.read_csv(snap / "cboe_vol_indices_daily.csv", parse_dates=["date"])
    family = family.set_index("date")
    rates = pd.read_csv(snap / "macro/DTB3.csv", parse_dates=["date"]).dropna()
    rates = rates.set_index("date")["DTB3"]
    quotes = read_quotes(FIXTURES / name).frame
    quotes = ds.fit_quotes(quotes[quotes["root"].isin(["SPX", "SPXW"])]).copy()
    out = {}
    for day, g in quotes.groupby("as_of"):
        g = g.assign(
            tau=(g["expiry"] - g["as_of"]).dt.days / 365.0,
            rate=float(rates.loc[:day].iloc[-1]) / 100.0,
            **{k: float(family.loc[day, k]) for k in ("vix", "vix9d", "vix3m", "vix6m")},
        )
        out[day] = cal.market_options(g)
    return out


@pytest.mark.parametrize("name", TWO_EXPIRIES)
def test_the_day_fit_beats_the_defaults_on_strikes_it_saw_and_strikes_it_did_not(name):
    ((day, options),) = day_options(name).items()
    seen = ds.every_other_strike(options)
    fit = ds.fit_day_surface(options[seen], DEFAULTS, day.date())
    assert fit.fitted and fit.n_slices == 2, fit.reason
    assert fit.error_fitted < fit.error_defaults and fit.error_fitted < 0.4
    assert fit.error_fitted == pytest.approx(
        ds.median_abs_error(ds.in_band(options[seen]), fit.params)
    )
    unseen = ds.in_band(options[~seen])
    assert len(unseen) >= 20
    defaults_unseen = ds.median_abs_error(unseen, DEFAULTS)
    fitted_unseen = ds.median_abs_error(unseen, fit.params)
    assert fitted_unseen < defaults_unseen and fitted_unseen < 0.4
    # the elasticities one day cannot identify are the defaults'
    assert fit.params.atm_ratio_vix == DEFAULTS.atm_ratio_vix
    assert (fit.params.skew.s_vix, fit.params.skew.c_vix) == (
        DEFAULTS.skew.s_vix,
        DEFAULTS.skew.c_vix,
    )


def test_a_day_with_too_few_options_is_refused_and_says_why():
    days = day_options(THIN_DAYS)
    assert len(days) == 2
    for day, options in days.items():
        n = len(ds.in_band(options))
        assert 0 < n < ds.MIN_OPTIONS
        fit = ds.fit_day_surface(options, DEFAULTS, day.date())
        assert fit.status == "refused" and fit.params == DEFAULTS and fit.error_fitted is None
        assert f"{n} 5Δ–ATM options" in fit.reason and f"at least {ds.MIN_OPTIONS}" in fit.reason


def test_one_expiry_holds_the_tenor_slope_and_the_penalty_holds_a_thin_fit():
    ((day, options),) = day_options(ONE_EXPIRY).items()
    fit = ds.fit_day_surface(options, DEFAULTS, day.date())
    assert fit.fitted and fit.n_slices == 1
    assert fit.params.atm_ratio_tenor == DEFAULTS.atm_ratio_tenor  # not identifiable
    assert fit.params.atm_ratio != DEFAULTS.atm_ratio
    band = ds.in_band(options)
    # a penalty scale of nothing keeps every fitted value at the start; only `free` moves
    held = cal.fit_surface(
        band, start=DEFAULTS, free=ds.FITTED, prior_scale=dict.fromkeys(ds.FITTED, 1e-9)
    )
    np.testing.assert_allclose(
        [held.params.atm_ratio, held.params.skew.s, held.params.skew.c],
        [DEFAULTS.atm_ratio, DEFAULTS.skew.s, DEFAULTS.skew.c],
        atol=1e-6,
    )
    level_only = cal.fit_surface(band, start=DEFAULTS, free=("atm_ratio",))
    assert (
        level_only.params.skew == DEFAULTS.skew
        and level_only.params.atm_ratio != DEFAULTS.atm_ratio
    )
    # the shipped penalty pulls the thin day's fit towards the defaults, against none at all
    loose = cal.fit_surface(
        band,
        cal.condor_legs(band),
        start=DEFAULTS,
        condor_weight=ds.CONDOR_WEIGHT,
        free=ds.FITTED[:1] + ds.FITTED[2:],
    )

    def moved(p: cal.SurfaceParams) -> float:
        return (
            abs(p.skew.s - DEFAULTS.skew.s) / ds.PRIOR_SCALE["s"]
            + abs(p.atm_ratio - DEFAULTS.atm_ratio) / ds.PRIOR_SCALE["atm_ratio"]
        )

    assert moved(fit.params) < moved(loose.params)


def test_fit_surface_refuses_names_it_does_not_fit():
    ((_, options),) = day_options(ONE_EXPIRY).items()
    with pytest.raises(ValueError, match="not surface parameters: vvix"):
        cal.fit_surface(ds.in_band(options), free=("atm_ratio", "vvix"))


def fitted_surfaces() -> list[cal.SurfaceParams]:
    fits = []
    for name in (*TWO_EXPIRIES, ONE_EXPIRY):
        for day, options in day_options(name).items():
            fit = ds.fit_day_surface(options, DEFAULTS, day.date())
            assert fit.fitted, (name, fit.reason)
            fits.append(fit.params)
    return fits


SPOT, RATE, DIV = 5000.0, 0.04, 0.015
STRIKES = np.arange(0.3 * SPOT, 1.5 * SPOT + 1e-9, 5.0)
TENORS = (1, 2, 5, 9, 14, 30, 60, 93, 183, 365)


def grid_breaches(params: cal.SurfaceParams, atm_scale: float) -> int:
    """The §2.1 grid of tests/test_market.py (VIX 9..90, 1 d..1 y) priced on `params`."""
    vix = np.arange(9.0, 90.5, 1.0)[:, None]
    breaches = 0
    for days in TENORS:
        tau = days / 365
        fwd = SPOT * np.exp((RATE - DIV) * tau)
        atm = atm_scale * mm.atm_vol(
            tau,
            vix,
            atm_ratio=params.atm_ratio,
            ratio_vix=params.atm_ratio_vix,
            ratio_tenor=params.atm_ratio_tenor,
        )
        vol = mm.spx_implied_vol(STRIKES[None, :], fwd, tau, atm, vix, params.skew)
        for is_call in (True, False):
            px = bsm_price(SPOT, STRIKES[None, :], tau, RATE, DIV, vol, is_call)
            for row in px:
                breaches += mm.strike_arbitrage(STRIKES, row, is_call, tol=1e-9)["n_breaches"]
    return breaches


def test_the_fits_of_the_real_slices_pass_the_arbitrage_grid():
    fits = fitted_surfaces()
    assert len(fits) == 3
    for params in fits:
        for scale in (0.65, 1.0, 1.65):
            assert grid_breaches(params, scale) == 0, (params, scale)
        assert (
            ds.arbitrage_breaches(
                params, {"vix": 20.0, "vix9d": 19.0, "vix3m": 21.0, "vix6m": 22.0}
            )
            == 0
        )


def test_a_fit_that_breaks_the_arbitrage_check_is_not_used(monkeypatch):
    """With the §2.1 smile swapped for the plain quadratic + floor (which breaks static
    arbitrage, tests/test_market.py), the check guarding every day fit refuses it."""

    def quadratic(strike, forward, tau, atm, vix, params):
        m = np.log(strike / forward) / (np.sqrt(tau) * vix / 15.0)
        return atm * np.maximum(params.floor, 1.0 + params.s * m + params.c * m * m)

    ((day, options),) = day_options(TWO_EXPIRIES[0]).items()
    assert ds.fit_day_surface(options, DEFAULTS, day.date()).fitted
    monkeypatch.setattr(ds.mm, "spx_implied_vol", quadratic)
    family = {"vix": 20.0, "vix9d": 19.0, "vix3m": 21.0, "vix6m": 22.0}
    assert ds.arbitrage_breaches(DEFAULTS, family) > 0
    fit = ds.fit_day_surface(options, DEFAULTS, day.date())
    assert fit.status == "refused" and "static arbitrage" in fit.reason
