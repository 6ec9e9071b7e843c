"""The §7 backtest on the whole bundled history: invariants and golden checks on real data.

The backtest runs once per module for each preset (module-scoped fixtures on the shared snapshot
warehouse); variations of the configuration reuse the same inputs.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from alvh.backtest import BacktestConfig, load_inputs, run_backtest
from alvh.backtest import metrics as m
from alvh.backtest.candidates import listed_vix_strike
from alvh.backtest.condors import _surface_greeks
from alvh.backtest.engine import RunCache
from alvh.backtest.hedges import VARIANTS, HedgeRules, VxthRule
from alvh.backtest.output import EQUITY_COLUMNS, summary_json, write_outputs
from alvh.book.costs import CostModel
from alvh.book.scenarios import event_catalogue
from alvh.book.valuation import ModelParams
from alvh.core.calendar import vix_expiries
from alvh.model import market as mm
from alvh.store.warehouse import connect

REFERENCE = "unhedged"
HEDGED = [v for v in VARIANTS if v != REFERENCE]


@pytest.fixture(scope="module")
def inputs(snapshot_warehouse):
    con = connect(snapshot_warehouse, read_only=True)
    try:
        yield load_inputs(con)
    finally:
        con.close()


@pytest.fixture(scope="module")
def cndr(inputs):
    return run_backtest(inputs, BacktestConfig(preset="cndr"))


@pytest.fixture(scope="module")
def retail45(inputs):
    return run_backtest(inputs, BacktestConfig(preset="retail45"))


@pytest.fixture(scope="module", params=["cndr", "retail45"])
def result(request, cndr, retail45):
    return {"cndr": cndr, "retail45": retail45}[request.param]


# ---------------------------------------------------------------------------------------------
# Shape (interface.md)


def test_json_has_interface_shape_and_every_catalogued_event(cndr):
    s = json.loads(json.dumps(summary_json(cndr)))  # JSON-clean: no NaN, no numpy types
    assert s["preset"] == "cndr" and s["start"] == "1990-01-02"
    assert set(s["variants"]) == set(VARIANTS)
    for metrics in s["variants"].values():
        for key in ("cagr", "vol", "sharpe", "sortino", "max_drawdown", "calmar"):
            assert isinstance(metrics[key], float)
        assert isinstance(metrics["hedge_cost_per_year"], float)
        date.fromisoformat(metrics["max_drawdown_start"])
        date.fromisoformat(metrics["max_drawdown_end"])
    named = set(event_catalogue()["event"])
    listed = {e["event"] for e in s["events"]}
    assert named <= listed, named - listed
    for e in s["events"]:
        assert set(e["drawdown"]) == set(VARIANTS)
        assert set(e["reduction"]) == set(HEDGED)
        assert all(v is None or v <= 0 for v in e["drawdown"].values())
    claim = s["claim_check"]
    assert claim["claimed"] == [0.35, 0.55]
    assert claim["verdict"] in ("below", "within", "above")
    assert claim["min"] <= claim["median"] <= claim["max"]


def test_equity_csv_has_one_row_per_day_and_variant(cndr, tmp_path):
    files = write_outputs(cndr, tmp_path)
    equity = pd.read_csv(files["equity"])
    assert tuple(equity.columns) == EQUITY_COLUMNS
    assert len(equity) == len(cndr.days) * len(VARIANTS)
    assert not equity.duplicated(["date", "variant"]).any()
    events = pd.read_csv(files["events"])
    assert {"event", "variant", "drawdown", "reduction"} <= set(events.columns)


# ---------------------------------------------------------------------------------------------
# Invariants


def test_equity_is_cash_plus_condors_plus_hedges_every_day(result):
    for v in result.variants.values():
        p = v.path
        np.testing.assert_allclose(
            p.equity, p.cash + p.condor.value + p.hedge.lots_value, rtol=1e-12
        )
        # Each day's change is the two sleeves' P&L plus the cash account's interest.
        interest = np.diff(p.cash) - p.condor.flows[1:] - p.hedge.flows[1:]
        np.testing.assert_allclose(
            np.diff(p.equity), p.condor.pnl[1:] + p.hedge.pnl[1:] + interest, atol=1e-6
        )
        # The hedge P&L splits exactly into decay + roll + move − spread.
        h = p.hedge
        np.testing.assert_allclose(h.pnl, h.decay + h.roll + h.move - h.spread, atol=1e-6)


def test_all_variants_trade_the_same_condors_at_the_same_prices(result):
    """Identical price paths (method §7): one set of trades and per-unit marks; each variant's
    condor sleeve is those marks times its own quantities, sized on its own equity at entry."""
    t = result.condors
    held = t.day_trade >= 0
    for v in result.variants.values():
        c = v.path.condor
        q = c.quantity[t.day_trade[held]]
        np.testing.assert_allclose(c.value[held], -100 * q * t.debit_mid[t.day_row[held]])
        assert (c.value[~held] == 0).all()
        # risk capital at each entry is the preset's share of the variant's equity that close,
        # before that close's trades (which cost their spreads)
        at = t.entry
        before = v.equity[at] + c.spread_cost[at] + v.path.hedge.spread[at]
        share = c.risk_capital[at] / before
        np.testing.assert_allclose(share[c.quantity > 0], t.preset.risk_fraction, rtol=1e-9)
    assert (t.credit_fill < t.credit_mid).all()


@pytest.mark.parametrize("preset", ["cndr", "retail45"])
def test_hedged_equals_unhedged_plus_hedge_sleeve_exactly(inputs, preset):
    """With the unhedged condor sizes for every variant (a pure overlay), the difference of two
    equity curves is the hedge sleeve: its open calls plus the cash its trades moved."""
    r = run_backtest(inputs, BacktestConfig(preset=preset, condor_sizing="shared"))
    u = r.variants[REFERENCE].path
    growth = inputs.path.growth
    for name in HEDGED:
        p = r.variants[name].path
        assert np.array_equal(p.condor.pnl, u.condor.pnl)
        sleeve = growth * np.cumsum(p.hedge.flows / growth) + p.hedge.lots_value
        np.testing.assert_allclose(p.equity - u.equity, sleeve, rtol=0, atol=1e-6)
        assert np.abs(sleeve).max() > 1e3  # the sleeve is not trivially zero


@pytest.mark.parametrize("preset", ["cndr", "retail45"])
def test_zero_size_hedge_reproduces_the_unhedged_curve_exactly(inputs, preset):
    rules = HedgeRules(vxth=VxthRule(weight_low_band=0.0, weight_high_band=0.0))
    # Every layer order is below the minimum order size: the layers decide but never trade.
    rules = replace(rules, min_order_fraction=1.0)
    r = run_backtest(inputs, BacktestConfig(preset=preset, rules=rules))
    u = r.variants[REFERENCE]
    for name in HEDGED:
        v = r.variants[name]
        assert len(v.path.hedge.trades) == 0
        assert np.array_equal(v.equity, u.equity), name
        assert np.array_equal(v.path.cash, u.path.cash), name


def test_a_sweep_cache_gives_what_fresh_runs_give(inputs):
    """`RunCache` reuses condor trades, candidate calls, layer states, events and the unhedged
    reference across configurations: each cached run must equal one computed from scratch."""
    base = BacktestConfig(preset="cndr", variants=("l1l2", "alvh"))
    layers, costs = base.layers, base.costs
    configs = [
        # shorter L2 holds first: sensitivities priced for fewer sessions must not serve more
        replace(base, layers=replace(layers, l2_hold_days=5, l1_pct=0.15)),
        base,
        replace(base, layers=replace(layers, min_days_new=28, l3_exit_fraction=0.7)),
        replace(base, costs=replace(costs, slippage_four_legs=0.66)),
        replace(base, layers=replace(layers, l1_pct=0.12, l2_offset=0.6)),  # all cached
    ]
    cache = RunCache()
    entries = []
    for config in configs:
        cached = run_backtest(inputs, config, cache, detail=False)
        entries.append(len(cache._entries))
        fresh = run_backtest(inputs, config, detail=False)
        for name, v in fresh.variants.items():
            assert np.array_equal(cached.variants[name].equity, v.equity), (config, name)
            same = json.dumps(cached.variants[name].metrics, default=str)
            assert same == json.dumps(v.metrics, default=str), (config, name)
        assert json.dumps(cached.claim, default=str) == json.dumps(fresh.claim, default=str)
    assert entries[-1] == entries[-2]  # the last configuration was served from the cache


def test_costs_only_lower_returns(inputs, result):
    free = CostModel(fee_per_contract=0.0, slippage_up_to_two_legs=0.5, slippage_four_legs=0.5)
    config = BacktestConfig(preset=result.config.preset, costs=free)
    r0 = run_backtest(inputs, config)
    # Same trades, same exits (triggers use mid prices); every per-unit result is lower.
    assert np.array_equal(r0.condors.exit_day, result.condors.exit_day)
    np.testing.assert_array_equal(r0.condors.strikes, result.condors.strikes)
    done = result.condors.exit_day < len(result.days)
    per_unit = result.condors.credit_fill - result.condors.exit_debit
    per_unit0 = r0.condors.credit_fill - r0.condors.exit_debit
    assert (per_unit[done] <= per_unit0[done] + 1e-12).all()
    for name in VARIANTS:
        with_costs, without = result.variants[name], r0.variants[name]
        assert with_costs.equity[-1] < without.equity[-1], name
        assert with_costs.metrics["cagr"] < without.metrics["cagr"], name
        assert (with_costs.path.hedge.spread >= 0).all()
        assert (with_costs.path.condor.spread_cost >= 0).all()


def test_a_condor_never_loses_more_than_its_max_loss(result):
    t = result.condors
    done = t.exit_day < len(result.days)
    assert (t.exit_debit[done] <= t.width[done] + 1e-9).all()
    for v in result.variants.values():
        frame = t.frame(v.path.condor.quantity, result.days)
        closed = frame["exit_date"].notna()
        loss = -frame.loc[closed, "pnl"]
        assert (loss <= frame.loc[closed, "max_loss"] + frame.loc[closed, "fees"] + 1e-6).all()
    # the worst trade does reach a large share of its maximum loss (the check can fail)
    worst = -(t.credit_fill - t.exit_debit)[done] / t.max_loss_unit[done]
    assert worst.max() > 0.5


def test_no_value_is_used_before_it_was_known(snapshot_warehouse, inputs, cndr):
    """A run that ends on 2008-10-15 knows nothing after that day; its equity up to then must
    be the full run's, to the cent."""
    cut = date(2008, 10, 15)
    con = connect(snapshot_warehouse, read_only=True)
    try:
        short = run_backtest(load_inputs(con, end=cut), BacktestConfig(preset="cndr"))
    finally:
        con.close()
    assert short.end == cut
    n = len(short.days)
    assert (short.days == cndr.days[:n]).all()
    for name in VARIANTS:
        np.testing.assert_allclose(
            short.variants[name].equity, cndr.variants[name].equity[:n], rtol=1e-12, err_msg=name
        )


