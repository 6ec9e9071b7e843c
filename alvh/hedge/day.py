"""One day of the ALVH engine (method §5–§6): signals, layer states, targets, proposed orders,
read from the warehouse and written back for `as_of` in one transaction.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

import duckdb
import pandas as pd

from alvh.book.costs import CostModel
from alvh.book.day_model import mark_day
from alvh.book.legs import Position
from alvh.book.marks import BookMarks
from alvh.book.positions import open_positions
from alvh.book.valuation import ModelParams
from alvh.core.resources import read_sql_statements
from alvh.core.settings import Settings
from alvh.hedge.layers import Holding, LayerConfig, LayerDecision, decide, layer_state_history
from alvh.hedge.order_state import OrderState
from alvh.hedge.signals import (
    SignalConfig,
    SignalHistory,
    compute_signals,
    load_signal_inputs,
)
from alvh.hedge.vix_closes import PreviousVix
from alvh.store import audit
from alvh.store.warehouse import transaction

# Signals are computed from this many days before as_of (their own warm-up reaches further
# back), enough for L2's hold and L3's spike window to see their start.
SIGNAL_LOOKBACK_DAYS = 400


def configs(settings: Settings) -> tuple[SignalConfig, LayerConfig, CostModel]:
    return (
        SignalConfig.from_mapping(settings.signals),
        LayerConfig.from_mapping(settings.layers),
        CostModel(**settings.costs),
    )


@dataclass(frozen=True)
class EngineConfig:
    """What a day's marks and decision read from the settings, parsed once: a backfill of
    thousands of days reuses one (parsing and `as_dict` took ~1 s of a 10-year backfill)."""

    signals: SignalConfig
    layers: LayerConfig
    costs: CostModel
    params: ModelParams
    signal_values: tuple[tuple[str, float | int], ...]  # `signals.as_dict()`, frozen

    @classmethod
    def from_settings(cls, settings: Settings) -> EngineConfig:
        signal_config, layer_config, costs = configs(settings)
        params = ModelParams.from_mapping(settings.model)
        values = tuple(signal_config.as_dict().items())
        return cls(signal_config, layer_config, costs, params, values)


def run_layers(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    settings: Settings,
    marks: BookMarks | None = None,
    signals: SignalHistory | None = None,
    states: pd.Series | None = None,
    open_book: Callable[[date], list[Position]] | None = None,
    orders: OrderState | None = None,
    previous_vix: PreviousVix | None = None,
    config: EngineConfig | None = None,
) -> LayerDecision:
    """Compute one day's decision from the warehouse (no writes).

    `marks`: the book already marked for `as_of` with these settings (a daily run or backfill
    that has just marked the day), so it is not marked a second time. `signals` and `states`:
    a signal history covering `as_of` and the day's layer-state row, computed once for a range
    of days (`alvh.hedge.range_engine`), so a backfill does not recompute them every day.
    `open_book(as_of)`: the open positions from a book read once for the range; `orders` and
    `previous_vix`: the orders and VIX closes read once for the range (the orders kept up to
    date by `record_orders`). `config`: the settings parsed once (`EngineConfig`), else here.
    """
    config = config or EngineConfig.from_settings(settings)
    signal_config, layer_config = config.signals, config.layers
    costs, params = config.costs, config.params
    if (signals is None) != (states is None):
        raise ValueError("signals and states are passed together or not at all")
    if signals is None:
        start = as_of - timedelta(days=SIGNAL_LOOKBACK_DAYS)
        signals = compute_signals(load_signal_inputs(con, as_of, start=start), signal_config)
        states = layer_state_history(signals, layer_config).loc[str(as_of)]
    if marks is None:
        marks = mark_day(con, as_of, params, costs, with_day_pnl=False)[0]  # the day's surface
    elif marks.as_of != as_of:
        raise ValueError(f"marks of {marks.as_of} passed to the decision of {as_of}")
    orders = orders or OrderState(con, as_of, as_of)
    previous_vix = previous_vix or PreviousVix(con, as_of)
    held = open_book(as_of) if open_book else open_positions(con, as_of)
    positions = {p.position_id: p for p in held if not p.is_condor}
    closing = orders.pending_closes(as_of)
    holdings = []
    for m in marks.positions:
        if m.kind != "vix_call":
            continue
        position = positions[m.position_id]
        # Approved, unexecuted sales are pending: the rest of the position is what is held.
        left = position.quantity - int(closing.get(m.position_id, 0))
        if left <= 0:
            continue
        share = left / position.quantity
        holdings.append(
            Holding(
                replace(position, quantity=left),
                orders.layer_of(m.position_id),
                m.mark,
                m.vix_sensitivity * share,
            )
        )
    return decide(
        as_of,
        signals.on(as_of),
        states,
        marks.snapshot,
        float(marks.totals["risk_capital"]),
        float(marks.totals["condor_vix_sensitivity"]),
        holdings,
        orders.spent_12m(as_of),
        params,
        costs,
        layer_config,
        dict(config.signal_values),  # a dict of the day's own: the decision keeps it
        orders.pending_opens(as_of),
        previous_vix=previous_vix.on(as_of),
    )


def save_decision(con: duckdb.DuckDBPyConnection, decision: LayerDecision) -> list[str]:
    """Replace the day's signals and states, expire stale orders, record the proposals."""
    sql = read_sql_statements("engine/engine.sql")
    signals, states = decision_rows(decision)
    with transaction(con):
        con.execute(sql["delete_signals"], {"as_of": decision.as_of})
        con.execute(sql["delete_states"], {"as_of": decision.as_of})
        for row in signals:
            con.execute(sql["insert_signal"], row)
        for row in states:
            con.execute(sql["insert_state"], row)
        return record_orders(con, decision)


