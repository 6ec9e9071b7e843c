"""One hedge rulebook (issue 13): the daily engine and the backtest agree; the layers cohere.

The agreement test runs the backtest's full-ALVH variant over the bundled history, then replays
a sample of its decision days through the daily engine — states from the day's own signals as
`alvh layers` computes them, targets from `decide` fed the backtest's book of that day — and
requires the same states and targets. A rule changed on one side only turns it red.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from alvh.backtest import BacktestConfig, load_inputs, run_backtest
from alvh.book.costs import CostModel
from alvh.book.positions import Position
from alvh.book.valuation import ModelParams
from alvh.core.errors import UsageError
from alvh.data.market_day import load_market
from alvh.hedge.day import SIGNAL_LOOKBACK_DAYS
from alvh.hedge.layers import ACTIVE, HedgeInstrument, Holding, decide, layer_state_history
from alvh.hedge.rulebook import (
    DayBook,
    HeldCall,
    LayerConfig,
    Offer,
    Sizing,
    listing_strike_cap,
    plan_day,
)
from alvh.hedge.signals import SignalConfig, compute_signals, load_signal_inputs
from alvh.store.warehouse import connect

# Monetisation on, so that L3's rule is compared too (it is off by default).
CONFIG = LayerConfig(l3_monetize=True)
WINDOWS = (("2008-09-01", "2008-12-31"), ("2020-02-14", "2020-04-30"), ("2024-07-22", "2024-08-30"))


@pytest.fixture(scope="module")
def inputs(snapshot_warehouse):
    con = connect(snapshot_warehouse, read_only=True)
    try:
        return load_inputs(con)
    finally:
        con.close()


@pytest.fixture(scope="module")
def run(inputs):
    return run_backtest(inputs, BacktestConfig(variants=("alvh",), layers=CONFIG))


def _sample_days(result) -> list[int]:
    """Every third decision day inside the three spike windows, and one in 40 elsewhere."""
    decided = np.unique(result.variants["alvh"].path.hedge.decisions["day"].to_numpy())
    days = result.days[decided]
    inside = np.zeros(len(decided), dtype=bool)
    for start, end in WINDOWS:
        inside |= (days >= start) & (days <= end)
    # Plenty of days in the windows; thin them to bound the run time.
    picked = np.flatnonzero(inside)[::3].tolist() + np.flatnonzero(~inside)[::40].tolist()
    return sorted(int(decided[i]) for i in picked)


def _book_on(result, t: int):
    """The backtest's calls held when day t's decision is taken, as the engine's holdings."""
    path, cand = result.variants["alvh"].path, result.candidates
    lots = path.hedge.lots
    held = lots[
        (lots["day"] < t)
        & ((lots["close_day"] > t) | ((lots["close_day"] == t) & (lots["close_kind"] == "sold")))
    ]
    as_of = result.days[t].date()
    holdings = []
    for lot in held.itertuples():
        row = int(cand.row0[lot.day]) + t - int(lot.day)
        position = Position(
            f"lot-{lot.lot}",
            "vix_call",
            lot.expiry.date(),
            lot.contracts,
            result.days[lot.day].date(),
            lot.price,
            strike=lot.strike,
        )
        holdings.append(
            Holding(
                position,
                lot.layer,
                float(cand.mark[row]),
                lot.contracts * float(cand.sensitivity[row]),
            )
        )
    trades = path.hedge.trades
    buys = trades[trades["action"] == "buy"]
    number = result.days.values.astype("datetime64[D]").astype(np.int64)
    window = (number[buys["day"]] > number[t] - 365) & (buys["day"].to_numpy() < t)
    spent = float((buys["contracts"] * buys["price"] * 100).to_numpy()[window].sum())
    row = int(cand.row0[t])
    instrument = HedgeInstrument(
        as_of,
        float(cand.strike[t]),
        float(cand.forward[row]),
        "backtest",
        0.3,
        float(cand.mark[row]),
        float(cand.buy_price[t]),
        float(cand.sensitivity[row]),
    )
    return holdings, spent, instrument