def test_settlements_use_the_expiry_days_open(inputs, cndr):
    t = cndr.condors
    path = inputs.path
    days = t.exit_day[t.settles]
    assert path.spx_settle_is_open[days].all()  # the bundled SPX has an open every day
    s = path.spx_settle[days]
    k = t.strikes[t.settles]
    intrinsic = (
        np.maximum(k[:, 1] - s, 0)
        - np.maximum(k[:, 0] - s, 0)
        + np.maximum(s - k[:, 2], 0)
        - np.maximum(s - k[:, 3], 0)
    )
    np.testing.assert_allclose(t.exit_debit[t.settles], intrinsic, atol=1e-12)
    # VIX calls settle on the VIX open of their expiry day (the close where none was printed)
    lots = cndr.variants["vxth"].path.hedge.lots
    expired = lots[lots["close_kind"] == "expired"]
    vix_settle = path.vix_settle[expired["close_day"].to_numpy()]
    np.testing.assert_allclose(
        expired["close_price"], np.maximum(vix_settle - expired["strike"], 0), atol=1e-12
    )


def test_a_short_window_without_events_still_reports(snapshot_warehouse):
    con = connect(snapshot_warehouse, read_only=True)
    try:
        short = load_inputs(con, start=date(2026, 7, 1), end=date(2026, 8, 20))
    finally:
        con.close()
    r = run_backtest(short, BacktestConfig(preset="retail45"))
    s = json.loads(json.dumps(summary_json(r)))
    assert s["claim_check"]["verdict"] == "n/a" and s["claim_check"]["n_events"] == 0
    assert len(r.condors) == 2 and set(s["variants"]) == set(VARIANTS)


