"""The variants (method §6, §7): each one's condor sizes and hedge trades, session by session.

Five variants on the same condor trades and price path: `unhedged`; `vxth` (the Cboe VIX Tail
Hedge rule: at each VIX expiry put 1 % of equity into one-month 30-delta VIX calls when their VIX
future is 15–30, 0.5 % at 30–50, nothing outside); `l1`, `l1l2` and `alvh` (the layers of §6,
whose states come from `alvh.hedge.layers.layer_state_history`).

The layer rules are not here: on each decision day a layer variant describes its day to
`alvh.hedge.rulebook.plan_day` — the same function the daily engine's `decide` calls — and carries
out the plan (L1 roll and top-up, L3 monetise and roll, L2 top-up, the §6.4 budget cap, one net
target across layers). What is backtest-specific lives here: lots, their marks, cash and the
ledgers; quantities are fractional (an index, not an account: `Sizing(whole=False)`, with
`rebalance_tolerance` as the dead band and orders below `min_order_fraction` of equity skipped);
each condor is sized on the variant's own equity at entry (or on fixed quantities: the overlay
mode of `BacktestConfig.condor_sizing`). tests/test_rulebook.py replays decision days through
the daily engine and requires the same states and targets.

The loop visits only sessions on which a variant may act (condor entries, VIX expiries, active
layers) and does scalar arithmetic on a handful of lots; marks come from the shared
`HedgeCandidates` table and `CondorTrades`, and the daily arrays are built afterwards in one
vectorised pass.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from alvh.backtest.candidates import HedgeCandidates, empty_candidates, price_calls
from alvh.backtest.condors import CondorSleeve, CondorTrades
from alvh.backtest.inputs import MarketPath, ragged
from alvh.book.costs import CostModel
from alvh.book.valuation import ModelParams
from alvh.core.errors import UsageError
from alvh.hedge.rulebook import DayBook, DayPlan, HeldCall, LayerConfig, Offer, Sizing, plan_day

__all__ = [
    "VARIANTS",
    "HedgeRules",
    "HedgeSleeve",
    "LayerArrays",
    "VariantSpec",
    "VxthRule",
    "VariantPath",
    "parse_variants",
    "simulate_variant",
]

MULTIPLIER = 100.0


@dataclass(frozen=True)
class VariantSpec:
    """Which hedging rules a variant runs."""

    name: str
    description: str
    vxth: bool = False
    l1: bool = False
    l2: bool = False
    l3: bool = False

    @property
    def layered(self) -> bool:
        return self.l1 or self.l2 or self.l3

    @property
    def hedged(self) -> bool:
        return self.vxth or self.layered


VARIANTS: dict[str, VariantSpec] = {
    "unhedged": VariantSpec("unhedged", "condors and cash only"),
    "vxth": VariantSpec("vxth", "Cboe VXTH rule: monthly one-month 30-delta VIX calls", vxth=True),
    "l1": VariantSpec("l1", "L1 base protection only (method §6.1)", l1=True),
    "l1l2": VariantSpec("l1l2", "L1 + L2 acceleration (method §6.1-§6.2)", l1=True, l2=True),
    "alvh": VariantSpec(
        "alvh", "full ALVH: L1 + L2 + L3 convexity roll (method §6)", l1=True, l2=True, l3=True
    ),
}


def parse_variants(text: str | list[str] | None) -> list[str]:
    """Variant names from a comma-separated list (all five when empty), in canonical order."""
    if text is None or text == "" or text == []:
        return list(VARIANTS)
    names = text.split(",") if isinstance(text, str) else list(text)
    names = [n.strip().lower() for n in names if n.strip()]
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown:
        raise UsageError(
            f"unknown variant(s) {', '.join(unknown)}; variants are {', '.join(VARIANTS)}"
        )
    return [v for v in VARIANTS if v in names]


@dataclass(frozen=True)
class VxthRule:
    """Cboe VXTH weights by the level of the calls' VIX future at the roll (method §7)."""

    low: float = 15.0
    middle: float = 30.0
    high: float = 50.0
    weight_low_band: float = 0.01  # low ≤ F ≤ middle
    weight_high_band: float = 0.005  # middle < F ≤ high

    def weight(self, forward: float) -> float:
        if self.low <= forward <= self.middle:
            return self.weight_low_band
        if self.middle < forward <= self.high:
            return self.weight_high_band
        return 0.0


