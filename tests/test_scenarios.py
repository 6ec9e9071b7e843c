"""Scenarios (method §4.4, §4.5) checked by identities that hold whatever the model."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from alvh.book.positions import Position, load_sample_book, open_positions
from alvh.book.scenarios import (
    EXPLICIT_VIX_SHIFTS,
    SPX_SHOCKS,
    fitted_vix_shift,
    hedged_breakevens,
    history_inputs,
    horizons,
    model_leg_deltas,
    scenario_grid,
    stress_replay,
)
from alvh.book.valuation import ModelParams, build_legs, leg_greeks, price_legs
from alvh.data.market_day import MarketSnapshot, load_market
from alvh.model import market as mm
from alvh.model.pricing import bsm_greeks

DAY = date(2026, 8, 20)


@pytest.fixture
def book(mini_warehouse):
    _, con = mini_warehouse
    load_sample_book(con, date(2026, 11, 25))
    positions = open_positions(con, DAY)
    fit, moves = history_inputs(con, DAY)
    return load_market(con, DAY), positions, build_legs(positions), fit, moves


def test_zero_shock_today_is_todays_value(book):
    snapshot, positions, legs, *_ = book
    params = ModelParams()
    base = price_legs(legs, snapshot, params)
    again = price_legs(legs, snapshot, params, 0.0, 0.0, 0.0)
    np.testing.assert_array_equal(base, again)
    # The scenario engine's no-move row is the day's marks (`leg_greeks`, what `mark_book`
    # stores), so every scenario P&L is measured from the marked value.
    marks = leg_greeks(legs, snapshot, params).greeks.price
    assert legs.is_spx.any() and (~legs.is_spx).any()
    np.testing.assert_allclose(base[0], marks, rtol=1e-12, atol=1e-12)


def test_grid_covers_every_shock_response_and_horizon(book):
    snapshot, positions, legs, fit, _ = book
    grid = scenario_grid(legs, positions, snapshot, ModelParams(), fit)
    assert grid["horizon"].nunique() == 3
    assert len(grid) == 3 * len(SPX_SHOCKS) * (1 + len(EXPLICIT_VIX_SHIFTS))
    np.testing.assert_allclose(grid["net_pnl"], grid["condor_pnl"] + grid["hedge_pnl"])


def test_a_vix_calls_pnl_rises_with_the_vix_shock(book):
    snapshot, positions, legs, fit, _ = book
    grid = scenario_grid(legs, positions, snapshot, ModelParams(), fit)
    explicit = grid[grid["vix_response"] != "fit"]
    for _, block in explicit.groupby(["horizon", "spx_shock"]):
        hedge = block.sort_values("vix_shift")["hedge_pnl"].to_numpy()
        assert np.all(np.diff(hedge) > 0)


def test_a_condors_expiry_pnl_is_zero_at_its_breakevens_and_never_below_max_loss(book):
    snapshot, *_ = book
    condor = Position(
        "C",
        "iron_condor",
        date(2026, 9, 18),
        3,
        DAY,
        12.0,
        put_long=7200,
        put_short=7250,
        call_short=7900,
        call_long=7950,
    )
    legs = build_legs([condor])
    days = (condor.expiry - DAY).days
    low, high = condor.breakevens()
    moves = np.array([low, high, 6000.0, 7600.0, 9000.0]) / snapshot.spx - 1
    at_expiry = price_legs(legs, snapshot, ModelParams(), moves, 0.0, days)
    pnl = (condor.entry_price - (-(at_expiry * legs.units).sum(axis=1))) * 100 * 3
    assert pnl[:2] == pytest.approx([0.0, 0.0], abs=1e-6)
    assert pnl.min() >= -condor.max_loss() - 1e-6
    assert pnl[2] == pytest.approx(-condor.max_loss())
    assert pnl[3] == pytest.approx(12.0 * 100 * 3)


def test_hedged_breakevens_are_where_net_pnl_crosses_zero(book):
    snapshot, positions, legs, fit, _ = book
    params = ModelParams()
    found = hedged_breakevens(legs, positions, snapshot, params, fit)
    # the next expiry is the condors' SPX expiry, not the hedges' VIX expiry (2026-09-16)
    assert set(found["horizon"]) == {"1 day", "5 days", "expiry 2026-09-18"}
    from alvh.book.scenarios import fitted_vix_shift

    base = price_legs(legs, snapshot, params)[0]
    for row in found.itertuples():
        ret = np.array([row.move])
        prices = price_legs(
            legs, snapshot, params, ret, fitted_vix_shift(snapshot.vix, ret, fit), row.horizon_days
        )
        net = ((prices[0] - base) * legs.units * legs.quantity * 100).sum()
        scale = sum(p.max_loss() or 0 for p in positions)
        assert abs(net) < 1e-6 * scale


def test_stress_replay_hedge_reduces_losses_and_unhedged_loss_is_bounded(book, snapshot_con):
    snapshot, positions, legs, *_ = book
    _, moves = history_inputs(snapshot_con, DAY)  # the whole history: every catalogued event
    replay = stress_replay(legs, snapshot, ModelParams(), moves)
    assert {"2008-09..12", "2020-02..04", "2024-08"} <= set(replay["event"])
    max_loss = sum(p.max_loss() or 0 for p in positions)
    premium = sum(p.entry_price * 100 * p.quantity for p in positions if p.is_condor)
    assert (replay["condor_pnl"] >= -(max_loss + premium)).all()
    assert (replay["hedge_pnl"] > 0).all()
    covid = replay.set_index("event").loc["2020-02..04"]
    assert covid["spx_return"] == pytest.approx(2237.40 / 3386.15 - 1, abs=1e-4)


def _book_pnl(legs, snapshot, params, fit, moves):
    """Net book P&L of each SPX move under the §4.4 dynamics (VIX by the §2.4 fit), today."""
    base = price_legs(legs, snapshot, params)[0]
    prices = price_legs(legs, snapshot, params, moves, fitted_vix_shift(snapshot.vix, moves, fit))
    return ((prices - base) * legs.units * legs.quantity * 100).sum(axis=1)


def test_a_small_scenario_shock_moves_the_book_by_its_model_delta(book):
    snapshot, _, legs, fit, _ = book
    params = ModelParams()
    per_leg = model_leg_deltas(legs, snapshot, params, fit) * legs.units * legs.quantity * 100
    model_delta = per_leg.sum()
    bs = leg_greeks(legs, snapshot, params).greeks.delta * legs.units * legs.quantity * 100
    bs_delta = bs[legs.is_spx].sum()
    # the two dynamics differ on this book by far more than the tolerance below, so the check
    # would fail for the sticky-strike delta
    assert abs(model_delta - bs_delta) > 5 * 2e-3 * abs(model_delta)
    for eps in (4e-4, 1e-4):  # other steps than the delta's own bump
        up, down = _book_pnl(legs, snapshot, params, fit, np.array([eps, -eps]))
        first_order = model_delta * snapshot.spx * eps
        # central: the P&L of ±ε is ±model delta·ΔSPX to first order ...
        assert (up - down) / 2 == pytest.approx(first_order, rel=2e-3)
        # ... and each side within the gap between the down-day and up-day VIX responses
        one_sided = np.array([up / first_order, -down / first_order])
        assert np.all(np.abs(one_sided - 1) < 0.25)
    # VIX rises when SPX falls, so the VIX calls lose value as SPX rises: a negative SPX delta
    assert (per_leg[~legs.is_spx] < 0).all()


def test_model_delta_is_black_scholes_plus_vega_times_the_smile_move():
    """Without a VIX response the model delta is sticky moneyness: Δ_BS + vega·∂σ/∂SPX, with
    ∂σ/∂SPX read off the §2.1 smile directly (not through the scenario engine)."""
    nan = float("nan")
    snapshot = MarketSnapshot(
        DAY, 7600.0, 20.0, nan, nan, nan, nan, 0.04, "test", 0.013, "test", nan, nan,
        pd.DataFrame(),
    )  # fmt: skip
    condor = Position(
        "C", "iron_condor", date(2026, 9, 18), 1, DAY, 10.0,
        put_long=6800, put_short=7200, call_short=7900, call_long=8000,
    )  # fmt: skip
    legs = build_legs([condor])
    still = mm.VixResponse(0.0, 0.0, 0.0, 10, 0.0, 0.0, 0.0, 10, DAY, DAY)
    params = ModelParams()
    got = model_leg_deltas(legs, snapshot, params, still)
    tau = (condor.expiry - DAY).days / mm.DAYS_PER_YEAR
    atm = float(params.atm_vol(tau, 20.0))
    grow = np.exp((0.04 - 0.013) * tau)

    def vol(spx):
        return mm.spx_implied_vol(legs.strike, spx * grow, tau, atm, 20.0, params.skew)

    h = 1e-3 * 7600.0
    dvol = (vol(7600.0 + h) - vol(7600.0 - h)) / (2 * h)
    g = bsm_greeks(7600.0, legs.strike, tau, 0.04, 0.013, vol(7600.0), legs.is_call)
    # both are central differences (different steps): equal to O(step²)
    np.testing.assert_allclose(got, g.delta + g.vega * dvol, rtol=3e-4)
    # the smile's move is far larger than that tolerance: sticky strike would fail
    assert np.all(np.abs(got - g.delta) > 30 * 3e-4 * np.abs(got))


def test_the_expiry_horizon_is_the_condors_not_the_hedges(book):
    snapshot, positions, *_ = book
    found = horizons(snapshot.as_of, positions)
    condor_expiry = min(p.expiry for p in positions if p.is_condor)
    hedge_expiry = min(p.expiry for p in positions if not p.is_condor)
    assert hedge_expiry < condor_expiry
    assert found[-1].label == f"expiry {condor_expiry}"
    assert found[-1].days == (condor_expiry - snapshot.as_of).days
    hedges_only = horizons(snapshot.as_of, [p for p in positions if not p.is_condor])
    assert hedges_only[-1].label == f"expiry {hedge_expiry}"
    # a book of SPX put verticals (no condor) beside the same hedges: still the SPX expiry
    verticals = [
        replace(p, kind="vertical", legs=p.legs[:2]) if p.is_condor else p for p in positions
    ]
    assert horizons(snapshot.as_of, verticals)[-1].label == f"expiry {condor_expiry}"


def test_the_fitted_vix_response_in_the_grid_stays_below_its_cap(snapshot_con):
    day = date(2020, 3, 16)  # VIX closed at 82.69: uncapped, SPX −25 % mapped to VIX 238.6
    snapshot = load_market(snapshot_con, day)
    fit, _ = history_inputs(snapshot_con, day)
    condor = Position(
        "C", "iron_condor", date(2020, 4, 17), 1, day, 30.0,
        put_long=1900, put_short=2000, call_short=2800, call_long=2900,
    )  # fmt: skip
    legs = build_legs([condor])
    grid = scenario_grid(legs, [condor], snapshot, ModelParams(), fit)
    fitted = grid[grid["vix_response"] == "fit"]
    assert fitted["vix"].max() == pytest.approx(mm.VIX_RESPONSE_CAP)
    worst = fitted[fitted["spx_shock"] == -0.25]["vix"]
    np.testing.assert_allclose(worst, mm.VIX_RESPONSE_CAP)
    assert np.isfinite(grid["net_pnl"]).all()