# ---------------------------------------------------------------------------------------------
# Rules


def test_cndr_strikes_are_nearest_to_their_target_deltas(inputs, cndr):
    t = cndr.condors
    params = ModelParams()
    tau = (t.expiry.astype(np.int64) - inputs.path.day_number[t.entry]) / 365.0
    for leg, target, is_call in ((1, 0.20, False), (2, 0.20, True), (0, 0.05, False)):
        gap = []
        for shift in (-5.0, 0.0, 5.0):
            g = _surface_greeks(
                inputs.path, t.entry, t.strikes[:, leg] + shift, tau, is_call, params
            )
            gap.append(np.abs(np.abs(g.delta) - target))
        # the chosen strike is at least as close as its grid neighbours
        ok = (gap[1] <= gap[0] + 1e-12) & (gap[1] <= gap[2] + 1e-12)
        assert ok.mean() > 0.99, (leg, ok.mean())
    assert (t.strikes % 5 == 0).all()
    assert (np.diff(t.strikes, axis=1) > 0).all()


def test_retail45_exits_follow_its_rules(retail45):
    t = retail45.condors
    days = retail45.days
    entry_dte = (t.expiry - days.values[t.entry].astype("datetime64[D]")).astype(int)
    assert (entry_dte <= 45).all() and (entry_dte > 21).all()
    assert (t.strikes[:, 1] - t.strikes[:, 0] == 50).all()
    assert (t.strikes[:, 3] - t.strikes[:, 2] == 50).all()
    assert set(t.exit_reason) <= {"take_profit", "stop_loss", "dte_exit", "open"}
    done = t.exit_day < len(days)
    exit_dte = (t.expiry[done] - days.values[t.exit_day[done]].astype("datetime64[D]")).astype(int)
    assert (exit_dte >= 1).all()
    dte_exit = t.exit_reason[done] == "dte_exit"
    assert (exit_dte[dte_exit] <= 21).all()
    tp = t.exit_reason == "take_profit"
    assert (t.exit_mid[tp] <= 0.5 * t.credit_mid[tp] + 1e-12).all()
    sl = t.exit_reason == "stop_loss"
    assert (t.exit_mid[sl] - t.credit_mid[sl] >= 2.0 * t.credit_mid[sl] - 1e-12).all()


