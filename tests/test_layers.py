"""The layers engine on real history (issue 4) and its invariants."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from alvh.book.marks import mark_book
from alvh.book.positions import BOOK_COLUMNS, import_book
from alvh.hedge.day import run_layers, save_decision
from alvh.hedge.layers import ACTIVE, OFF, LayerConfig, _spike_window, layer_state_history
from alvh.hedge.signals import compute_signals, load_signal_inputs


@pytest.fixture(scope="module")
def history(snapshot_warehouse):
    from alvh.store.warehouse import connect

    con = connect(snapshot_warehouse, read_only=True)
    signals = compute_signals(load_signal_inputs(con, date(2026, 8, 20)))
    states = layer_state_history(signals)
    con.close()
    return signals, states


def _book(settings, con, *rows):
    path = settings.home / "book.csv"
    path.write_text("\n".join([",".join(BOOK_COLUMNS), *rows]) + "\n")
    import_book(con, path, date(2026, 11, 25))


def test_2017_07_03_complacency_switches_l1_on(history, snapshot_con):
    signals, states = history
    s1 = signals.on("2017-07-03")["S1"]
    assert s1.active and s1.inputs.get("vix", 11.2) < 12
    assert states.loc["2017-07-03", "L1"] == ACTIVE
    # CAPE was in the top decile of its whole published history (1881 onward) as well.
    cape = [
        r[0]
        for r in snapshot_con.execute(
            "SELECT value FROM observations WHERE series_id = 'CAPE' AND obs_date <= '2017-06-01'"
        ).fetchall()
    ]
    assert np.mean(np.array(cape) <= cape[-1]) >= 0.9


def test_2008_10_10_volatility_momentum_but_no_base_protection(history):
    signals, states = history
    assert signals.on("2008-10-10")["S4"].active
    assert states.loc["2008-10-10", "L1"] != ACTIVE
    assert bool(states.loc["2008-10-10", "l3_window"])


def test_2018_02_05_volatility_momentum(history):
    signals, states = history
    assert signals.on("2018-02-05")["S4"].active
    assert bool(states.loc["2018-02-05", "l3_window"])


def test_2024_08_05_carry_unwind_activates_l2(history):
    signals, states = history
    s3 = signals.on("2024-08-05")["S3"]
    assert s3.active and s3.value > 2.0
    assert states.loc["2024-08-05", "L2"] == ACTIVE
    # ...and stays ACTIVE for the hold, then lapses unless retriggered.
    assert states.loc["2024-08-09", "L2"] == ACTIVE


def test_a_cpi_surprise_registers_on_its_release_day(history):
    signals, states = history
    assert signals.on("2022-07-13")["S2"].active
    assert not signals.on("2022-07-12")["S2"].active


def test_layers_json_on_2024_08_05_explains_l2_with_both_z_scores(snapshot_copy):
    settings, con = snapshot_copy
    _book(settings, con, "IC-AUG,iron_condor,2024-08-16,10,2024-07-19,9.50,5150,5200,5750,5800,")
    decision = run_layers(con, date(2024, 8, 5), settings)
    shape = decision.as_json()
    l2 = shape["layers"]["L2"]
    assert l2["state"] == "ACTIVE"
    assert "DGS2−DFF" in l2["reason"] and "USD/JPY" in l2["reason"]
    assert "z -3.56" in l2["reason"] and "z -5.79" in l2["reason"]
    assert set(shape["signals"]) == {"S1", "S2", "S3", "S4", "S5", "S6"}
    for signal in shape["signals"].values():
        assert set(signal) == {"value", "threshold", "active", "available", "detail"}
    l2_orders = [o for o in shape["orders"] if o["layer"] == "L2"]
    assert l2_orders and l2_orders[0]["action"] == "open"
    assert shape["layers"]["L2"]["target_contracts"] == sum(o["quantity"] for o in l2_orders)


def test_l1_sizes_its_target_from_risk_capital(snapshot_copy):
    settings, con = snapshot_copy
    _book(settings, con, "IC-JUL,iron_condor,2017-07-21,20,2017-06-16,2.10,2300,2325,2500,2525,")
    decision = run_layers(con, date(2017, 7, 3), settings)
    l1 = decision.layers["L1"]
    assert l1.state == ACTIVE
    risk_capital = (25 - 2.10) * 100 * 20
    expected = round(0.125 * risk_capital / (100 * decision.instrument.forward))
    assert l1.target_contracts == expected > 0
    (order,) = [o for o in decision.orders if o.layer == "L1"]
    assert order.quantity == expected and order.expiry == date(2017, 8, 16)
    assert 0.25 <= decision.instrument.delta <= 0.35


def test_targets_are_non_negative_integers_and_orders_respect_the_budget(snapshot_copy):
    settings, con = snapshot_copy
    _book(settings, con, "IC-AUG,iron_condor,2024-08-16,50,2024-07-19,9.50,5150,5200,5750,5800,")
    for day in (date(2024, 7, 22), date(2024, 8, 2), date(2024, 8, 5), date(2024, 8, 7)):
        decision = run_layers(con, day, settings)
        budget = decision.budget
        for state in decision.layers.values():
            assert isinstance(state.target_contracts, int) and state.target_contracts >= 0
            assert isinstance(state.held_contracts, int) and state.held_contracts >= 0
        opened = sum(o.cost for o in decision.orders if o.action == "open")
        assert budget["spent_12m"] + opened <= budget["budget"] + 1e-6
        for order in decision.orders:
            assert isinstance(order.quantity, int) and order.quantity > 0


def test_a_tight_budget_caps_orders_and_says_so(snapshot_copy):
    settings, con = snapshot_copy
    settings = replace_settings(settings, layers={"hedge_budget_pct": 0.001})
    _book(settings, con, "IC-AUG,iron_condor,2024-08-16,50,2024-07-19,9.50,5150,5200,5750,5800,")
    decision = run_layers(con, date(2024, 8, 5), settings)
    assert decision.layers["L2"].capped
    assert "capped" in decision.layers["L2"].cap_detail
    opened = sum(o.cost for o in decision.orders if o.action == "open")
    assert opened <= decision.budget["budget"] - decision.budget["spent_12m"] + 1e-6


def replace_settings(settings, **changes):
    return settings.model_copy(update=changes)


def test_the_same_inputs_give_the_same_output(snapshot_copy):
    settings, con = snapshot_copy
    _book(settings, con, "IC-AUG,iron_condor,2024-08-16,10,2024-07-19,9.50,5150,5200,5750,5800,")
    first = json.dumps(run_layers(con, date(2024, 8, 5), settings).as_json(), default=str)
    second = json.dumps(run_layers(con, date(2024, 8, 5), settings).as_json(), default=str)
    assert first == second


def test_saving_a_day_twice_keeps_one_set_of_rows(snapshot_copy):
    settings, con = snapshot_copy
    _book(settings, con, "IC-AUG,iron_condor,2024-08-16,10,2024-07-19,9.50,5150,5200,5750,5800,")
    for _ in range(2):
        save_decision(con, run_layers(con, date(2024, 8, 5), settings))
    counts = con.execute(
        "SELECT (SELECT count(*) FROM signal_values), "
        "(SELECT count(*) FROM layer_states), (SELECT count(*) FROM orders)"
    ).fetchall()[0]
    assert counts[0] == 6 and counts[1] == 3 and counts[2] >= 1


def test_more_vix_never_ends_a_spike_window_early():
    rng = np.random.default_rng(7)
    for _ in range(200):
        vix = 15 * np.exp(np.cumsum(rng.normal(0, 0.08, 120)))
        s4 = rng.random(120) < 0.05
        window, _ = _spike_window(vix, s4, 0.8)
        for day in np.flatnonzero(window):
            bumped = vix.copy()
            bumped[day] *= 1 + rng.random()
            assert _spike_window(bumped, s4, 0.8)[0][day], (day, vix[day], bumped[day])


def _spike_day_with_a_winner(settings, con):
    """2024-08-05 with 20 calls bought at 0.60 (a winner) over a condor, L3 monetising (it is
    off by default: docs/engine.md, "When L3 helps")."""
    settings = settings.model_copy(update={"layers": {"l3_monetize": True}})
    _book(
        settings,
        con,
        "VX-AUG,vix_call,2024-08-21,20,2024-07-19,0.60,,,,,17",
        "IC-AUG,iron_condor,2024-08-16,10,2024-07-19,9.50,5150,5200,5750,5800,",
    )
    return run_layers(con, date(2024, 8, 5), settings)


def test_more_vix_keeps_l3_active_in_the_decision(snapshot_copy):
    settings, con = snapshot_copy
    decision = _spike_day_with_a_winner(settings, con)
    assert decision.layers["L3"].state == ACTIVE
    sells = [o for o in decision.orders if o.layer == "L1" and o.action == "close"]
    assert sum(o.quantity for o in sells) == 20  # half monetised, half rolled
    # Both closes of the one position (and the roll's open) are recorded under their own ids.
    ids = save_decision(con, decision)
    assert len(set(ids)) == len(ids) == len(decision.orders) == 3
    stored = con.execute("SELECT count(*) FROM orders WHERE as_of = '2024-08-05'").fetchall()
    assert stored == [(3,)]
    # Raise VIX on the day (all else equal): L3 stays ACTIVE.
    con.execute(
        "UPDATE observations SET value = value * 1.3 WHERE obs_date = '2024-08-05' AND "
        "series_id IN ('VIX', 'VIX9D', 'VIX3M', 'VIX6M')"
    )
    assert run_layers(con, date(2024, 8, 5), settings).layers["L3"].state == ACTIVE


def test_layer_config_rejects_out_of_range_values():
    with pytest.raises(Exception, match="l1_pct"):
        LayerConfig(l1_pct=0.30)
    with pytest.raises(Exception, match="unknown"):
        LayerConfig.from_mapping({"l1_percent": 0.1})
    assert replace(LayerConfig(), l1_pct=0.10).l1_pct == 0.10
    assert OFF == "OFF"


def test_an_approved_purchase_awaiting_execution_is_not_proposed_again(snapshot_copy):
    from alvh.hedge.orders import approve

    settings, con = snapshot_copy
    _book(settings, con, "IC-JUL,iron_condor,2017-07-21,20,2017-06-16,2.10,2300,2325,2500,2525,")
    first = run_layers(con, date(2017, 7, 3), settings)
    ids = save_decision(con, first)
    ((order_id, order),) = [
        (i, o) for i, o in zip(ids, first.orders, strict=True) if o.layer == "L1"
    ]
    approve(con, order_id, "risk-manager", settings)
    # a re-run of the day: the approved purchase is committed, not proposed again
    again = run_layers(con, date(2017, 7, 3), settings)
    assert [o for o in again.orders if o.layer == "L1" and o.action == "open"] == []
    assert again.budget["spent_12m"] == pytest.approx(order.price * 100 * order.quantity)
    # the next session: not executed on its day, the order expires and L1 decides afresh
    later = run_layers(con, date(2017, 7, 5), settings)
    save_decision(con, later)
    assert [o.quantity for o in later.orders if o.layer == "L1" and o.action == "open"]
    assert later.budget["spent_12m"] == pytest.approx(0.0)


def test_a_call_l1_rolls_is_not_sold_again_by_l3(snapshot_con):
    # An L1 call within its roll window that is also a spike winner: L1 sells all of it, and L3
    # must not propose a second sale of the same contracts (method §6.1, §6.3).
    from alvh.book.costs import CostModel
    from alvh.book.positions import Position
    from alvh.book.valuation import ModelParams
    from alvh.data.market_day import load_market
    from alvh.hedge.layers import ARMED, Holding, decide
    from alvh.hedge.signals import SignalReading

    day = date(2024, 8, 14)
    snapshot = load_market(snapshot_con, day)
    reading = SignalReading(1.0, 0.5, True, True, "a; b")
    states = pd.Series(
        {
            "L1": ACTIVE,
            "L2": OFF,
            "L3": ARMED,
            "l3_window": True,
            "l3_peak": 38.57,
            "l2_trigger_age": np.nan,
            "events_due": "",
        }
    )
    call = Position("VX-AUG", "vix_call", date(2024, 8, 21), 20, date(2024, 7, 19), 0.60, strike=17)
    decision = decide(
        day,
        {name: reading for name in ("S1", "S2", "S3", "S4", "S5", "S6")},
        states,
        snapshot,
        200_000.0,
        -5_000.0,
        [Holding(call, "L1", 3.0, 2_000.0)],
        0.0,
        ModelParams(),
        CostModel(),
        LayerConfig(),
        {},
    )
    closes = [o for o in decision.orders if o.action == "close"]
    assert closes and all(o.position_id == "VX-AUG" for o in closes)
    assert sum(o.quantity for o in closes) == 20
    ids = [o.order_id(day) for o in decision.orders]
    assert len(set(ids)) == len(ids)


def test_a_day_already_marked_gives_the_same_decision(snapshot_copy):
    from alvh.book.marks import mark_book
    from alvh.book.valuation import ModelParams
    from alvh.hedge.day import configs

    settings, con = snapshot_copy
    _book(settings, con, "IC-AUG,iron_condor,2024-08-16,10,2024-07-19,9.50,5150,5200,5750,5800,")
    day = date(2024, 8, 5)
    marks = mark_book(con, day, ModelParams(), configs(settings)[2])
    given = run_layers(con, day, settings, marks=marks).as_json()
    assert given == run_layers(con, day, settings).as_json()
    assert given["orders"]  # L2 buys on the day: the marks reached the sizing
    with pytest.raises(ValueError, match="2024-08-02"):
        run_layers(con, day, settings, marks=mark_book(con, date(2024, 8, 2)))


def _decide_on(snapshot_con, day, states, condor_sensitivity, holdings=()):
    from alvh.book.costs import CostModel
    from alvh.book.valuation import ModelParams
    from alvh.data.market_day import load_market
    from alvh.hedge.layers import decide
    from alvh.hedge.signals import SignalReading

    reading = SignalReading(1.0, 0.5, True, True, "a; b")
    base = {"L1": OFF, "L2": OFF, "L3": OFF, "l3_window": False, "l3_peak": np.nan}
    return decide(
        day,
        {name: reading for name in ("S1", "S2", "S3", "S4", "S5", "S6")},
        pd.Series({**base, "l2_trigger_age": 0.0, "events_due": "", **states}),
        load_market(snapshot_con, day),
        2_000_000.0,  # a budget that does not bind
        condor_sensitivity,
        list(holdings),
        0.0,
        ModelParams(),
        CostModel(),
        LayerConfig(),
        {},
    )


@pytest.mark.parametrize("sign", [-1.0, 1.0])
def test_l2_covers_the_absolute_condor_sensitivity(snapshot_con, sign):
    # docs/engine.md: L2's target is l2_offset × |condor VIX sensitivity| — a condor book near
    # its maximum loss (long vega then) is covered as well as one that loses when VIX rises.
    decision = _decide_on(snapshot_con, date(2024, 8, 5), {"L2": ACTIVE}, sign * 5_000.0)
    per_call = decision.instrument.sensitivity
    (order,) = [o for o in decision.orders if o.layer == "L2"]
    assert order.quantity == int(np.ceil(0.40 * 5_000.0 / per_call))
    assert decision.plan.targets["L2"].target == pytest.approx(2_000.0)


COUNT_STORED = {
    "signal_values": "SELECT count(*) FROM signal_values",
    "layer_states": "SELECT count(*) FROM layer_states",
    "orders": "SELECT count(*) FROM orders",
    "audit_log": "SELECT count(*) FROM audit_log",
}


def _counts(path):
    from alvh.store.warehouse import connect

    con = connect(path, read_only=True)
    try:
        return {t: con.execute(sql).fetchall()[0][0] for t, sql in COUNT_STORED.items()}
    finally:
        con.close()


def test_layers_dry_run_shows_the_day_and_stores_nothing(snapshot_copy):
    from test_cli import run_alvh

    settings, con = snapshot_copy
    _book(settings, con, "IC-AUG,iron_condor,2024-08-16,10,2024-07-19,9.50,5150,5200,5750,5800,")
    con.close()
    home, path = settings.home, settings.warehouse_path
    before = _counts(path)
    looked = run_alvh("layers", "--as-of", "2024-08-05", "--json", "--dry-run", home=home)
    assert looked.returncode == 0, looked.stderr
    assert _counts(path) == before  # nothing written, nothing expired, nothing audited
    text = run_alvh("layers", "--as-of", "2024-08-05", "--dry-run", home=home)
    assert text.returncode == 0 and "dry run: nothing stored" in text.stdout
    assert _counts(path) == before
    # The same day stored: the decision shown was the one a stored run makes.
    stored = run_alvh("layers", "--as-of", "2024-08-05", "--json", home=home)
    assert stored.returncode == 0, stored.stderr
    assert json.loads(looked.stdout) == json.loads(stored.stdout)
    assert json.loads(stored.stdout)["orders"]  # L2 proposes on the day: the view was not empty
    after = _counts(path)
    assert (
        after["layer_states"] == before["layer_states"] + 3 and after["orders"] > before["orders"]
    )


@pytest.mark.parametrize("day", ["2024-08-03", "2024-07-04"])  # a Saturday, Independence Day
def test_layers_on_a_weekend_or_holiday_is_a_usage_error(snapshot_copy, day):
    from test_cli import run_alvh

    settings, con = snapshot_copy
    con.close()
    for extra in ((), ("--dry-run",)):
        result = run_alvh("layers", "--as-of", day, *extra, home=settings.home)
        assert result.returncode == 2, (day, extra, result.stderr)
        assert day in result.stderr and "Traceback" not in result.stderr


def test_an_approved_sale_awaiting_execution_is_pending_not_held(snapshot_copy):
    # Issue 12 item 4: an approved close not yet executed is on its way out of the book — a
    # re-run of its day neither counts its contracts as held nor proposes to sell them again;
    # the next day's run expires it (an order is for its own close) and decides afresh.
    from alvh.hedge.orders import approve, list_orders

    settings, con = snapshot_copy
    _book(
        settings,
        con,
        "IC-JUL,iron_condor,2017-07-21,20,2017-06-16,2.10,2300,2325,2500,2525,",
        "VX-JUL,vix_call,2017-07-19,5,2017-06-16,0.80,,,,,12",
    )
    first = run_layers(con, date(2017, 7, 13), settings)
    assert first.layers["L1"].state == ACTIVE and first.layers["L1"].held_contracts == 5
    ids = save_decision(con, first)
    ((close_id, close),) = [
        (i, o) for i, o in zip(ids, first.orders, strict=True) if o.action == "close"
    ]
    assert close.position_id == "VX-JUL" and close.quantity == 5  # the L1 roll, 6 days out
    approve(con, close_id, "risk-manager", settings)
    again = run_layers(con, date(2017, 7, 13), settings)
    assert [o for o in again.orders if o.action == "close"] == []
    assert again.layers["L1"].held_contracts == 0
    later = run_layers(con, date(2017, 7, 14), settings)
    save_decision(con, later)
    (reproposed,) = [o for o in later.orders if o.action == "close"]
    assert reproposed.position_id == "VX-JUL" and reproposed.quantity == 5
    status = dict(zip(list_orders(con)["order_id"], list_orders(con)["status"], strict=True))
    assert status[close_id] == "expired"


def test_order_prices_sit_on_the_005_tick(snapshot_copy):
    # Issue 12 item 4: a limit price a broker accepts; purchases round up, sales down.
    from alvh.hedge.layers import on_tick

    settings, con = snapshot_copy
    decision = _spike_day_with_a_winner(settings, con)
    assert {o.action for o in decision.orders} == {"open", "close"}
    for o in decision.orders:
        assert abs(o.price * 20 - round(o.price * 20)) < 1e-9, o
    opened = [o for o in decision.orders if o.action == "open"]
    assert all(o.price >= decision.instrument.price for o in opened)
    assert all(o.price - decision.instrument.price < 0.05 for o in opened)
    assert on_tick(1.234, 0.05, "buy") == 1.25 and on_tick(1.234, 0.05, "sell") == 1.2
    assert on_tick(1.25, 0.05, "buy") == on_tick(1.25, 0.05, "sell") == 1.25
    assert decision.budget["proposed"] == pytest.approx(
        sum(o.quantity * (o.price * 100 + 1.0) for o in opened)
    )


def test_an_over_hedged_l1_proposes_a_trim_down_to_its_target(snapshot_copy):
    # 2017-07-03 is calm and L1 ACTIVE; 90 calls are far above the 20-contract condor's target.
    settings, con = snapshot_copy
    _book(
        settings,
        con,
        "VX-AUG,vix_call,2017-08-16,60,2017-06-16,0.60,,,,,13",
        "VX-JUL,vix_call,2017-07-19,30,2017-06-16,0.50,,,,,13",
        "IC-JUL,iron_condor,2017-07-21,20,2017-06-16,2.10,2300,2325,2500,2525,",
    )
    decision = run_layers(con, date(2017, 7, 3), settings)
    l1 = decision.plan.targets["L1"]
    target = round(l1.target)
    assert decision.layers["L1"].state == ACTIVE and 0 < target < 90
    sells = [o for o in decision.orders if o.layer == "L1" and o.action == "close"]
    assert all("L1 trim" in o.reason for o in sells)
    assert sells[0].position_id == "VX-JUL"  # the nearest expiry goes first
    assert not [o for o in decision.orders if o.action == "open"]
    sold = sum(o.quantity for o in sells)
    assert sold == l1.sold and f"trimming {sold} of 90" in decision.layers["L1"].reason
    # L2 is ACTIVE that day (an S3 spike): the trim stops where the calls left still carry
    # L2's floor of VIX sensitivity, one contract more would fall below it.
    l2 = decision.plan.targets["L2"]
    assert l2.acting and 0 < sold < 90 - target
    marks = {m.position_id: m for m in mark_book(con, date(2017, 7, 3)).positions}
    unit = {k: marks[k].vix_sensitivity / q for k, q in (("VX-JUL", 30), ("VX-AUG", 60))}
    left = {"VX-JUL": 30.0, "VX-AUG": 60.0}
    for o in sells:
        left[o.position_id] -= o.quantity
    after = sum(unit[k] * q for k, q in left.items())
    assert after >= l2.target > after - max(unit.values())