@dataclass(frozen=True)
class HedgeRules:
    """Backtest-only hedge settings (the layer rules themselves are `LayerConfig`)."""

    vxth: VxthRule = field(default_factory=VxthRule)
    rebalance_tolerance: float = 0.10
    # Orders smaller than this share of the variant's equity are not placed (fractional sizes
    # would otherwise produce orders of cents).
    min_order_fraction: float = 1e-5

    def __post_init__(self) -> None:
        if not 0 <= self.rebalance_tolerance < 1:
            raise UsageError("rebalance_tolerance must lie in [0, 1)")

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class LayerArrays:
    """The layer states of `alvh.hedge.layers.layer_state_history` on the backtest's sessions."""

    l1_active: np.ndarray
    l2_active: np.ndarray
    l3_window: np.ndarray
    l2_signal: np.ndarray  # which signal(s) triggered the L2 hold in force ("S2", "S3", ...)

    @classmethod
    def from_states(cls, states: pd.DataFrame, signals, days: pd.DatetimeIndex) -> LayerArrays:
        s = states.reindex(days)
        n = len(days)
        age = s["l2_trigger_age"].to_numpy(dtype=float)
        s2 = signals.frame("S2").reindex(days)
        s3 = signals.frame("S3").reindex(days)
        s2_on = (s2["active"].fillna(False) & s2["confirmed"].fillna(False)).to_numpy(bool)
        s3_on = s3["active"].fillna(False).to_numpy(bool)
        label = np.full(n, "", dtype=object)
        trig = np.flatnonzero(np.isfinite(age))
        at = (trig - age[trig]).astype(np.int64)
        inside = at >= 0
        both = np.where(s2_on & s3_on, "S2+S3", np.where(s2_on, "S2", np.where(s3_on, "S3", "")))
        label[trig[inside]] = both[at[inside]]
        label[trig[~inside]] = "S2/S3 (before start)"
        return cls(
            l1_active=(s["L1"] == "ACTIVE").to_numpy(bool),
            l2_active=(s["L2"] == "ACTIVE").to_numpy(bool),
            l3_window=s["l3_window"].fillna(False).to_numpy(bool),
            l2_signal=label,
        )


@dataclass(frozen=True)
class HedgeSleeve:
    """One variant's hedge sleeve: per-session arrays (dollars) and its ledgers.

    pnl = change in lots_value + flows (the cash account's interest excluded)
        = decay + roll + move − spread, exactly, on every session.
    """

    lots_value: np.ndarray
    flows: np.ndarray
    pnl: np.ndarray
    decay: np.ndarray  # option time decay at an unchanged future
    roll: np.ndarray  # the future rolling down (or up) its curve towards spot VIX
    move: np.ndarray  # everything else: VIX, futures and VVIX moves (the payoff)
    spread: np.ndarray  # fill versus mid plus fees
    premium: np.ndarray  # premium paid on purchases (fills, fees excluded)
    trades: pd.DataFrame
    lots: pd.DataFrame
    capped: pd.DataFrame
    decisions: pd.DataFrame  # per decision day and layer: the rulebook's target (LayerTarget)


@dataclass(frozen=True)
class VariantPath:
    """One variant over the path: its condor sleeve, its hedge sleeve, cash and equity.

    equity = cash + condor.value + hedge.lots_value on every session; the cash account holds
    every flow of both sleeves and earns the T-bill (`MarketPath.growth`).
    """

    name: str
    condor: CondorSleeve
    hedge: HedgeSleeve
    cash: np.ndarray
    equity: np.ndarray


_TRADE_COLUMNS = (
    "day",
    "lot",
    "action",
    "layer",
    "signal",
    "contracts",
    "mid",
    "price",
    "cash_flow",
    "reason",
)


def _decision_days(spec: VariantSpec, layers: LayerArrays, vix_expiry_day: np.ndarray, entry):
    act = np.zeros(len(vix_expiry_day), dtype=bool)
    act[entry] = True
    if spec.vxth:
        act |= vix_expiry_day
    if spec.l1:
        act |= layers.l1_active
    if spec.l2:
        act |= layers.l2_active
    if spec.l3:
        act |= layers.l3_window
    return np.flatnonzero(act)