def test_vxth_spends_its_share_of_equity_at_each_vix_expiry(cndr):
    v = cndr.variants["vxth"].path
    buys = v.hedge.trades[v.hedge.trades["action"] == "buy"]
    share = -buys["cash_flow"].to_numpy() / v.equity[buys["day"].to_numpy()]
    # 1 % (VX 15–30) or 0.5 % (VX 30–50) of the equity at that close, within the spread paid
    assert np.all((np.abs(share - 0.01) < 5e-4) | (np.abs(share - 0.005) < 3e-4))
    expiries = set(pd.DatetimeIndex(cndr.days[buys["day"].to_numpy()]).date)
    assert expiries <= set(vix_expiries(cndr.start, cndr.end))


def test_layer_budget_cap_holds(cndr):
    config = cndr.config.layers
    for name in ("l1", "l1l2", "alvh"):
        p = cndr.variants[name].path
        buys = p.hedge.trades[p.hedge.trades["action"] == "buy"]
        day = buys["day"].to_numpy()
        premium = (buys["contracts"] * buys["price"] * 100).to_numpy()
        number = cndr.days.values[day].astype("datetime64[D]").astype(np.int64)
        for i in range(len(buys)):
            window = (number > number[i] - 365) & (number <= number[i])
            assert (
                premium[window].sum()
                <= config.hedge_budget_pct * p.condor.risk_capital[day[i]] + 1e-6
            )


