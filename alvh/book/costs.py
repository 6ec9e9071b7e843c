"""Trading costs (method §3.4): fees, a bid–ask spread model, and slippage to a fill price.

The same model prices proposed hedge orders and every backtest trade, so a backtest's cost is
the cost the daily engine would have proposed.

Slippage follows the convention of the method's defaults (0.66 of the spread for orders of up
to two legs, 0.56 for four-leg orders): a buyer pays `bid + f · spread`, a seller receives
`ask − f · spread`, so against the mid each side gives up `(f − ½) · spread`. A package's spread
is the sum of its legs' spreads. Spreads are modelled, since no free quote history exists:
`max(tick, base + slope · price)` per product, both coefficients in configuration and printed in
every report that uses them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

Product = Literal["spx", "vix"]
Side = Literal["buy", "sell"]


@dataclass(frozen=True)
class CostModel:
    """Method §3.4 defaults; every field can be set in configuration."""

    fee_per_contract: float = 1.00
    slippage_up_to_two_legs: float = 0.66
    slippage_four_legs: float = 0.56
    tick: float = 0.05
    spx_spread_base: float = 0.10
    spx_spread_slope: float = 0.015
    vix_spread_base: float = 0.05
    vix_spread_slope: float = 0.04

    def __post_init__(self) -> None:
        for name in ("slippage_up_to_two_legs", "slippage_four_legs"):
            value = getattr(self, name)
            if not 0.5 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0.5, 1] (0.5 = mid, 1 = the far side)")
        if self.fee_per_contract < 0 or self.tick <= 0:
            raise ValueError("fees must be non-negative and the tick positive")

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def spread(self, product: Product, price: np.ndarray | float) -> np.ndarray:
        """Modelled bid–ask spread of one option leg, in index points."""
        base, slope = (
            (self.spx_spread_base, self.spx_spread_slope)
            if product == "spx"
            else (self.vix_spread_base, self.vix_spread_slope)
        )
        return np.maximum(self.tick, base + slope * np.abs(np.asarray(price, dtype=float)))

    def slippage_fraction(self, legs: int) -> float:
        return self.slippage_up_to_two_legs if legs <= 2 else self.slippage_four_legs

    def fill(
        self, mid: np.ndarray | float, spread: np.ndarray | float, side: Side, legs: int
    ) -> np.ndarray:
        """Fill price of a package whose mid and total spread are given (per unit)."""
        give_up = (self.slippage_fraction(legs) - 0.5) * np.asarray(spread, dtype=float)
        mid = np.asarray(mid, dtype=float)
        return mid + give_up if side == "buy" else mid - give_up

    def fees(self, legs: int, quantity: np.ndarray | int) -> np.ndarray:
        """Dollar fees for `quantity` packages of `legs` option contracts each."""
        return self.fee_per_contract * legs * np.asarray(quantity, dtype=float)

    def _condor_mid_spread(self, leg_mids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mid of the short-minus-long package and its spread (the sum of the legs')."""
        leg_mids = np.asarray(leg_mids, dtype=float)
        mid = leg_mids[..., 1] + leg_mids[..., 2] - leg_mids[..., 0] - leg_mids[..., 3]
        return mid, self.spread("spx", leg_mids).sum(axis=-1)

    def condor_entry_credit(self, leg_mids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Credit received per condor (index points) and its package spread, selling 4 legs.

        `leg_mids` has shape (..., 4) in the order long put, short put, short call, long call.
        """
        mid_credit, spread = self._condor_mid_spread(leg_mids)
        return self.fill(mid_credit, spread, "sell", legs=4), spread

    def condor_exit_debit(self, leg_mids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Debit paid per condor to close it (buying back the package) and its spread."""
        mid_debit, spread = self._condor_mid_spread(leg_mids)
        return self.fill(mid_debit, spread, "buy", legs=4), spread

    def vix_call_fill(self, mid: np.ndarray | float, side: Side) -> tuple[np.ndarray, np.ndarray]:
        """Price per VIX call bought or sold (one leg) and its spread."""
        spread = self.spread("vix", mid)
        return self.fill(mid, spread, side, legs=1), spread