def simulate_variant(
    spec: VariantSpec,
    path: MarketPath,
    trades: CondorTrades,
    cand: HedgeCandidates | None,
    layers: LayerArrays,
    vix_expiry_day: np.ndarray,
    config: LayerConfig,
    rules: HedgeRules,
    costs: CostModel,
    params: ModelParams,
    initial_equity: float,
    quantity: np.ndarray | None = None,
) -> VariantPath:
    """Walk one variant's decisions over the path (see the module docstring).

    Each condor is sized at its entry on the variant's own equity at that close (risk
    fraction × equity / max loss), unless `quantity` fixes the condor sizes — the unhedged
    variant's, say, which makes the hedge a pure overlay: then equity − unhedged equity is
    exactly the hedge sleeve (its lots and the cash its trades moved).
    """
    n = len(path)
    growth, day_number = path.growth, path.day_number
    fee = costs.fee_per_contract
    risk_fraction = trades.preset.risk_fraction
    q_condor = np.zeros(len(trades)) if quantity is None else np.asarray(quantity, dtype=float)
    if cand is None:
        if spec.hedged:
            raise ValueError("a hedged variant needs the hedge candidates")
        cand = empty_candidates()
    mark, sens, row0, valid = cand.mark, cand.sensitivity, cand.row0, cand.valid
    buy_price, sell_price = cand.buy_price, cand.sell_price
    expiry_index, expiry = cand.expiry_index, cand.expiry.astype(np.int64)
    day_trade, day_row = trades.day_trade, trades.day_row
    unit_loss, sens_unit, debit_mid = trades.max_loss_unit, trades.sens_unit, trades.debit_mid

    # Lots (every lot is the candidate call of the session it was bought on).
    lot_s: list[int] = []
    lot_qty: list[float] = []
    lot_cost: list[float] = []
    lot_layer: list[str] = []
    lot_signal: list[str] = []
    lot_close: list[int] = []
    lot_close_price: list[float] = []
    lot_close_kind: list[str] = []
    open_lots: list[int] = []
    ledger: list[tuple] = []
    capped: list[tuple] = []
    # The cash account divided by growth: a flow on session d adds flow / growth[d].
    cash_g = initial_equity / growth[0]
    next_due = n  # earliest expiry among open lots
    condor_open = -1  # trade whose exit flow is not booked yet
    next_entry = 0
    spend_day: list[int] = []
    spend_amount: list[float] = []
    spend_ptr = 0
    spend_sum = 0.0

    def settle_due(t: int) -> None:
        nonlocal cash_g, next_due, condor_open
        if condor_open >= 0 and trades.exit_day[condor_open] <= t:
            k, b = condor_open, int(trades.exit_day[condor_open])
            exit_fee = trades.fee_unit * q_condor[k] if trades.traded_exit[k] else 0.0
            cash_g += (-MULTIPLIER * q_condor[k] * trades.exit_debit[k] - exit_fee) / growth[b]
            condor_open = -1
        if t < next_due:
            return
        for lot in [x for x in open_lots if expiry_index[lot_s[x]] <= t]:
            s = lot_s[lot]
            e = int(expiry_index[s])
            value = float(mark[row0[s] + e - s])
            flow = lot_qty[lot] * MULTIPLIER * value
            cash_g += flow / growth[e]
            lot_close[lot], lot_close_price[lot], lot_close_kind[lot] = e, value, "expired"
            open_lots.remove(lot)
            ledger.append(
                (
                    e,
                    lot,
                    "expire",
                    lot_layer[lot],
                    lot_signal[lot],
                    lot_qty[lot],
                    value,
                    value,
                    flow,
                    "settled at the VIX open of the expiry day",
                )
            )
        next_due = min((int(expiry_index[lot_s[x]]) for x in open_lots), default=n)

    def lots_value(t: int) -> float:
        return sum(
            lot_qty[x] * MULTIPLIER * float(mark[row0[lot_s[x]] + t - lot_s[x]]) for x in open_lots
        )

    def condor_value(t: int) -> float:
        k = day_trade[t]
        return -MULTIPLIER * q_condor[k] * float(debit_mid[day_row[t]]) if k >= 0 else 0.0

    def risk_capital(t: int) -> float:
        k = day_trade[t]
        return MULTIPLIER * q_condor[k] * float(unit_loss[k]) if k >= 0 else 0.0

    def enter_condor(t: int) -> None:
        nonlocal cash_g, condor_open, next_entry
        k = next_entry
        next_entry += 1
        if quantity is None:
            # Flat between condors: the equity is the cash plus the hedge's marks.
            equity = cash_g * growth[t] + lots_value(t)
            if trades.max_loss_unit[k] > 0 and equity > 0:
                q_condor[k] = risk_fraction * equity / (MULTIPLIER * trades.max_loss_unit[k])
        q = q_condor[k]
        cash_g += (MULTIPLIER * q * trades.credit_fill[k] - trades.fee_unit * q) / growth[t]
        condor_open = k

    def spent_12m(t: int) -> float:
        nonlocal spend_ptr, spend_sum
        horizon = day_number[t] - 365
        while spend_ptr < len(spend_day) and spend_day[spend_ptr] <= horizon:
            spend_sum -= spend_amount[spend_ptr]
            spend_ptr += 1
        return spend_sum

    def buy(t: int, qty: float, layer: str, signal: str, reason: str) -> float:
        """Open a lot of the session's call (sizes and the budget are the rulebook's)."""
        nonlocal cash_g, spend_sum, next_due
        if qty <= 0 or not valid[t]:
            return 0.0
        price = float(buy_price[t])
        unit = price * MULTIPLIER + fee
        lot = len(lot_s)
        lot_s.append(t)
        lot_qty.append(qty)
        lot_cost.append(price)
        lot_layer.append(layer)
        lot_signal.append(signal)
        lot_close.append(n)
        lot_close_price.append(np.nan)
        lot_close_kind.append("open")
        open_lots.append(lot)
        next_due = min(next_due, int(expiry_index[t]))
        cash_g -= qty * unit / growth[t]
        spend_day.append(int(day_number[t]))
        spend_amount.append(qty * price * MULTIPLIER)
        spend_sum += qty * price * MULTIPLIER
        ledger.append(
            (t, lot, "buy", layer, signal, qty, float(mark[row0[t]]), price, -qty * unit, reason)
        )
        return qty

    def sell(t: int, lot: int, signal: str, parts: list[tuple[str, float, str]]) -> None:
        """Close the whole lot at the session's fill; `parts` label the quantities sold."""
        nonlocal cash_g
        row = row0[lot_s[lot]] + t - lot_s[lot]
        mid, price = float(mark[row]), float(sell_price[row])
        for action, qty, reason in parts:
            flow = qty * (price * MULTIPLIER - fee)
            ledger.append((t, lot, action, lot_layer[lot], signal, qty, mid, price, flow, reason))
            cash_g += flow / growth[t]
        lot_close[lot], lot_close_price[lot], lot_close_kind[lot] = t, price, "sold"
        open_lots.remove(lot)

    def lot_row(lot: int, t: int) -> int:
        return int(row0[lot_s[lot]]) + t - lot_s[lot]

    tol = rules.rebalance_tolerance
    enabled = [name for name, on in (("L1", spec.l1), ("L2", spec.l2), ("L3", spec.l3)) if on]
    decisions: list[tuple[int, DayPlan]] = []
    hedged = spec.hedged
    entries = trades.entry
    for t in _decision_days(spec, layers, vix_expiry_day, entries).tolist():
        settle_due(t)
        if next_entry < len(entries) and entries[next_entry] == t:
            enter_condor(t)
        if not hedged:
            continue
        equity = cash_g * growth[t] + condor_value(t) + lots_value(t)
        if spec.vxth:
            if not vix_expiry_day[t] or not valid[t]:
                continue
            forward = float(cand.forward[row0[t]])
            weight = rules.vxth.weight(forward)
            unit = float(buy_price[t]) * MULTIPLIER + fee
            if weight > 0 and equity > 0:
                buy(
                    t,
                    weight * equity / unit,
                    "VXTH",
                    "VXTH rule",
                    f"VIX expiry roll: {weight:.1%} of equity at VX {forward:.2f}",
                )
            continue
        calls = [
            HeldCall(
                lot,
                lot_layer[lot],
                lot_qty[lot],
                lot_cost[lot],
                float(mark[lot_row(lot, t)]),
                int(expiry[lot_s[lot]] - day_number[t]),
                lot_qty[lot] * float(sens[lot_row(lot, t)]),
            )
            for lot in open_lots
        ]
        k = day_trade[t]
        book = DayBook(
            l1_active=bool(layers.l1_active[t]),
            l2_active=bool(layers.l2_active[t]),
            l3_window=bool(layers.l3_window[t]),
            risk_capital=risk_capital(t),
            condor_sensitivity=q_condor[k] * float(sens_unit[day_row[t]]) if k >= 0 else 0.0,
            spent_12m=spent_12m(t),
        )
        offer = (
            Offer(float(buy_price[t]), float(cand.forward[row0[t]]), float(sens[row0[t]]), fee)
            if valid[t]
            else None
        )
        sizing = Sizing(False, tol, rules.min_order_fraction * equity, partial_sales=False)
        plan = plan_day(book, calls, offer, config, sizing, enabled)
        decisions.append((t, plan))
        parts: dict[int, list[tuple[str, float, str]]] = {}
        rule: dict[int, str] = {}
        for sale in plan.sales:
            parts.setdefault(sale.key, []).append((sale.action, sale.quantity, sale.reason))
            rule[sale.key] = sale.rule
        for lot, lot_parts in parts.items():
            sell(t, lot, "S4" if rule[lot] == "L3" else "S1", lot_parts)
        for layer, (wanted, _left, allowed) in plan.caps.items():
            capped.append((t, layer, wanted, allowed))
        for purchase in plan.purchases:
            signal = {"L1": "S1", "L3": "S4"}.get(purchase.layer) or (
                str(layers.l2_signal[t]) or "S2/S3"
            )
            buy(t, purchase.quantity, purchase.layer, signal, purchase.reason)
    settle_due(n - 1)
    condor = trades.sized(q_condor)
    hedge = _sleeve_arrays(
        path,
        cand,
        params,
        costs,
        np.asarray(lot_s, dtype=np.int64),
        np.asarray(lot_qty, dtype=float),
        np.asarray(lot_cost, dtype=float),
        np.asarray(lot_close, dtype=np.int64),
        np.asarray(lot_close_price, dtype=float),
        lot_close_kind,
        lot_layer,
        lot_signal,
        ledger,
        capped,
        decisions,
    )
    cash = growth * (initial_equity / growth[0] + np.cumsum((condor.flows + hedge.flows) / growth))
    equity = cash + condor.value + hedge.lots_value
    return VariantPath(spec.name, condor, hedge, cash, equity)