def test_l1_rolls_near_expiry_and_buys_one_month_calls(cndr):
    p = cndr.variants["l1"].path
    trades, lots = p.hedge.trades, p.hedge.lots.set_index("lot")
    days = cndr.days.values.astype("datetime64[D]")
    rolls = trades[trades["action"] == "roll_sell"]
    dte = lots.loc[rolls["lot"], "expiry"].values.astype("datetime64[D]") - days[rolls["day"]]
    assert (dte.astype(int) <= cndr.config.layers.roll_days).all()
    buys = trades[trades["action"] == "buy"]
    dte_new = lots.loc[buys["lot"], "expiry"].values.astype("datetime64[D]") - days[buys["day"]]
    assert (dte_new.astype(int) >= cndr.config.layers.min_days_new).all()
    assert set(buys["signal"]) == {"S1"}


def test_vectorised_call_choice_matches_the_market_helper(inputs):
    params = ModelParams()
    path = inputs.path
    rng = np.random.default_rng(7)
    days = rng.choice(len(path), 150, replace=False)
    forward = 10 + 50 * rng.random(150)
    tau = (21 + 30 * rng.random(150)) / 365
    strikes, _ = listed_vix_strike(forward, tau, path.rate[days], path.vvix[days], params, 0.30)
    for i, d in enumerate(days):
        want = mm.vix_call_strike_for_delta(
            forward[i],
            tau[i],
            path.rate[d],
            lambda k, i=i, d=d: mm.vix_option_vol(
                k,
                forward[i],
                tau[i],
                path.vvix[d],
                params.vix_vol_default,
                params.vvix_multiplier,
                params.vix_skew,
            ),
        )
        assert strikes[i] == want.strike


def test_hedge_cost_split_adds_up(result):
    for v in result.variants.values():
        mt = v.metrics
        split = mt["hedge_cost_split"]
        total = (
            split["premium_decay"]
            + split["futures_roll_down"]
            + split["spread_cost"]
            - split["vix_move_payoff"]
        )
        assert total == pytest.approx(mt["hedge_cost_per_year"], abs=1e-12)
    assert result.variants["vxth"].metrics["hedge_cost_per_year"] > 0


def test_claim_check_follows_its_rule(cndr):
    claim = cndr.claim
    dd = cndr.event_drawdowns.loc[claim["events"]]
    assert (dd[REFERENCE] <= -cndr.config.events.min_unhedged_drawdown).all()
    reductions = 1 - dd[claim["variant"]] / dd[REFERENCE]
    assert claim["median"] == pytest.approx(float(np.median(reductions)))
    low, high = claim["claimed"]
    expected = "below" if claim["median"] < low else "above" if claim["median"] > high else "within"
    assert claim["verdict"] == expected
    overlaps = cndr.events.set_index("event").loc[claim["events"], "overlaps"]
    assert (overlaps == "").all()


def test_detected_spikes_meet_the_rule(inputs, cndr):
    vix = pd.Series(inputs.path.vix, index=cndr.days)
    auto = cndr.events[cndr.events["kind"] == "auto"]
    assert len(auto) >= 20
    for row in auto.itertuples():
        trigger = pd.Timestamp(row.event.removeprefix("auto-"))
        before = vix[:trigger].iloc[-11:-1]
        assert before.min() < 25 and vix[trigger] >= 1.5 * before.min()


def test_attribution_names_the_signals_behind_each_change(cndr):
    a = cndr.attribution
    alvh = a[a["variant"] == "alvh"]
    assert set(alvh["signal"]) <= {"S1", "S2", "S3", "S2+S3", "S4", "S2/S3 (before start)"}
    assert "S1" in set(alvh["signal"])
    # L3's monetisation is off by default (docs/engine.md, "When L3 helps"): no S4 sales.
    assert not (alvh["action"] == "monetise").any()
    assert set(alvh.loc[alvh["layer"] == "L1", "action"]) <= {"buy", "roll_sell", "monetise"}
    lots = cndr.variants["alvh"].path.hedge.lots
    buys = alvh[alvh["action"] == "buy"]
    assert buys["earned"].sum() == pytest.approx(lots["pnl"].sum(), rel=1e-9)
    summary = cndr.attribution_summary
    assert set(summary["variant"]) == set(HEDGED)


