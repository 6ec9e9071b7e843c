"""The book's P&L against SPX (issue 12): the risk graph a desk draws, by full revaluation.

One curve per horizon — today, +5 trading days, and each expiry of the book's SPX positions —
of the whole book's P&L against today's marks over a range of SPX levels, VIX following SPX
along the §2.4 fit (method §4.4). At an expiry's horizon the legs expiring then are at their
intrinsic value; the others are still priced by the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from alvh.book.legs import Position
from alvh.book.scenarios import fitted_vix_shift
from alvh.book.valuation import Legs, ModelParams, price_legs, vix_forwards
from alvh.core import calendar
from alvh.data.market_day import MarketSnapshot
from alvh.model.market import VixResponse

MULTIPLIER = 100.0
MOVES = np.linspace(-0.25, 0.15, 81)  # SPX from −25 % to +15 %, half a percent apart


@dataclass(frozen=True)
class RiskCurve:
    label: str
    days: int  # calendar days from as_of
    spx: np.ndarray
    pnl: np.ndarray  # dollars, whole book, against today's marks


def risk_horizons(as_of: date, positions: list[Position]) -> list[tuple[str, int]]:
    """(label, calendar days): today, +5 trading days, each SPX expiry of the book."""
    out = [("today", 0), ("+5 days", (calendar.add_trading_days(as_of, 5) - as_of).days)]
    expiries = sorted({p.expiry for p in positions if p.sleeve == "condor" and p.expiry > as_of})
    out += [(f"expiry {e}", (e - as_of).days) for e in expiries]
    return out


def risk_curves(
    legs: Legs,
    positions: list[Position],
    snapshot: MarketSnapshot,
    params: ModelParams,
    fit: VixResponse,
    moves: np.ndarray = MOVES,
) -> list[RiskCurve]:
    """The book's P&L against SPX at each of `risk_horizons` (full revaluation)."""
    if not len(legs):
        return []
    forwards = vix_forwards(legs, snapshot, params)
    base = price_legs(legs, snapshot, params, forwards=forwards)[0]
    scale = legs.units * legs.quantity * MULTIPLIER
    shift = fitted_vix_shift(snapshot.vix, moves, fit)
    curves = []
    for label, days in risk_horizons(snapshot.as_of, positions):
        prices = price_legs(legs, snapshot, params, moves, shift, days, forwards=forwards)
        pnl = ((prices - base[None, :]) * scale[None, :]).sum(axis=1)
        curves.append(RiskCurve(label, days, snapshot.spx * (1.0 + moves), pnl))
    return curves
