"""Scenarios (method §4.4, §4.5) checked by identities that hold whatever the model."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from alvh.book.positions import Position, load_sample_book, open_positions
from alvh.book.scenarios import (
    EXPLICIT_VIX_SHIFTS,
    SPX_SHOCKS,
    hedged_breakevens,
    history_inputs,
    scenario_grid,
    stress_replay,
)
from alvh.book.valuation import ModelParams, build_legs, leg_greeks, price_legs
from alvh.data.market_day import load_market

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
    assert set(found["horizon"]) == {"1 day", "5 days", "expiry 2026-09-16"}
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