# ---------------------------------------------------------------------------------------------
# Golden checks on real data


def test_golden_spx_falls_56_8_percent_from_2007_10_09_to_2009_03_09(inputs):
    path = inputs.path
    window = (path.days >= "2007-01-01") & (path.days <= "2010-12-31")
    days = path.days[window]
    dd = m.max_drawdown(path.spx[window])
    assert dd.depth == pytest.approx(-0.568, abs=0.0005)
    assert days[dd.peak].date() == date(2007, 10, 9)
    assert days[dd.trough].date() == date(2009, 3, 9)


def test_golden_median_front_month_contango_2007_2021_is_near_6_percent(inputs):
    futures = inputs.futures.rename(columns={"trade_date": "date"})
    futures = futures[futures["date"] <= "2021-12-31"]
    front = mm.front_contracts(futures, n=2)
    wide = front.pivot(index="date", columns="rank", values="settle")
    contango = wide[2] / wide[1] - 1
    assert contango.median() == pytest.approx(0.06, abs=0.01)
    assert contango.index.min().year == 2007


def test_futures_roll_down_costs_the_hedge_in_calm_years(cndr):
    # In a calm contango year the future slides down to spot: roll-down is a cost.
    p = cndr.variants["vxth"].path
    year = cndr.days.year
    assert p.hedge.roll[year == 2012].sum() < 0
    assert p.hedge.roll[year == 2021].sum() < 0


def test_headline_numbers_are_stable(cndr):
    """The figures docs/backtest.md quotes (bundled snapshot): a change here must update them."""
    u = cndr.variants[REFERENCE].metrics
    # since issue 11 (the surface calibrated to real quotes): 6.12 % and −19.3 % before
    assert u["cagr"] == pytest.approx(0.0362, abs=0.002)
    assert u["max_drawdown"] == pytest.approx(-0.305, abs=0.01)
    assert cndr.claim["verdict"] == "below"


# ---------------------------------------------------------------------------------------------
# Issue 13: the largest spikes against L1 alone, and the claim's bootstrap interval


def test_no_hedged_variant_cuts_less_than_l1_in_the_largest_spikes_unexplained(cndr):
    spikes = cndr.claim["largest_spikes"]
    assert len(spikes) == 5
    unhedged = [s["unhedged_drawdown"] for s in spikes]
    assert unhedged == sorted(unhedged)  # deepest first
    deepest = cndr.event_drawdowns.loc[cndr.claim["events"], REFERENCE].nsmallest(5)
    assert [s["event"] for s in spikes] == list(deepest.index)
    for spike in spikes:
        assert set(spike["variants"]) == set(HEDGED) - {"l1"}
        for name, v in spike["variants"].items():
            short = v["reduction"] < spike["l1_reduction"] - 1e-4
            assert v["worse_than_l1"] == short, (spike["event"], name)
            # The report must say why wherever a variant falls short of L1 alone.
            assert bool(v["why"]) == short, (spike["event"], name)
            if short:
                assert "hedge sleeve" in v["why"] and "L1's" in v["why"]


def test_the_claim_median_carries_a_bootstrap_90_percent_interval(cndr):
    from alvh.backtest.events import reduction
    from alvh.backtest.spikes import bootstrap_median_interval

    claim = cndr.claim
    low, high = claim["median_interval_90"]
    assert low < claim["median"] < high
    dd = cndr.event_drawdowns.loc[claim["events"]]
    red = reduction(dd[claim["variant"]], dd[REFERENCE])
    assert [low, high] == bootstrap_median_interval(red)
    # Percentile bootstrap: the interval lies inside the range of the values and narrows as the
    # level falls; a constant sample has no spread at all.
    assert np.min(red) <= low and high <= np.max(red)
    narrow = bootstrap_median_interval(red, level=0.5)
    assert low <= narrow[0] <= narrow[1] <= high
    assert bootstrap_median_interval([0.2] * 9) == [0.2, 0.2]
    for name, entry in claim["by_variant"].items():
        assert len(entry["median_interval_90"]) == 2, name
