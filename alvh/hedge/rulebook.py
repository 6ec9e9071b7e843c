"""The hedge rulebook (method §6.1–§6.4): one day's targets, budget and trades, in one place.

The daily engine (`alvh.hedge.layers.decide`) and every layered backtest variant
(`alvh.backtest.hedges.simulate_variant`) describe their day to `plan_day` in the same nouns —
the layers' states, the book's risk capital and VIX sensitivity, the calls held, the call on offer
today, the premium spent — and carry out the plan it returns. A change to a §6 rule is one edit
here, and the daily report and the backtest change with it (tests/test_rulebook.py checks that
they agree on real history).

The layers share one net target per day (docs/engine.md, "one net target"):
* L1 keeps a floor of contracts while ACTIVE (its own calls and the calls L3 rolled into);
* L2 keeps a floor of hedge VIX sensitivity while ACTIVE;
* L3 (when `l3_monetize` is on) sells winners only down to those floors, and not at all on a
  day L1 tops up, so a day never sells and buys the same exposure; L2 tops up only what is
  left short after L3, so an L3 sale and an L2 purchase never share a day.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, NamedTuple

import numpy as np

from alvh.core.errors import UsageError

__all__ = [
    "ENGINE_SIZING",
    "L1_FAMILY",
    "LayerConfig",
    "DayBook",
    "DayPlan",
    "HeldCall",
    "LayerTarget",
    "Offer",
    "Purchase",
    "Sale",
    "Sizing",
    "listing_strike_cap",
    "plan_day",
]

MULTIPLIER = 100.0
# Calls that count toward L1's floor: its own and those L3 rolled a winner into (the roll keeps
# the protection; only the monetised part leaves it). L1 also rolls these near expiry.
L1_FAMILY = ("L1", "L3")


@dataclass(frozen=True)
class LayerConfig:
    """Method §6 defaults; every value can be set in configuration ([layers] in alvh.toml)."""

    l1_pct: float = 0.125
    l1_armed_band: float = 0.10
    # An ACTIVE L1 held above (1 + l1_trim_band) × its target sells down to it (method §6: the
    # difference between target and holdings becomes orders), outside spikes only: see
    # docs/engine.md "Over-hedged L1". The band keeps a small move in F from trading.
    l1_trim_band: float = 0.5
    roll_days: int = 7
    min_days_new: int = 21
    target_delta: float = 0.30
    l2_hold_days: int = 10
    l2_offset: float = 0.40
    l2_event_days: int = 3
    l3_profit_multiple: float = 2.0
    l3_monetize_fraction: float = 0.5
    l3_exit_fraction: float = 0.8
    # docs/engine.md "When L3 helps": selling winners into the spike made the big spikes worse
    # in the backtest, so monetisation is off by default (L3's state is still reported).
    l3_monetize: bool = False
    # The listing: strikes up to this multiple of the previous VIX close (listing_strike_cap).
    strike_listing_multiple: float = 2.0
    hedge_budget_pct: float = 0.15

    def __post_init__(self) -> None:
        checks = {
            "l1_pct": 0.10 <= self.l1_pct <= 0.15,  # method §6.1: allowed 10–15 %
            "l1_armed_band": 0 <= self.l1_armed_band < 1,
            "l1_trim_band": self.l1_trim_band >= 0,
            "roll_days": 0 <= self.roll_days < 30,
            "min_days_new": self.roll_days < self.min_days_new <= 45,
            "target_delta": 0 < self.target_delta < 1,
            "l2_hold_days": self.l2_hold_days >= 1,
            "l2_offset": 0 <= self.l2_offset <= 2,
            "l2_event_days": self.l2_event_days >= 0,
            "l3_profit_multiple": self.l3_profit_multiple > 1,
            "l3_monetize_fraction": 0 < self.l3_monetize_fraction <= 1,
            "l3_exit_fraction": 0 < self.l3_exit_fraction < 1,
            "strike_listing_multiple": self.strike_listing_multiple > 1,
            "hedge_budget_pct": 0 < self.hedge_budget_pct <= 1,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise UsageError(f"layer settings out of range: {', '.join(bad)} ({self})")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> LayerConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise UsageError(f"unknown layer setting(s): {', '.join(unknown)}")
        return cls(**values)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


class HeldCall(NamedTuple):
    """A VIX call held at today's close, as the rules see it."""

    key: Hashable  # position id (engine) or lot number (backtest)
    layer: str
    quantity: float
    entry_price: float  # premium paid per unit
    mark: float  # mid per unit today
    days_to_expiry: int
    sensitivity: float  # dollars per +1 VIX point, whole position


