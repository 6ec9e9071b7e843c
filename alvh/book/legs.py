"""Option legs and what a group of them is (issue 12): the kind, the expiry payoff, the max loss
and the break-evens of any SPX/SPXW or VIX structure, computed from its legs.

A position is a named group of legs of one root and one expiry, held `quantity` times; each leg
has signed `units` per position unit (+ long, − short). A structure whose loss grows without
bound as the underlying rises (more short calls than long ones) has undefined risk: its max loss
is None and `risk` says "undefined" rather than showing a number that is not one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

ROOTS = ("SPX", "SPXW", "VIX")
OPTION_TYPES = ("C", "P")
KINDS = (
    "iron_condor",
    "vertical",
    "butterfly",
    "single",
    "vix_call",
    "vix_call_spread",
    "custom",
)
MULTIPLIER = 100.0  # method §1: SPX and VIX options


@dataclass(frozen=True)
class Leg:
    """One option leg: root, type (C/P), strike, expiry, signed units per position unit."""

    root: str
    option_type: str
    strike: float
    expiry: date
    units: int
    name: str = ""
    entry_price: float | None = None  # per contract at the open, index points (legs CSV)

    @property
    def is_call(self) -> bool:
        return self.option_type == "C"

    @property
    def is_spx(self) -> bool:
        return self.root != "VIX"

    def label(self) -> str:
        """What a desk would call it: 'short put 7250' (the name unless one was given)."""
        if self.name:
            return self.name
        side = "long" if self.units > 0 else "short"
        kind = "call" if self.is_call else "put"
        return f"{side} {kind} {self.strike:g}"

    def payoff(self, underlying: float) -> float:
        """Expiry value per position unit, index points."""
        intrinsic = underlying - self.strike if self.is_call else self.strike - underlying
        return self.units * max(intrinsic, 0.0)


def recognise_kind(legs: tuple[Leg, ...]) -> str:
    """The structure's kind for reporting; 'custom' when it is none of the named ones."""
    if not legs:
        return "custom"
    ordered = sorted(legs, key=lambda leg: (leg.strike, leg.option_type))
    units = [leg.units for leg in ordered]
    types = {leg.option_type for leg in ordered}
    if not ordered[0].is_spx:
        if len(ordered) == 1 and types == {"C"} and units[0] > 0:
            return "vix_call"
        if len(ordered) == 2 and types == {"C"} and units[0] == -units[1] and units[0] > 0:
            return "vix_call_spread"
        return "custom"
    if len(ordered) == 1:
        return "single"
    if len(ordered) == 2 and len(types) == 1 and units[0] == -units[1]:
        return "vertical"
    if len(ordered) == 3 and len(types) == 1 and units[0] == units[2] == -units[1] / 2:
        return "butterfly"  # equal units; unequal wings make it a broken-wing butterfly
    if len(ordered) == 4:
        puts = [leg for leg in ordered if not leg.is_call]
        calls = [leg for leg in ordered if leg.is_call]
        if len(puts) == 2 and len(calls) == 2:
            q = puts[0].units
            sold = (
                q > 0
                and [p.units for p in puts] == [q, -q]
                and [c.units for c in calls]
                == [
                    -q,
                    q,
                ]
            )
            if sold and puts[1].strike < calls[0].strike:
                return "iron_condor"  # unequal wings: a broken-wing condor, same kind
            if sold and puts[1].strike == calls[0].strike:
                return "butterfly"  # an iron butterfly
    return "custom"


@dataclass(frozen=True)
class ExpiryProfile:
    """Expiry P&L per position unit (index points) of legs entered at a net debit."""

    max_loss_points: float | None  # None: undefined (unbounded as the underlying rises)
    breakevens: tuple[float, ...]


@lru_cache(maxsize=4096)  # a position's terms do not change: every day marks them again
def expiry_profile(legs: tuple[Leg, ...], net_debit: float) -> ExpiryProfile:
    """Max loss and break-evens at expiry of one unit entered at `net_debit` (credit < 0).

    The P&L is piecewise linear with kinks at the strikes: its minimum is at the underlying 0, a
    strike, or (when the slope beyond the highest strike is negative) unbounded.
    """
    strikes = sorted({leg.strike for leg in legs})
    points = [0.0, *strikes]
    values = [sum(leg.payoff(s) for leg in legs) - net_debit for s in points]
    slope = float(sum(leg.units for leg in legs if leg.is_call))
    lowest = min(values)
    max_loss = None if slope < 0 else max(0.0, -lowest)
    roots: list[float] = []
    for (x0, y0), (x1, y1) in zip(
        zip(points, values, strict=True), zip(points[1:], values[1:], strict=True), strict=False
    ):
        if y0 == 0.0:
            roots.append(x0)
        if y0 * y1 < 0:
            roots.append(x0 + (x1 - x0) * (-y0) / (y1 - y0))
    if values[-1] == 0.0:
        roots.append(points[-1])
    elif slope != 0.0 and values[-1] * slope < 0:
        roots.append(points[-1] - values[-1] / slope)
    unique = sorted({round(r, 10) for r in roots if r > 0.0})
    return ExpiryProfile(max_loss, tuple(unique))


def leg_contracts_count(legs: tuple[Leg, ...]) -> int:
    """Option contracts in one unit of the structure (for per-contract fees, method §3.4)."""
    return sum(abs(leg.units) for leg in legs)


_SPEC = re.compile(
    r"^\s*(?P<qty>[+-]?\d+)\s+(?P<root>[A-Za-z]+)\s+(?P<expiry>\d{4}-\d{2}-\d{2})\s+"
    r"(?P<strike>\d+(?:\.\d+)?)\s*(?P<type>[CPcp])\s*$"
)