def test_daily_engine_and_backtest_agree_on_states_and_targets(run, snapshot_con):
    path = run.variants["alvh"].path
    decisions = path.hedge.decisions.set_index(["day", "layer"])
    signal_config = SignalConfig()
    compared = {"L1": 0, "L2": 0, "L3": 0}
    for t in _sample_days(run):
        as_of = run.days[t].date()
        # The engine's states, from that day's own signal history (as `alvh layers` does).
        inputs = load_signal_inputs(
            snapshot_con, as_of, start=as_of - timedelta(days=SIGNAL_LOOKBACK_DAYS)
        )
        signals = compute_signals(inputs, signal_config)
        states = layer_state_history(signals, CONFIG).loc[str(as_of)]
        holdings, spent, instrument = _book_on(run, t)
        decision = decide(
            as_of,
            signals.on(as_of),
            states,
            load_market(snapshot_con, as_of),
            float(path.condor.risk_capital[t]),
            float(path.condor.vix_sensitivity[t]),
            holdings,
            spent,
            ModelParams(),
            CostModel(),
            CONFIG,
            signal_config.as_dict(),
            instrument=instrument,
        )
        for layer, target in decision.plan.targets.items():
            theirs = decisions.loc[(t, layer)]
            where = f"{as_of} {layer}"
            assert target.acting == bool(theirs["acting"]), where
            assert target.held == pytest.approx(theirs["held"], rel=1e-9, abs=1e-9), where
            if layer != "L3":
                # L3's remainder after a sale depends on the sizing (whole contracts inside the
                # floors here, fractions with a dead band there); its winners are compared.
                assert target.target == pytest.approx(theirs["target"], rel=1e-9, abs=1e-9), where
            compared[layer] += target.acting
        assert (decision.layers["L1"].state == ACTIVE) == bool(decisions.loc[(t, "L1"), "acting"])
    # The sample exercised every layer's rule, in each of the three spikes.
    assert all(count >= 5 for count in compared.values()), compared


def _call(key, layer="L1", quantity=20.0, entry=0.6, mark=3.0, dte=30, sensitivity=1_500.0):
    return HeldCall(key, layer, quantity, entry, mark, dte, sensitivity)


OFFER = Offer(price=2.0, forward=30.0, sensitivity=40.0, fee=1.0)


def _day(**overrides) -> DayBook:
    values = dict(
        l1_active=False,
        l2_active=False,
        l3_window=True,
        risk_capital=500_000.0,
        condor_sensitivity=-10_000.0,
        spent_12m=0.0,
    )
    return DayBook(**{**values, **overrides})


@pytest.mark.parametrize("sizing", [Sizing(), Sizing(False, 0.10, 5.0)])
def test_l3_never_sells_on_a_day_l2_buys(sizing):
    # L2 wants 40 % of $10,000 = $4,000 of VIX sensitivity; the winner carries $1,500 of it.
    plan = plan_day(_day(l2_active=True), [_call("A")], OFFER, CONFIG, sizing)
    l3_sold = sum(s.quantity for s in plan.sales if s.action == "monetise")
    l2_bought = plan.bought("L2")
    assert l2_bought > 0 and l3_sold == 0
    # With the floor already covered by other calls, L3 sells, and L2 buys nothing.
    rich = [_call("A"), _call("B", layer="L2", mark=1.0, entry=0.9, sensitivity=9_000.0)]
    plan = plan_day(_day(l2_active=True), rich, OFFER, CONFIG, sizing)
    assert sum(s.quantity for s in plan.sales if s.action == "monetise") > 0
    assert plan.bought("L2") == 0


def test_l3_sells_only_down_to_the_l2_floor():
    # $4,000 wanted; B holds $3,000, so A (20 calls, $75 each) may give up what its
    # replacement calls ($40 each) and the floor allow: rest ≥ (4000 − 3000) / 40 = 25 > 20.
    calls = [_call("A"), _call("B", layer="L2", mark=1.0, entry=0.9, sensitivity=3_000.0)]
    plan = plan_day(_day(l2_active=True), calls, OFFER, CONFIG)
    assert [s for s in plan.sales if s.action == "monetise"] == []
    assert plan.targets["L3"].note
    # A floor of 40 % × $8,700 = $3,480: B's $3,000 plus ≥ 12 replacement calls ($40 each), so
    # A sells 8 of its 20, not the 10 of l3_monetize_fraction.
    lower = _day(l2_active=True, condor_sensitivity=-8_700.0)
    plan = plan_day(lower, calls, OFFER, CONFIG)
    (sold,) = [s.quantity for s in plan.sales if s.action == "monetise"]
    assert sold == 8
    assert 3_000 + (20 - sold) * OFFER.sensitivity >= 0.4 * 8_700 - 1e-9
    assert plan.bought("L2") == 0