class Offer(NamedTuple):
    """Today's call (one-month ~30-delta, §6.1): what any layer buys."""

    price: float  # buy fill per unit (cost model §3.4)
    forward: float  # its same-expiry VIX future
    sensitivity: float  # dollars per +1 VIX point per contract
    fee: float  # per contract

    @property
    def unit_cost(self) -> float:
        return self.price * MULTIPLIER + self.fee


@dataclass(frozen=True)
class DayBook:
    """The facts of one day that the rules read besides the calls."""

    l1_active: bool
    l2_active: bool
    l3_window: bool
    risk_capital: float
    condor_sensitivity: float  # dollars per +1 VIX point (negative: condors lose)
    spent_12m: float  # premium of the last 365 days (§6.4)
    pending: Mapping[str, float] = field(default_factory=dict)  # approved, unexecuted opens


@dataclass(frozen=True)
class Sizing:
    """How quantities are made: whole contracts (an account) or fractions (an index).

    `partial_sales`: a held call can be sold in part (an account's position); the backtest's
    lots close whole, so its trim sells only lots that fit inside the excess.
    Fractional sizing would trade every day for cents, so it tops up only when holdings fall
    short of a target by more than `tolerance` of it, skips a capped order cut below that share
    of what was wanted, and skips orders costing less than `min_cost` dollars. Whole contracts
    make the same dead band naturally.
    """

    whole: bool = True
    tolerance: float = 0.0
    min_cost: float = 0.0
    partial_sales: bool = True


ENGINE_SIZING = Sizing()


class Sale(NamedTuple):
    key: Hashable
    layer: str  # the layer that holds the call
    quantity: float
    action: str  # "roll_sell" | "monetise" | "trim"
    reason: str
    group: str | None = None
    rule: str = "L1"  # the layer whose rule sells: L1 (roll near expiry) or L3


class Purchase(NamedTuple):
    layer: str
    quantity: float
    reason: str
    group: str | None = None


class LayerTarget(NamedTuple):
    """A layer's target for the day: contracts (L1, L3) or VIX sensitivity (L2)."""

    layer: str
    acting: bool  # the layer's rule applies today (L3: a winner inside a spike window)
    target: float  # contracts (L1, L3) or dollars per VIX point (L2)
    held: float  # contracts of the layer held before the day's trades
    bought: float = 0.0
    sold: float = 0.0
    note: str = ""


@dataclass
class DayPlan:
    """The rulebook's answer: sales first, then purchases, with each layer's target."""

    sales: list[Sale]
    purchases: list[Purchase]
    targets: dict[str, LayerTarget]
    caps: dict[str, tuple[float, float, float]]  # layer → (wanted $, left $, allowed $)
    budget: float
    remaining: float
    winners: list[Hashable]
    risk_capital: float
    forward: float  # the offer's VIX future (NaN without an offer)

    def bought(self, layer: str) -> float:
        return sum(p.quantity for p in self.purchases if p.layer == layer)


def listing_strike_cap(previous_vix: np.ndarray | float, multiple: float) -> np.ndarray:
    """The highest VIX call strike a day can trade: the listing as of the previous close.

    Cboe adds VIX strikes as the futures move, a session behind; the model lists the grid
    (0.5 apart below 20, 1 apart from 20, method §1) up to `multiple` × the previous VIX close.
    """
    top = np.asarray(previous_vix, dtype=float) * multiple
    return np.where(top < 20.0, np.floor(top * 2.0) / 2.0, np.floor(top))


def _total(calls: Iterable[HeldCall]) -> float:
    total = 0.0
    for c in calls:
        total += c.quantity
    return total