def parse_leg_spec(text: str) -> list[tuple[str, str, float, date, int]]:
    """Legs from the command line, comma-separated `QTY ROOT EXPIRY STRIKE TYPE` items.

    Example: "+10 SPX 2026-10-16 7100 P, -10 SPX 2026-10-16 7150 P". Returns (root, type,
    strike, expiry, signed contracts) per leg; raises ValueError naming the item it cannot read.
    """
    legs = []
    for number, item in enumerate(text.split(","), start=1):
        match = _SPEC.match(item)
        if not match:
            raise ValueError(
                f"leg {number} {item.strip()!r} is not 'QTY ROOT EXPIRY STRIKE TYPE' "
                "(e.g. '-10 SPX 2026-10-16 7150 P')"
            )
        root = match["root"].upper()
        if root not in ROOTS:
            raise ValueError(f"leg {number}: unknown root {root!r}; one of {', '.join(ROOTS)}")
        try:
            expiry = date.fromisoformat(match["expiry"])
        except ValueError as exc:
            raise ValueError(f"leg {number}: {match['expiry']!r} is not a date") from exc
        quantity = int(match["qty"])
        if quantity == 0:
            raise ValueError(f"leg {number}: a quantity of zero is no leg")
        legs.append((root, match["type"].upper(), float(match["strike"]), expiry, quantity))
    return legs


def units_and_quantity(contracts: list[int]) -> tuple[list[int], int]:
    """Signed contracts per leg as (units per position unit, position quantity): the greatest
    common divisor is the quantity, so 10 condors are units ±1 × 10 and a 5-lot butterfly
    +1/−2/+1 × 5."""
    quantity = 0
    for c in contracts:
        quantity = math.gcd(quantity, abs(c))
    quantity = max(quantity, 1)
    return [c // quantity for c in contracts], quantity


# the legs of the two kinds the original book file describes (interface.md), named as before
_CONDOR_LEGS = (
    ("long put", "P", "put_long", 1),
    ("short put", "P", "put_short", -1),
    ("short call", "C", "call_short", -1),
    ("long call", "C", "call_long", 1),
)


@dataclass(frozen=True)
class Position:
    """A named group of legs held `quantity` times (prices per unit, in index points).

    `entry_price` is the size of the entry premium per unit and `entry_side` its direction: a
    condor is opened for a credit, a call for a debit. The four wing strikes and `strike` are the
    original book file's columns (interface.md); a position given by them gets its legs from
    them, and a position given by legs fills them when it is an iron condor or a VIX call.
    """

    position_id: str
    kind: str
    expiry: date
    quantity: int
    entry_date: date
    entry_price: float
    put_long: float | None = None
    put_short: float | None = None
    call_short: float | None = None
    call_long: float | None = None
    strike: float | None = None
    legs: tuple[Leg, ...] = ()
    entry_side: str = ""

    def __post_init__(self) -> None:
        if not self.legs:
            object.__setattr__(self, "legs", self._legs_from_columns())
        if not self.entry_side:
            side = "credit" if self.kind == "iron_condor" else "debit"
            object.__setattr__(self, "entry_side", side)

    def _legs_from_columns(self) -> tuple[Leg, ...]:
        if self.kind == "iron_condor":
            return tuple(
                Leg("SPX", option_type, getattr(self, column), self.expiry, units, name)
                for name, option_type, column, units in _CONDOR_LEGS
            )
        if self.kind == "vix_call":
            return (Leg("VIX", "C", self.strike, self.expiry, 1, "VIX call"),)
        raise ValueError(f"position {self.position_id!r} of kind {self.kind!r} needs its legs")

    @property
    def is_condor(self) -> bool:
        return self.kind == "iron_condor"

    @property
    def sleeve(self) -> str:
        """'condor' for SPX structures (the premium book), 'hedge' for VIX ones."""
        return "condor" if self.legs[0].is_spx else "hedge"

    @property
    def root(self) -> str:
        return self.legs[0].root

    @property
    def net_debit(self) -> float:
        """Entry premium per unit with its sign: paid (+) or received (−), index points."""
        return self.entry_price if self.entry_side == "debit" else -self.entry_price

    def profile(self) -> ExpiryProfile:
        return expiry_profile(self.legs, self.net_debit)

    @property
    def risk(self) -> str:
        """'defined', or 'undefined' when the loss is unbounded as the underlying rises."""
        return "undefined" if self.profile().max_loss_points is None else "defined"

    def max_loss(self) -> float | None:
        """Worst expiry loss from the legs, dollars for the whole position (method §3.1 for a
        condor: (widest wing − credit) · 100 · q); None when undefined."""
        points = self.profile().max_loss_points
        return None if points is None else points * MULTIPLIER * self.quantity

    def breakevens(self) -> tuple[float, ...] | None:
        """Underlying levels where the expiry P&L is zero (a condor: K_sp − credit, K_sc +
        credit, method §3.1); None when there is none."""
        found = self.profile().breakevens
        return found or None


def legacy_columns(kind: str, legs: tuple[Leg, ...]) -> dict[str, float | None]:
    """The original book file's strike columns of a condor or a VIX call given by its legs."""
    columns: dict[str, float | None] = dict.fromkeys(
        ("put_long", "put_short", "call_short", "call_long", "strike")
    )
    if kind == "iron_condor":
        ordered = sorted(legs, key=lambda leg: (leg.option_type != "P", leg.strike))
        for (_, _, column, _), leg in zip(_CONDOR_LEGS, ordered, strict=True):
            columns[column] = leg.strike
    elif kind == "vix_call":
        columns["strike"] = legs[0].strike
    return columns