def test_l3_never_sells_on_a_day_l1_tops_up():
    # L1 target 12.5 % × 500,000 / (100 × 30) ≈ 21 contracts; 20 held: L1 buys, L3 holds.
    plan = plan_day(_day(l1_active=True), [_call("A")], OFFER, CONFIG)
    assert plan.bought("L1") > 0
    assert not [s for s in plan.sales if s.action == "monetise"]
    # L1 over its target: L3 may sell only the excess (40 held, target 21 → 19 at most).
    plan = plan_day(_day(l1_active=True), [_call("A", quantity=40.0)], OFFER, CONFIG)
    (sold,) = [s.quantity for s in plan.sales if s.action == "monetise"]
    assert sold <= 40 - round(0.125 * 500_000 / 3000)
    assert plan.bought("L1") == 0


def test_monetisation_is_off_by_default():
    plan = plan_day(_day(), [_call("A")], OFFER, LayerConfig())
    assert plan.sales == [] and plan.targets["L3"].acting
    assert "off" in plan.targets["L3"].note


def test_no_backtest_day_sells_and_buys_the_same_exposure(run):
    trades = run.variants["alvh"].path.hedge.trades
    sold = set(trades.loc[trades["action"] == "monetise", "day"])
    topped = set(
        trades.loc[(trades["action"] == "buy") & trades["layer"].isin(["L1", "L2"]), "day"]
    )
    rolls = trades[trades["action"] == "roll_sell"].groupby("day")["contracts"].sum()
    l1_buys = trades[(trades["action"] == "buy") & (trades["layer"] == "L1")]
    l1_buys = l1_buys.groupby("day")["contracts"].sum()
    # A day with an L3 sale may buy L1 calls only to replace the calls it rolled.
    for day in sold & topped:
        assert l1_buys.get(day, 0) <= rolls.get(day, 0) + 1e-9, run.days[day]
        assert not (
            (trades["day"] == day) & (trades["layer"] == "L2") & (trades["action"] == "buy")
        ).any()
    assert sold, "the run must monetise somewhere for this test to mean anything"


def test_strikes_never_exceed_the_listing_of_the_previous_close(inputs, run):
    cand, vix = run.candidates, inputs.path.vix
    caps = listing_strike_cap(np.r_[vix[0], vix[:-1]], CONFIG.strike_listing_multiple)
    assert (cand.strike[cand.valid] <= caps[cand.valid] + 1e-9).all()
    # The cap binds on 2024-08-05 (previous close 23.39: the delta strike was 57, beyond the
    # listing); on 2020-03-16 (previous close 57.83) the delta strike 111 was listed.
    t = run.days.get_loc(pd.Timestamp("2024-08-05"))
    assert caps[t] == 46.0 and cand.strike[t] == 46.0
    t = run.days.get_loc(pd.Timestamp("2020-03-16"))
    assert caps[t] == 115.0 and cand.strike[t] <= 115.0


def test_the_reports_rule_text_comes_from_the_settings_in_force():
    from alvh.core.settings import Settings
    from alvh.report.day import DayDecision
    from alvh.report.sections.signals import decided_signal_config, signal_value_text

    reading = {"value": 0.8, "threshold": 0.7, "available": True, "active": True}
    defaults = SignalConfig()
    texts = {name: signal_value_text(name, reading, defaults)[1] for name in ("S1", "S4", "S6")}
    assert "VIX < 25" in texts["S1"]
    assert "1.5 × 20-day min" in texts["S4"] and "(20th pct)" in texts["S6"]
    assert signal_value_text("S4", reading, defaults)[0].startswith("RSI(14)")
    changed = SignalConfig(
        s1_vix_max=22.0, s4_rsi_period=10, s4_min_multiple=1.8, s4_min_window=15, s6_percentile=0.23
    )
    assert "VIX < 22" in signal_value_text("S1", reading, changed)[1]
    value, rule = signal_value_text("S4", reading, changed)
    assert value.startswith("RSI(10)") and "1.8 × 15-day min" in rule
    assert "(23rd pct)" in signal_value_text("S6", reading, changed)[1]
    # A stored day is described with the settings it was decided with, not today's.
    stored = DayDecision(
        date(2024, 8, 5), "stored", {}, {}, [], {}, {"signals": {"s1_vix_max": 22.0}}
    )
    settings = Settings(signals={"s1_vix_max": 24.0})
    assert decided_signal_config(stored, settings).s1_vix_max == 22.0
    fresh = DayDecision(date(2024, 8, 5), "computed", {}, {}, [], {}, {})
    assert decided_signal_config(fresh, settings).s1_vix_max == 24.0