def plan_day(
    day: DayBook,
    calls: Sequence[HeldCall],
    offer: Offer | None,
    config: LayerConfig,
    sizing: Sizing = ENGINE_SIZING,
    layers: Iterable[str] = ("L1", "L2", "L3"),
) -> DayPlan:
    """One day's sales, purchases and targets under method §6.1–§6.4 (see the module notes).

    `layers` names the layers a variant runs (the daily engine runs all three); `offer` is None
    when no call can be bought today (sales still happen).
    """
    enabled = set(layers)
    sales: list[Sale] = []
    purchases: list[Purchase] = []
    targets: dict[str, LayerTarget] = {}
    caps: dict[str, tuple[float, float, float]] = {}
    budget = config.hedge_budget_pct * day.risk_capital
    remaining = max(budget - day.spent_12m, 0.0)
    sold_qty: dict[Hashable, float] = {}  # contracts of each held call sold today

    def buy(layer: str, quantity: float, reason: str, group: str | None = None) -> float:
        """Queue a purchase within the §6.4 budget; returns the quantity bought."""
        nonlocal remaining
        if offer is None or quantity <= 0:
            return 0.0
        unit = offer.unit_cost
        if sizing.whole:
            quantity = float(int(quantity))
            affordable = float(int(remaining // unit))
        else:
            if quantity * unit < sizing.min_cost:
                return 0.0  # dust: an order of a few dollars on a million
            affordable = remaining / unit
        if affordable < quantity:
            allowed = max(affordable, 0.0)
            if not sizing.whole and allowed < sizing.tolerance * quantity:
                allowed = 0.0  # cut below the dead band: not worth its fees
            caps[layer] = (quantity * unit, remaining, allowed * unit)
            quantity = allowed
        if quantity <= 0:
            return 0.0
        remaining -= quantity * unit
        purchases.append(Purchase(layer, quantity, reason, group))
        return quantity

    def sell(call: HeldCall, quantity: float, action: str, reason: str, group=None, rule="L1"):
        sales.append(Sale(call.key, call.layer, quantity, action, reason, group, rule))
        sold_qty[call.key] = sold_qty.get(call.key, 0.0) + quantity

    # L1 base protection (§6.1): roll within roll_days of expiry, top up to l1_pct · R / (100 F).
    l1_calls = [c for c in calls if c.layer in L1_FAMILY]
    l1_held = _total(l1_calls)
    l1_target, l1_topped_up, l1_kept = 0.0, False, l1_held
    if "L1" in enabled and day.l1_active:
        rolling = [c for c in l1_calls if c.days_to_expiry <= config.roll_days]
        for c in rolling:
            sell(
                c,
                c.quantity,
                "roll_sell",
                f"L1 roll: within {config.roll_days} days of expiry",
                f"roll-{c.key}",
            )
        rolled = _total(rolling)
        l1_kept = l1_held - rolled + day.pending.get("L1", 0)
        if offer is not None and day.risk_capital > 0:
            l1_target = max(config.l1_pct * day.risk_capital / (MULTIPLIER * offer.forward), 0.0)
            if sizing.whole:
                shortfall = int(round(l1_target)) - l1_kept
            else:
                gap = l1_target - l1_kept
                shortfall = gap if gap > sizing.tolerance * l1_target else 0.0
            bought = buy("L1", shortfall, "L1 ACTIVE: top up to l1_pct of R")
            l1_topped_up = bought > rolled
            l1_kept += bought

    # L2's floor (§6.2): hedge VIX sensitivity = l2_offset × |condor sensitivity| (docs/engine.md:
    # the absolute value — a condor book near its maximum loss still needs its cover).
    l2_on = "L2" in enabled and day.l2_active and offer is not None and offer.sensitivity > 0
    l2_wanted = config.l2_offset * abs(day.condor_sensitivity) if l2_on else 0.0
    pending_total = sum(day.pending.values())

    def sensitivity_now() -> float:
        held = sum(c.sensitivity * (1 - sold_qty.get(c.key, 0.0) / c.quantity) for c in calls)
        queued = sum(p.quantity for p in purchases) + pending_total
        return held + (queued * offer.sensitivity if offer is not None else 0.0)

    # An over-hedged L1 (held above its band, e.g. a book loaded with more calls than its target,
    # or F risen since they were bought) sells down to the target, nearest expiry first — but
    # never inside a spike window (selling calls into a spike is L3's decision, docs/engine.md
    # "When L3 helps"), and while L2 is ACTIVE only as far as the hedge keeps L2's floor (or L2
    # would buy the sensitivity back the same day).
    l1_trimmed = 0.0
    target_held = int(round(l1_target)) if sizing.whole else l1_target
    if (
        "L1" in enabled
        and day.l1_active
        and l1_target > 0
        and not day.l3_window
        and l1_kept > (1 + config.l1_trim_band) * l1_target
    ):
        excess = l1_kept - target_held
        kept = [c for c in l1_calls if c.key not in sold_qty]
        for c in sorted(kept, key=lambda c: (c.days_to_expiry, str(c.key))):
            q = min(c.quantity, excess)
            if l2_on and c.sensitivity > 0:
                spare = sensitivity_now() - l2_wanted
                q = min(q, max(spare, 0.0) / (c.sensitivity / c.quantity))
            if not sizing.partial_sales and q < c.quantity:
                continue  # a lot closes whole: only lots inside the excess
            if sizing.whole:
                q = float(math.floor(q + 1e-9))
            if q <= 1e-9:
                continue
            sell(
                c,
                q,
                "trim",
                f"L1 trim: {l1_kept:.4g} held > (1 + {config.l1_trim_band:g}) × target "
                f"{target_held:.4g}",
            )
            excess -= q
            l1_trimmed += q
        l1_kept -= l1_trimmed

    # L3 convexity roll (§6.3): inside a spike window, a call worth ≥ l3_profit_multiple × its
    # cost sells l3_monetize_fraction and rolls the rest to today's call — down to the floors.
    # (A variant without L3 has no winners to look for.)
    multiple = config.l3_profit_multiple
    winners = (
        [
            c
            for c in calls
            if c.entry_price > 0 and c.mark >= multiple * c.entry_price and c.key not in sold_qty
        ]
        if "L3" in enabled
        else []
    )
    l3_acting = "L3" in enabled and day.l3_window and bool(winners) and offer is not None
    l3_sold, l3_note = 0.0, ""
    if l3_acting and not config.l3_monetize:
        l3_note = "monetisation off (l3_monetize = false): winners held"
    elif l3_acting and l1_topped_up:
        l3_note = "L1 tops up today: winners held (no same-day sale and purchase)"
    elif l3_acting:
        l1_spare = l1_kept - (int(round(l1_target)) if sizing.whole else l1_target)
        for c in winners:
            q = c.quantity
            if sizing.whole:
                sold = min(max(1.0, math.floor(q * config.l3_monetize_fraction)), q)
            else:
                sold = q * config.l3_monetize_fraction
            if "L1" in enabled and day.l1_active and c.layer in L1_FAMILY:
                sold = min(sold, max(l1_spare, 0.0))
            if l2_on:
                # After selling `sold` and rolling the rest into today's call the hedge must
                # keep l2_wanted: (q − sold) new calls replace this winner's sensitivity.
                without = sensitivity_now() - c.sensitivity
                need_rest = (l2_wanted - without) / offer.sensitivity
                sold = min(sold, q - max(need_rest, 0.0))
            if sizing.whole:
                sold = float(math.floor(sold + 1e-9))
            if sold <= 1e-9:
                l3_note = "winners held: L1 / L2 need their cover"
                continue
            rest = q - sold
            if c.layer in L1_FAMILY:
                l1_spare -= sold
            sell(
                c,
                sold,
                "monetise",
                f"L3 monetise {config.l3_monetize_fraction:.0%}: worth "
                f"{c.mark / c.entry_price:.1f}× cost in the spike",
                rule="L3",
            )
            l3_sold += sold
            if rest > 0:
                group = f"l3roll-{c.key}"
                sell(
                    c, rest, "roll_sell", "L3 roll the rest to ~30-delta at the new F", group, "L3"
                )
                buy("L3", rest, f"L3 roll of {c.key} to today's ~30-delta call", group)
    held_winners = _total(winners)

    # L2 acceleration (§6.2): buy what the hedge still lacks of its floor after L1 and L3.
    held_l2 = _total(c for c in calls if c.layer == "L2")
    l2_bought = 0.0
    if l2_on and l2_wanted > 0:
        shortfall = l2_wanted - sensitivity_now()
        if sizing.whole:
            extra = math.ceil(shortfall / offer.sensitivity) if shortfall > 0 else 0
        else:
            extra = shortfall / offer.sensitivity if shortfall > sizing.tolerance * l2_wanted else 0
        l2_bought = buy("L2", extra, "L2 ACTIVE: VIX sensitivity up to l2_offset of the condors'")
    targets["L2"] = LayerTarget("L2", l2_on, l2_wanted, held_l2, l2_bought)
    plan = DayPlan(
        sales,
        purchases,
        targets,
        caps,
        budget,
        remaining,
        [c.key for c in winners],
        day.risk_capital,
        offer.forward if offer is not None else float("nan"),
    )
    targets["L1"] = LayerTarget(
        "L1", "L1" in enabled and day.l1_active, l1_target, l1_held, plan.bought("L1"), l1_trimmed
    )
    targets["L3"] = LayerTarget(
        "L3", l3_acting, held_winners - l3_sold, held_winners, plan.bought("L3"), l3_sold, l3_note
    )
    plan.remaining = remaining
    return plan


def budget_summary(
    risk_capital: float, budget_pct: float, spent_12m: float, proposed: float
) -> dict[str, float]:
    """The §6.4 budget as the engine, `alvh layers --json` and the report state it: the
    12-month cap (a share of R), what was spent, what the day proposes, and what is left."""
    total = budget_pct * risk_capital
    return {
        "risk_capital": risk_capital,
        "budget_pct": budget_pct,
        "budget": total,
        "spent_12m": spent_12m,
        "proposed": proposed,
        "left_after": total - spent_12m - proposed,
    }
