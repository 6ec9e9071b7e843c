"""The three hedge layers (method §6): states, targets, the budget cap, and proposed orders.

Two halves:
- `layer_state_history` turns the signal history into each layer's state for every trading day
  in one vectorised pass (L3 there is the spike window, which needs no holdings);
- `decide` takes one day's states, the marked book and the hedge holdings, sizes each layer's
  target in contracts, applies the §6.4 budget cap and proposes the orders that move holdings to
  target. Every state carries a reason naming the signals and their values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from alvh.book.costs import CostModel
from alvh.book.positions import Position
from alvh.book.valuation import ModelParams, build_legs, price_legs, vix_forwards
from alvh.core import calendar
from alvh.data.market_day import MarketSnapshot
from alvh.hedge.orders import ProposedOrder
from alvh.hedge.rulebook import (
    ENGINE_SIZING,
    DayBook,
    DayPlan,
    HeldCall,
    LayerConfig,
    Offer,
    budget_summary,
    listing_strike_cap,
    plan_day,
)
from alvh.hedge.signals import SignalHistory, SignalReading
from alvh.model import market as mm
from alvh.model.pricing import black76_greeks, black76_price

LAYERS = ("L1", "L2", "L3")
OFF, ARMED, ACTIVE = "OFF", "ARMED", "ACTIVE"
MULTIPLIER = 100.0
# Typical release days when the calendar has no date (method §5, S2): CPI mid-month, PPI a day
# later. Used only to ARM L2 ahead of a release, never to date a value.
TYPICAL_RELEASE_DAY = {"CPI": 13, "PPI": 14}
# how far past the last session the typical release days are listed (beyond L2's horizon)
EVENT_HORIZON_DAYS = 40


# ---------------------------------------------------------------------------------------------
# States over the whole history (vectorised)


def scheduled_event_days(
    fomc: pd.DataFrame, cpi_dates: pd.Series, sessions: pd.DatetimeIndex
) -> pd.Series:
    """Per session, the CPI/PPI/FOMC events due within the next sessions (for L2's ARMED).

    FOMC dates come from the calendar (scheduled ones are known in advance); CPI from the BLS
    calendar where it lists the month, else the typical day; PPI always the typical day.
    """
    dates = set(pd.to_datetime(fomc["event_date"]).dt.normalize())
    labels: dict[pd.Timestamp, list[str]] = {d: ["FOMC"] for d in dates}
    listed = pd.to_datetime(cpi_dates).dt.normalize()
    listed_months = {(d.year, d.month) for d in listed}
    for d in listed:
        labels.setdefault(d, []).append("CPI")
    first, last = sessions[0], sessions[-1] + pd.Timedelta(days=EVENT_HORIZON_DAYS)
    for month in pd.period_range(first, last, freq="M"):
        for kind, day in TYPICAL_RELEASE_DAY.items():
            if kind == "CPI" and (month.year, month.month) in listed_months:
                continue
            typical = pd.Timestamp(month.year, month.month, day)
            if typical.date() > calendar.calendar_end():
                continue
            release = pd.Timestamp(
                typical.date()
                if calendar.is_trading_day(typical)
                else calendar.next_trading_day(typical)
            )
            labels.setdefault(release, []).append(kind)
    return pd.Series(labels, dtype=object)


def _upcoming(sessions: pd.DatetimeIndex, events: pd.Series, within: int) -> np.ndarray:
    """For each session, the events on the next `within` sessions (today excluded) as text."""
    out = np.full(len(sessions), "", dtype=object)
    if within <= 0 or events.empty:
        return out
    event_days = pd.DatetimeIndex(sorted(events.index))
    extended = calendar.trading_days(sessions[0], calendar.add_trading_days(sessions[-1], within))
    position = extended.get_indexer(sessions)
    horizon_end = extended[np.minimum(position + within, len(extended) - 1)]
    lo = np.searchsorted(event_days.values, sessions.values, side="right")
    hi = np.searchsorted(event_days.values, horizon_end.values, side="right")
    for i in np.flatnonzero(hi > lo):
        due = [f"{'/'.join(events[d])} {d.date()}" for d in event_days[lo[i] : hi[i]]]
        out[i] = ", ".join(due)
    return out


def _spike_window(vix: np.ndarray, s4: np.ndarray, exit_fraction: float):
    """Method §6.3: a spike starts when S4 fires and lasts until VIX < exit × its peak since."""
    in_window = np.zeros(len(vix), dtype=bool)
    peak = np.full(len(vix), np.nan)
    current = np.nan
    for i in range(len(vix)):
        v = vix[i]
        if np.isnan(current):
            if s4[i] and np.isfinite(v):
                current = v
        else:
            current = max(current, v) if np.isfinite(v) else current
            if np.isfinite(v) and v < exit_fraction * current and not s4[i]:
                current = np.nan
        if not np.isnan(current):
            in_window[i], peak[i] = True, current
    return in_window, peak


def layer_state_history(
    signals: SignalHistory, config: LayerConfig | None = None, events: pd.Series | None = None
) -> pd.DataFrame:
    """Each layer's state on every trading day of `signals` (method §6.1–§6.3).

    Columns L1, L2, L3 ("OFF"/"ARMED"/"ACTIVE"; L3 is ARMED inside a spike window — whether it
    is ACTIVE depends on the hedge's value, which `decide` or a backtest knows), plus the facts
    behind them: `l2_trigger_age` (sessions since a confirmed S2 or an S3 spike), `events_due`,
    `l3_window`, `l3_peak`.
    """
    config = config or LayerConfig()
    s1, s2, s3 = signals.frame("S1"), signals.frame("S2"), signals.frame("S3")
    s4, s5, s6 = signals.frame("S4"), signals.frame("S5"), signals.frame("S6")
    index = s1.index
    vix = s4["vix"].to_numpy(dtype=float)

    s1_active = s1["active"].to_numpy(dtype=bool)
    valuation_ok = s1["value"].to_numpy(dtype=float) >= s1["threshold"].to_numpy(dtype=float)
    near_threshold = vix < signals.config.s1_vix_max * (1 + config.l1_armed_band)
    l1 = np.where(
        s1_active,
        ACTIVE,
        np.where(s1["available"].to_numpy(dtype=bool) & valuation_ok & near_threshold, ARMED, OFF),
    )

    trigger = (s2["active"].to_numpy(dtype=bool) & s2["confirmed"].to_numpy(dtype=bool)) | s3[
        "active"
    ].to_numpy(dtype=bool)
    last_trigger = pd.Series(np.where(trigger, np.arange(len(index)), np.nan)).ffill()
    age = np.arange(len(index)) - last_trigger.to_numpy()
    l2_active = age < config.l2_hold_days  # the trigger day counts as the first of the hold
    if events is None:
        cpi = signals.inputs.releases.get("CPIAUCSL")
        cpi_dates = cpi["known_date"] if cpi is not None else pd.Series(dtype="datetime64[ns]")
        events = scheduled_event_days(signals.inputs.fomc, cpi_dates, index)
    l2_armed = s5["active"].to_numpy(dtype=bool) | s6["active"].to_numpy(dtype=bool)
    l2 = np.where(l2_active, ACTIVE, np.where(l2_armed, ARMED, OFF))

    window, peak = _spike_window(vix, s4["active"].to_numpy(dtype=bool), config.l3_exit_fraction)
    l3 = np.where(window, ARMED, OFF)
    states = pd.DataFrame(
        {
            "L1": l1,
            "L2": l2,
            "L3": l3,
            "l2_trigger_age": age,
            "events_due": np.full(len(index), "", dtype=object),
            "l3_window": window,
            "l3_peak": peak,
            "vix": vix,
        },
        index=index,
    )
    return arm_for_events(states, events, config)


def arm_for_events(states: pd.DataFrame, events: pd.Series, config: LayerConfig) -> pd.DataFrame:
    """`states` (rows of `layer_state_history`, any sessions) with L2 ARMED ahead of the
    scheduled `events` due within `config.l2_event_days` sessions, named in `events_due`."""
    due = _upcoming(states.index, events, config.l2_event_days)
    l2 = states["L2"].to_numpy()
    return states.assign(events_due=due, L2=np.where((l2 == OFF) & (due != ""), ARMED, l2))


# ---------------------------------------------------------------------------------------------
# One day's decision


@dataclass(frozen=True)
class LayerState:
    layer: str
    state: str
    reason: str
    target_contracts: int
    held_contracts: int
    capped: bool = False
    cap_detail: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "state": self.state,
            "reason": self.reason,
            "target_contracts": self.target_contracts,
            "held_contracts": self.held_contracts,
            "capped": self.capped,
            "cap_detail": self.cap_detail,
        }


@dataclass(frozen=True)
class Holding:
    """An open VIX call and the layer it belongs to, with today's mark per unit."""

    position: Position
    layer: str
    mark: float
    vix_sensitivity: float  # dollars per +1 VIX point, whole position


@dataclass(frozen=True)
class HedgeInstrument:
    """The call a layer buys today: one-month ~30-delta on its same-expiry future (§6.1)."""

    expiry: date
    strike: float
    forward: float
    forward_source: str
    delta: float
    mid: float
    price: float  # buy fill per unit, cost model §3.4
    sensitivity: float  # dollars per +1 VIX point per contract


@dataclass
class LayerDecision:
    as_of: date
    signals: dict[str, SignalReading]
    layers: dict[str, LayerState]
    orders: list[ProposedOrder]
    instrument: HedgeInstrument | None
    budget: dict[str, float]
    config: LayerConfig
    signal_config: dict[str, float]
    order_ids: list[str] = field(default_factory=list)
    plan: DayPlan | None = None  # the rulebook's plan the orders came from

    def as_json(self) -> dict[str, object]:
        """interface.md's `layers` shape (plus `budget` and the parameters used)."""
        ids = self.order_ids or [o.order_id(self.as_of) for o in self.orders]
        return {
            "as_of": self.as_of.isoformat(),
            "signals": {
                name: {
                    "value": r.value,
                    "threshold": r.threshold,
                    "active": r.active,
                    "available": r.available,
                    "detail": r.detail,
                }
                for name, r in self.signals.items()
            },
            "layers": {name: state.as_json() for name, state in self.layers.items()},
            "orders": [
                {
                    "order_id": order_id,
                    "layer": o.layer,
                    "action": o.action,
                    "instrument": o.instrument,
                    "strike": o.strike,
                    "expiry": o.expiry.isoformat(),
                    "quantity": o.quantity,
                    "price": round(o.price, 4),
                    "cost": round(o.cost, 2),
                    "status": "proposed",
                    "reason": o.reason,
                    "group_id": o.group_id,
                }
                for order_id, o in zip(ids, self.orders, strict=True)
            ],
            "budget": self.budget,
            "parameters": {"layers": self.config.as_dict(), "signals": self.signal_config},
        }


def hedge_expiry(as_of: date, min_days: int) -> date:
    """The one-month VIX expiry a layer buys: the first at least `min_days` away (§6.1).

    Three weeks by default, so a call bought between two expiries is a one-month call (VXTH
    buys the next month at each expiry) and is not rolled days after it was bought.
    """
    return calendar.next_vix_expiry(as_of, min_days=min_days)


def choose_instrument(
    snapshot: MarketSnapshot,
    params: ModelParams,
    costs: CostModel,
    config: LayerConfig,
    expiry: date | None = None,
    previous_vix: float | None = None,
) -> HedgeInstrument:
    """Strike and modelled fill of the ~30-delta call on the chosen expiry's future.

    The strike never exceeds the listing as of the previous close (`listing_strike_cap` of
    `previous_vix`, today's VIX when not given): in a spike the delta strike at the new F can
    lie beyond anything Cboe had listed.
    """
    expiry = expiry or hedge_expiry(snapshot.as_of, config.min_days_new)
    probe = Position("probe", "vix_call", expiry, 1, snapshot.as_of, 1.0, strike=20.0)
    legs = build_legs([probe])
    found = vix_forwards(legs, snapshot, params)
    forward, tau = float(found.forward[0]), (expiry - snapshot.as_of).days / mm.DAYS_PER_YEAR

    def vol_fn(strikes):
        return mm.vix_option_vol(
            strikes,
            forward,
            tau,
            snapshot.vvix,
            params.vix_vol_default,
            params.vvix_multiplier,
            params.vix_skew,
        )

    chosen = mm.vix_call_strike_for_delta(forward, tau, snapshot.rate, vol_fn, config.target_delta)
    cap = float(
        listing_strike_cap(
            snapshot.vix if previous_vix is None else previous_vix, config.strike_listing_multiple
        )
    )
    if chosen.strike > cap:
        vol = float(vol_fn(np.array([cap]))[0])
        delta = float(black76_greeks(forward, cap, tau, snapshot.rate, vol, True).delta)
        chosen = mm.VixStrike(cap, delta, vol)
    mid = float(black76_price(forward, chosen.strike, tau, snapshot.rate, chosen.vol, True))
    price = float(costs.vix_call_fill(mid, "buy")[0])
    candidate = build_legs(
        [Position("probe", "vix_call", expiry, 1, snapshot.as_of, 1.0, strike=chosen.strike)]
    )
    bumped = price_legs(candidate, snapshot, params, vix_shift=[1.0, -1.0], forwards=found)
    sensitivity = float((bumped[0, 0] - bumped[1, 0]) / 2 * MULTIPLIER)
    return HedgeInstrument(
        expiry, chosen.strike, forward, found.source[0], chosen.delta, mid, price, sensitivity
    )


def _fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def _signal_text(signals: dict[str, SignalReading], name: str) -> str:
    """A signal in a reason: on/off with the first facts of its own detail (values, limits)."""
    reading = signals[name]
    if not reading.available:
        return f"{name} unavailable ({reading.detail})"
    flag = "on" if reading.active else "off"
    facts = "; ".join(reading.detail.split("; ")[:2])
    return f"{name} {flag} ({facts})"


def decide(
    as_of: date,
    signals: dict[str, SignalReading],
    states: pd.Series,
    snapshot: MarketSnapshot,
    risk_capital: float,
    condor_sensitivity: float,
    holdings: list[Holding],
    spent_12m: float,
    params: ModelParams,
    costs: CostModel,
    config: LayerConfig,
    signal_config: dict[str, float],
    pending: dict[str, int] | None = None,
    previous_vix: float | None = None,
    instrument: HedgeInstrument | None = None,
) -> LayerDecision:
    """One day's layer states, targets, budget and proposed orders (method §6.1–§6.4).

    The rules are `alvh.hedge.rulebook.plan_day`'s; this turns the day into its inputs and its
    plan into whole-contract orders with their reasons. `pending` holds, per layer, contracts in
    approved purchases not yet executed: they count as held. `instrument` replaces the call
    chosen from the snapshot (a test feeding the backtest's call).
    """
    pending = pending or {}
    if instrument is None and snapshot.vix > 0:
        instrument = choose_instrument(snapshot, params, costs, config, previous_vix=previous_vix)
    by_key = {h.position.position_id: h for h in holdings}
    calls = [
        HeldCall(
            h.position.position_id,
            h.layer,
            h.position.quantity,
            h.position.entry_price,
            h.mark,
            (h.position.expiry - as_of).days,
            h.vix_sensitivity,
        )
        for h in holdings
    ]
    offer = (
        Offer(
            on_tick(instrument.price, costs.tick, "buy"),  # the budget sees the order's price
            instrument.forward,
            instrument.sensitivity,
            costs.fee_per_contract,
        )
        if instrument is not None
        else None
    )
    day = DayBook(
        l1_active=states["L1"] == ACTIVE,
        l2_active=states["L2"] == ACTIVE,
        l3_window=bool(states["l3_window"]),
        risk_capital=risk_capital,
        condor_sensitivity=condor_sensitivity,
        spent_12m=spent_12m,
        pending=pending,
    )
    plan = plan_day(day, calls, offer, config, ENGINE_SIZING)
    orders = _orders(plan, by_key, instrument, costs)
    caps = {
        layer: (
            f"capped: wanted ${wanted:,.0f}, 12-month budget left ${left:,.0f} of "
            f"${plan.budget:,.0f} → ${allowed:,.0f}"
        )
        for layer, (wanted, left, allowed) in plan.caps.items()
    }
    layers = _layer_states(as_of, signals, states, snapshot, plan, config, signal_config, caps)
    spend = sum(o.cost for o in orders if o.action == "open")
    budget = budget_summary(risk_capital, config.hedge_budget_pct, spent_12m, spend)
    return LayerDecision(
        as_of, signals, layers, orders, instrument, budget, config, signal_config, plan=plan
    )


def on_tick(price: float, tick: float, side: str) -> float:
    """A limit price on the exchange's tick (§3.4, $0.05 for VIX options): a purchase rounds
    up, a sale down (to one tick at least), so a purchase is never priced below the modelled
    fill and a sale above it."""
    steps = price / tick
    steps = math.ceil(steps - 1e-9) if side == "buy" else math.floor(steps + 1e-9)
    return round(max(steps, 1) * tick, 10)


def _orders(
    plan: DayPlan,
    holdings: dict[str, Holding],
    instrument: HedgeInstrument | None,
    costs: CostModel,
) -> list[ProposedOrder]:
    """The plan as whole-contract orders: sales at their sell fill, purchases at the offer's."""
    orders = []
    for sale in plan.sales:
        h = holdings[sale.key]
        fill = on_tick(float(costs.vix_call_fill(h.mark, "sell")[0]), costs.tick, "sell")
        quantity = int(sale.quantity)
        proceeds = quantity * (fill * MULTIPLIER - costs.fee_per_contract)
        orders.append(
            ProposedOrder(
                h.layer,
                "close",
                h.position.strike,
                h.position.expiry,
                quantity,
                fill,
                -proceeds,
                sale.reason,
                position_id=h.position.position_id,
                group_id=sale.group,
            )
        )
    for purchase in plan.purchases:
        quantity = int(purchase.quantity)
        price = on_tick(instrument.price, costs.tick, "buy")
        unit = price * MULTIPLIER + costs.fee_per_contract
        orders.append(
            ProposedOrder(
                purchase.layer,
                "open",
                instrument.strike,
                instrument.expiry,
                quantity,
                price,
                quantity * unit,
                f"{purchase.reason} (strike {instrument.strike:g}, F {instrument.forward:.2f})",
                group_id=purchase.group,
            )
        )
    return orders


def _layer_states(as_of, signals, states, snapshot, plan, config, signal_config, caps):
    """Each layer's state with its reason, from the day's states and the rulebook's targets."""
    t1, t2, t3 = plan.targets["L1"], plan.targets["L2"], plan.targets["L3"]
    s1_text, vix_text = _signal_text(signals, "S1"), f"VIX {snapshot.vix:.2f}"
    l1_state = states["L1"]
    if l1_state == ACTIVE and t1.acting and t1.target > 0:
        reason = (
            f"ACTIVE: {s1_text}, {vix_text}; target {round(t1.target)} = "
            f"{config.l1_pct:.1%} × R ${plan.risk_capital:,.0f} / (100 × F {plan.forward:.2f}); "
            f"proposing {int(t1.bought)}"
            + (
                f"; trimming {int(t1.sold)} of {int(t1.held)} held (over the "
                f"{config.l1_trim_band:.0%} band)"
                if t1.sold
                else ""
            )
        )
    elif l1_state == ACTIVE:
        reason = f"ACTIVE: {s1_text}, {vix_text}; no call can be priced today"
    elif l1_state == ARMED:
        reason = (
            f"ARMED: {s1_text}; {vix_text} within {config.l1_armed_band:.0%} of the "
            f"{signal_config.get('s1_vix_max', 25):g} threshold; held calls kept to expiry"
        )
    else:
        reason = f"OFF: {s1_text}; held calls kept to expiry, not renewed"
    l1 = LayerState(
        "L1", l1_state, reason, int(round(t1.target)), int(t1.held), "L1" in caps, caps.get("L1")
    )

    s4_text = _signal_text(signals, "S4")
    if t3.acting:
        l3_state = ACTIVE
        reason = (
            f"ACTIVE: spike window (peak VIX {_fmt(states['l3_peak'])}, exit below "
            f"{config.l3_exit_fraction:.0%} of it), {s4_text}; {len(plan.winners)} position(s) "
            f"worth ≥ {config.l3_profit_multiple:g}× cost: sell {int(t3.sold)}"
            + (f"; {t3.note}" if t3.note else ", roll the rest")
        )
    elif bool(states["l3_window"]) or signals["S4"].active:
        l3_state = ARMED
        reason = (
            f"ARMED: {s4_text}; no hedge worth {config.l3_profit_multiple:g}× its cost yet"
            if not plan.winners
            else f"ARMED: {s4_text}; winners await the spike"
        )
    else:
        l3_state, reason = OFF, f"OFF: {s4_text}; no spike window"
    l3 = LayerState(
        "L3", l3_state, reason, int(t3.target), int(t3.held), "L3" in caps, caps.get("L3")
    )

    l2_state = states["L2"]
    trigger_text = f"{_signal_text(signals, 'S2')}, {_signal_text(signals, 'S3')}"
    if np.isfinite(states["l2_trigger_age"]):
        trigger_text += f", last trigger {int(states['l2_trigger_age'])} session(s) ago"
    if l2_state == ACTIVE and t2.acting:
        target = int(t2.held + t2.bought)
        reason = (
            f"ACTIVE: {trigger_text}; target hedge sensitivity ${t2.target:,.0f} "
            f"({config.l2_offset:.0%} of |condor sensitivity| per VIX point); proposing "
            f"{int(t2.bought)}"
        )
    elif l2_state == ACTIVE:
        target = int(t2.held)
        reason = f"ACTIVE: {trigger_text}; no call can be priced today"
    elif l2_state == ARMED:
        target = int(t2.held)
        why = [_signal_text(signals, "S5"), _signal_text(signals, "S6")]
        if states["events_due"]:
            why.append(f"due within {config.l2_event_days} sessions: {states['events_due']}")
        reason = f"ARMED: {'; '.join(why)}"
    else:
        target = int(t2.held)
        reason = f"OFF: {trigger_text}; nothing scheduled within {config.l2_event_days} sessions"
    l2 = LayerState("L2", l2_state, reason, target, int(t2.held), "L2" in caps, caps.get("L2"))
    return {"L1": l1, "L2": l2, "L3": l3}