# An over-hedged L1 (issue 12): R $96,000 at F 30 gives a target of 12.5 % × 96,000 / 3,000 = 4.
CALM = dict(l1_active=True, l3_window=False, risk_capital=96_000.0)


def _trims(plan) -> list[tuple[str, float]]:
    return [(s.key, s.quantity) for s in plan.sales if s.action == "trim"]


def test_an_over_hedged_l1_sells_down_to_its_target_nearest_expiry_first():
    calls = [_call("LONG", quantity=20.0, dte=40), _call("NEAR", quantity=10.0, dte=15)]
    plan = plan_day(_day(**CALM), calls, OFFER, CONFIG)
    assert _trims(plan) == [("NEAR", 10.0), ("LONG", 16.0)]
    assert plan.purchases == [] and plan.targets["L1"].sold == 26
    assert all(s.rule == "L1" and "trim" in s.reason for s in plan.sales)


def test_the_trim_band_keeps_a_small_excess():
    # 6 held ≤ (1 + 0.5) × 4: kept; 7 held: sold down to 4.
    plan = plan_day(_day(**CALM), [_call("A", quantity=6.0)], OFFER, CONFIG)
    assert plan.sales == []
    plan = plan_day(_day(**CALM), [_call("A", quantity=7.0)], OFFER, CONFIG)
    assert _trims(plan) == [("A", 3.0)]
    tight = LayerConfig(l3_monetize=True, l1_trim_band=0.0)
    assert _trims(plan_day(_day(**CALM), [_call("A", quantity=5.0)], OFFER, tight)) == [("A", 1.0)]


@pytest.mark.parametrize(
    "overrides",
    [
        dict(l3_window=True),  # a spike: selling calls is L3's decision
        dict(l1_active=False),  # S1 off: held calls are kept to expiry (§6.1)
    ],
)
def test_no_trim_in_a_spike_or_once_l1_is_off(overrides):
    plan = plan_day(_day(**{**CALM, **overrides}), [_call("A", quantity=30.0)], OFFER, CONFIG)
    assert _trims(plan) == []


@pytest.mark.parametrize("sizing", [Sizing(), Sizing(False, 0.10, 5.0)])
def test_under_l2_a_trim_keeps_the_l2_floor(sizing):
    # L2 wants 40 % × $10,000 = $4,000. Alone, A's 30 calls ($75 each: $2,250) are short of it:
    # no trim, and L2 buys. With B's $3,000 besides, $1,250 is spare: A sells 16 (16.67) of 30.
    l2 = _day(**CALM, l2_active=True, condor_sensitivity=-10_000.0)
    alone = plan_day(l2, [_call("A", quantity=30.0, sensitivity=2_250.0)], OFFER, CONFIG, sizing)
    assert _trims(alone) == [] and alone.bought("L2") > 0
    calls = [
        _call("A", quantity=30.0, sensitivity=2_250.0),
        _call("B", layer="L2", quantity=10.0, sensitivity=3_000.0),
    ]
    plan = plan_day(l2, calls, OFFER, CONFIG, sizing)
    ((key, sold),) = _trims(plan)
    assert key == "A" and sold == pytest.approx(16.0 if sizing.whole else 1_250 / 75)
    assert plan.bought("L2") == 0


def test_a_trim_counts_pending_purchases_and_sells_whole_lots_in_the_backtest():
    # Two approved calls not yet executed count as held: 8 + 2 = 10 > 6 → sells 6 of the 8.
    day = _day(**CALM, pending={"L1": 2})
    assert _trims(plan_day(day, [_call("A", quantity=8.0)], OFFER, CONFIG)) == [("A", 6.0)]
    # Backtest lots close whole: of an excess of 26 only the 10-lot fits; the 20-lot stays.
    lots = Sizing(False, 0.10, 5.0, partial_sales=False)
    calls = [_call("LONG", quantity=20.0, dte=40), _call("NEAR", quantity=10.0, dte=15)]
    assert _trims(plan_day(_day(**CALM), calls, OFFER, CONFIG, lots)) == [("NEAR", 10.0)]


def test_the_trim_band_is_validated():
    with pytest.raises(UsageError, match="l1_trim_band"):
        LayerConfig(l1_trim_band=-0.1)