def decision_rows(decision: LayerDecision) -> tuple[list[dict], list[dict]]:
    """The day's `signals` and `layer_states` rows, for `save_decision` and the set-based
    backfill alike."""
    parameters = _parameters_text(decision.config, tuple(sorted(decision.signal_config.items())))
    signals = [
        {
            "as_of": decision.as_of,
            "signal": name,
            "value": reading.value,
            "threshold": reading.threshold,
            "active": reading.active,
            "available": reading.available,
            "detail": reading.detail,
            "inputs": json.dumps(reading.inputs, sort_keys=True, default=str),
        }
        for name, reading in decision.signals.items()
    ]
    states = [
        {
            "as_of": decision.as_of,
            "layer": state.layer,
            "state": state.state,
            "reason": state.reason,
            "target": state.target_contracts,
            "held": state.held_contracts,
            "capped": state.capped,
            "cap_detail": state.cap_detail,
            "parameters": parameters,
        }
        for state in decision.layers.values()
    ]
    return signals, states


@functools.lru_cache(maxsize=8)
def _parameters_text(config: LayerConfig, signal_config: tuple) -> str:
    """The parameters every state row carries, as JSON: the same every day of a backfill, so
    written once per configuration."""
    return json.dumps({"layers": config.as_dict(), "signals": dict(signal_config)}, sort_keys=True)


def record_orders(
    con: duckdb.DuckDBPyConnection,
    decision: LayerDecision,
    orders: OrderState | None = None,
    chain: audit.Chain | None = None,
    **audit_extra: object,
) -> list[str]:
    """Expire the proposals nobody approved in time, record the day's, and audit the decision
    (`audit_extra` joins the audit row). Inside the caller's transaction; returns the ids.

    `orders` and `chain`: the range's order state and audit chain (a backfill), which the
    caller writes and flushes; without them the day's are read, written and flushed here.
    """
    own_orders, own_chain = orders is None, chain is None
    orders = orders or OrderState(con, decision.as_of, decision.as_of)
    chain = chain or audit.Chain(con)
    expired = orders.expire(decision.as_of, chain)
    ids = orders.propose(decision.as_of, decision.orders, chain)
    chain.append(
        "layers_decided",
        {
            "states": {k: v.state for k, v in decision.layers.items()},
            "orders": ids,
            "expired": expired,
            "budget": decision.budget,
            **audit_extra,
        },
        as_of=decision.as_of,
    )
    if own_orders:
        orders.write(con)
    if own_chain:
        chain.flush()
    decision.order_ids = ids
    return ids