def _sleeve_arrays(
    path,
    cand,
    params,
    costs,
    s,
    qty,
    cost,
    close,
    close_price,
    kinds,
    layer,
    signal,
    trades,
    capped,
    decisions,
) -> HedgeSleeve:
    """The sleeve's daily arrays from its lots (bought on `s`, closed on `close`) and ledgers."""
    n = len(path)
    fee = costs.fee_per_contract
    mid0 = cand.mark[cand.row0[s]] if len(s) else np.zeros(0)

    # Lot-days on which a lot is held at the close: s .. close − 1 (close = n when still open).
    held_days = np.minimum(close, n) - s
    lot_of, offset = ragged(held_days)
    rows = cand.row0[s][lot_of] + offset
    day = s[lot_of] + offset
    held_value = qty[lot_of] * MULTIPLIER * cand.mark[rows]
    lots_value = np.bincount(day, weights=held_value, minlength=n)[:n]

    flows = np.zeros(n)
    spread = np.zeros(n)
    premium = np.zeros(n)
    np.add.at(flows, s, -qty * (cost * MULTIPLIER + fee))
    np.add.at(spread, s, qty * ((cost - mid0) * MULTIPLIER + fee))
    np.add.at(premium, s, qty * cost * MULTIPLIER)
    kinds_arr = np.asarray(kinds)
    sold = kinds_arr == "sold"
    expired = kinds_arr == "expired"
    closed = sold | expired
    np.add.at(
        flows,
        close[closed],
        qty[closed] * (close_price[closed] * MULTIPLIER - np.where(sold[closed], fee, 0.0)),
    )
    if sold.any():
        mid_at_sale = cand.mark[cand.row0[s[sold]] + close[sold] - s[sold]]
        np.add.at(
            spread,
            close[sold],
            qty[sold] * ((mid_at_sale - close_price[sold]) * MULTIPLIER + fee),
        )

    # Steps d → d+1 while held (a lot closed at c steps up to c, one open at the end to n − 1),
    # split as `HedgeSleeve` says: decay (time passes, future unchanged), roll (the future slides
    # along today's curve towards spot VIX — its basis shrinks as under the §2.2 mean-reversion
    # curve, 1 − e^{−κτ}) and the rest.
    steps = np.where(closed, close - s, n - 1 - s)
    step_lot, step_off = ragged(steps)
    r0 = cand.row0[s][step_lot] + step_off
    d0 = s[step_lot] + step_off
    weight = qty[step_lot] * MULTIPLIER
    k = cand.strike[s][step_lot]
    f, tau0, tau1 = cand.forward[r0], cand.tau[r0], cand.tau[r0 + 1]
    vix = path.vix[d0]

    def price(fwd, tau):
        return price_calls(path, d0, k, fwd, tau, params)[0]

    kappa = params.vx.kappa
    with np.errstate(invalid="ignore", divide="ignore"):
        shrink = np.where(
            tau0 > 0, -np.expm1(-kappa * tau1) / -np.expm1(-kappa * np.maximum(tau0, 1e-12)), 0.0
        )
    f_roll = np.maximum(vix + (f - vix) * shrink, 1.0)
    p_now = cand.mark[r0]
    p_decay = price(f, tau1) if len(r0) else np.zeros(0)
    p_roll = price(f_roll, tau1) if len(r0) else np.zeros(0)
    p_next = cand.mark[r0 + 1]
    decay = np.bincount(d0 + 1, weights=weight * (p_decay - p_now), minlength=n + 1)[:n]
    roll = np.bincount(d0 + 1, weights=weight * (p_roll - p_decay), minlength=n + 1)[:n]
    move = np.bincount(d0 + 1, weights=weight * (p_next - p_roll), minlength=n + 1)[:n]

    pnl = np.diff(lots_value, prepend=0.0) + flows

    trade_frame = pd.DataFrame(trades, columns=list(_TRADE_COLUMNS))
    lot_pnl = np.where(
        closed,
        qty * (np.nan_to_num(close_price) * MULTIPLIER - np.where(sold, fee, 0.0)),
        qty * MULTIPLIER * cand.mark[cand.row0[s] + np.minimum(close, n - 1) - s]
        if len(s)
        else np.zeros(0),
    ) - qty * (cost * MULTIPLIER + fee)
    final_value = cand.mark[cand.row0[s] + cand.life[s]] if len(s) else np.zeros(0)
    lots = pd.DataFrame(
        {
            "lot": np.arange(len(s)),
            "day": s,
            "layer": layer,
            "signal": signal,
            "strike": cand.strike[s],
            "expiry": pd.to_datetime(cand.expiry[s]),
            "contracts": qty,
            "price": cost,
            "close_day": close,
            "close_kind": kinds,
            "close_price": close_price,
            "pnl": lot_pnl,
            "value_at_expiry": final_value,
        }
    )
    capped_frame = pd.DataFrame(capped, columns=["day", "layer", "wanted", "allowed"])
    decision_frame = pd.DataFrame(
        [
            {
                "day": t,
                "layer": target.layer,
                "acting": target.acting,
                "target": target.target,
                "held": target.held,
                "bought": target.bought,
                "sold": target.sold,
                "note": target.note,
            }
            for t, plan in decisions
            for target in plan.targets.values()
        ],
        columns=["day", "layer", "acting", "target", "held", "bought", "sold", "note"],
    )
    return HedgeSleeve(
        lots_value,
        flows,
        pnl,
        decay,
        roll,
        move,
        spread,
        premium,
        trade_frame,
        lots,
        capped_frame,
        decision_frame,
    )
