"""Scenarios for today's book (method §4.4, §4.5): a full-revaluation grid, the break-even SPX
levels of the hedged structure, and a replay of historical stress events.

Every number here reprices every leg (`alvh.book.valuation.price_legs`); none comes from greeks.
P&L is against today's marks, in dollars, split into the condor sleeve and the hedge sleeve.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from alvh.book.positions import Position
from alvh.book.valuation import Legs, ModelParams, VixForwards, price_legs, vix_forwards
from alvh.core import calendar
from alvh.core.resources import bundled_dir
from alvh.data.market_day import MarketSnapshot
from alvh.model.market import (
    VixResponse,
    apply_vix_response,
    fit_vix_response,
    front_contracts,
)

SPX_SHOCKS = (-0.25, -0.20, -0.15, -0.10, -0.07, -0.05, -0.03, 0.0, 0.03, 0.05, 0.10)
EXPLICIT_VIX_SHIFTS = (0.0, 5.0, 10.0, 20.0, 40.0)
FIT = "fit"  # the §2.4 regression as the VIX response
BREAKEVEN_GRID = np.round(np.arange(-0.40, 0.2501, 0.0025), 6)
MULTIPLIER = 100.0


@dataclass(frozen=True)
class Horizon:
    label: str
    days: int  # calendar days from as_of


def horizons(as_of: date, positions: list[Position]) -> list[Horizon]:
    """1 trading day, 5 trading days and the next expiry of the book (method §4.4).

    The next expiry is the condor sleeve's (SPX: condors, verticals, any SPX structure): the
    hedges' VIX expiry falls two days earlier in a month and would end the horizon before the
    condors settle. A book of VIX positions alone uses theirs.
    """
    out = [
        Horizon("1 day", (calendar.add_trading_days(as_of, 1) - as_of).days),
        Horizon("5 days", (calendar.add_trading_days(as_of, 5) - as_of).days),
    ]
    condors = [p for p in positions if p.sleeve == "condor"] or positions
    expiries = sorted({p.expiry for p in condors if p.expiry > as_of})
    if expiries:
        out.append(Horizon(f"expiry {expiries[0]}", (expiries[0] - as_of).days))
    return out


def fitted_vix_shift(vix: float, spx_return: np.ndarray, fit: VixResponse) -> np.ndarray:
    """VIX points added by the §2.4 regression for each SPX return (intercepts left out, capped
    at `alvh.model.market.VIX_RESPONSE_CAP`)."""
    return apply_vix_response(vix, spx_return, fit) - vix


# SPX move (each side) of the central difference behind the model delta: small enough that the
# second-order term is negligible (gamma·(bump·SPX)² ≪ delta·bump·SPX), large enough that the
# price differences stay far above float rounding.
MODEL_DELTA_BUMP = 0.0005


def model_leg_deltas(
    legs: Legs,
    snapshot: MarketSnapshot,
    params: ModelParams,
    fit: VixResponse,
    forwards: VixForwards | None = None,
    bump: float = MODEL_DELTA_BUMP,
) -> np.ndarray:
    """Per-unit model delta of every leg: ∂(full revaluation)/∂SPX under the §4.4 dynamics.

    Unlike the sticky-strike Black–Scholes delta, the smile moves with moneyness and VIX follows
    SPX by the §2.4 fit (through the whole VIX family and the VX futures), so a VIX call has an
    SPX delta too. A central difference over ±`bump`: as the fit's slope differs between down
    and up days, this is the mean of the two one-sided deltas. Per SPX point, per unit.
    """
    moves = np.array([bump, -bump])
    shift = fitted_vix_shift(snapshot.vix, moves, fit)
    up, down = price_legs(legs, snapshot, params, moves, shift, 0.0, forwards)
    return (up - down) / (2.0 * bump * snapshot.spx)


def _sleeve_pnl(legs: Legs, prices: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, ...]:
    """Condor and hedge P&L per scenario (rows of `prices`) against `base` prices."""
    per_leg = (prices - base[None, :]) * legs.units * legs.quantity * MULTIPLIER
    condor = per_leg[:, legs.is_spx].sum(axis=1)
    hedge = per_leg[:, ~legs.is_spx].sum(axis=1)
    return condor, hedge


def scenario_grid(
    legs: Legs,
    positions: list[Position],
    snapshot: MarketSnapshot,
    params: ModelParams,
    fit: VixResponse,
) -> pd.DataFrame:
    """Method §4.4: P&L for every SPX shock × VIX response × horizon, by sleeve."""
    forwards = vix_forwards(legs, snapshot, params)
    base = price_legs(legs, snapshot, params, forwards=forwards)[0]
    shocks = np.asarray(SPX_SHOCKS)
    responses: list[tuple[str, np.ndarray]] = [(FIT, fitted_vix_shift(snapshot.vix, shocks, fit))]
    responses += [(f"+{shift:g}", np.full(len(shocks), shift)) for shift in EXPLICIT_VIX_SHIFTS]
    frames = []
    for horizon in horizons(snapshot.as_of, positions):
        ret = np.concatenate([shocks for _ in responses])
        shift = np.concatenate([s for _, s in responses])
        labels = np.repeat([name for name, _ in responses], len(shocks))
        prices = price_legs(legs, snapshot, params, ret, shift, horizon.days, forwards)
        condor, hedge = _sleeve_pnl(legs, prices, base)
        frames.append(
            pd.DataFrame(
                {
                    "horizon": horizon.label,
                    "horizon_days": horizon.days,
                    "spx_shock": ret,
                    "spx": snapshot.spx * (1 + ret),
                    "vix_response": labels,
                    "vix_shift": shift,
                    "vix": snapshot.vix + shift,
                    "condor_pnl": condor,
                    "hedge_pnl": hedge,
                    "net_pnl": condor + hedge,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def hedged_breakevens(
    legs: Legs,
    positions: list[Position],
    snapshot: MarketSnapshot,
    params: ModelParams,
    fit: VixResponse,
    forwards: VixForwards | None = None,
) -> pd.DataFrame:
    """SPX levels where the hedged book's P&L crosses zero, per horizon (method §4.4).

    VIX follows SPX by the §2.4 fit. Sign changes are found on a 0.25 % grid of SPX moves from
    −40 % to +25 % and each is refined by bisection; `side` says whether P&L is negative below
    (`lower`) or above (`upper`) the level.
    """
    forwards = forwards or vix_forwards(legs, snapshot, params)
    base = price_legs(legs, snapshot, params, forwards=forwards)[0]

    def net_pnl(ret: np.ndarray, days: int) -> np.ndarray:
        prices = price_legs(
            legs, snapshot, params, ret, fitted_vix_shift(snapshot.vix, ret, fit), days, forwards
        )
        condor, hedge = _sleeve_pnl(legs, prices, base)
        return condor + hedge

    rows = []
    for horizon in horizons(snapshot.as_of, positions):
        net = net_pnl(BREAKEVEN_GRID, horizon.days)
        brackets = np.flatnonzero(np.sign(net[:-1]) * np.sign(net[1:]) < 0)
        if not len(brackets):
            continue
        low, high = BREAKEVEN_GRID[brackets], BREAKEVEN_GRID[brackets + 1]
        low_sign = np.sign(net[brackets])
        for _ in range(30):  # bisection on all brackets at once: 0.25 % / 2^30 ≈ 2e-12
            mid = 0.5 * (low + high)
            same = np.sign(net_pnl(mid, horizon.days)) == low_sign
            low, high = np.where(same, mid, low), np.where(same, high, mid)
        for move, sign in zip(0.5 * (low + high), low_sign, strict=True):
            rows.append(
                {
                    "horizon": horizon.label,
                    "horizon_days": horizon.days,
                    "spx": snapshot.spx * (1 + move),
                    "move": move,
                    "side": "lower" if sign < 0 else "upper",
                }
            )
    return pd.DataFrame(rows, columns=["horizon", "horizon_days", "spx", "move", "side"])


def event_catalogue(path: Path | None = None) -> pd.DataFrame:
    """The catalogue of named stress events shipped with the package (method §7)."""
    path = path or bundled_dir() / "events.csv"
    frame = pd.read_csv(path, parse_dates=["start", "end"])
    return frame


def event_moves(
    spx: pd.Series, vix: pd.Series, vx1: pd.Series, events: pd.DataFrame
) -> pd.DataFrame:
    """Each event's move from the close before its window to its worst SPX close (§4.5).

    `spx`, `vix` and `vx1` are close series indexed by date; VX1 may be empty before 2007.
    """
    rows = []
    for event in events.itertuples():
        before = spx[spx.index < event.start]
        window = spx[(spx.index >= event.start) & (spx.index <= event.end)]
        if before.empty or window.empty:
            continue
        start_day, worst_day = before.index[-1], window.idxmin()
        move = {
            "event": event.event,
            "description": event.description,
            "start": start_day,
            "worst_day": worst_day,
            "spx_return": window.min() / before.iloc[-1] - 1,
        }
        move["vix_change"] = _change(vix, start_day, worst_day)
        move["vx1_change"] = _change(vx1, start_day, worst_day)
        rows.append(move)
    return pd.DataFrame(rows)


def _change(series: pd.Series, start, end) -> float:
    a, b = series.get(start), series.get(end)
    if a is None or b is None or not (np.isfinite(a) and np.isfinite(b)):
        return float("nan")
    return float(b - a)


def stress_replay(
    legs: Legs, snapshot: MarketSnapshot, params: ModelParams, moves: pd.DataFrame
) -> pd.DataFrame:
    """Today's book through each event's move, instantly: loss unhedged vs hedged (§4.5).

    The VIX moves by the event's change in points (floored at one point); futures follow by
    the model's sensitivity, and the event's own VX1 change is shown beside it.
    """
    if moves.empty:
        return moves.assign(condor_pnl=[], hedge_pnl=[], net_pnl=[])
    forwards = vix_forwards(legs, snapshot, params)
    base = price_legs(legs, snapshot, params, forwards=forwards)[0]
    shift = moves["vix_change"].fillna(0.0).to_numpy()
    prices = price_legs(
        legs, snapshot, params, moves["spx_return"].to_numpy(), shift, 0.0, forwards
    )
    condor, hedge = _sleeve_pnl(legs, prices, base)
    out = moves.copy()
    out["condor_pnl"], out["hedge_pnl"], out["net_pnl"] = condor, hedge, condor + hedge
    with np.errstate(divide="ignore", invalid="ignore"):
        out["loss_reduction"] = np.where(
            condor < 0, 1 - np.minimum(condor + hedge, 0) / condor, np.nan
        )
    return out


def _spx_vix_history(con, as_of: date) -> pd.DataFrame:
    from alvh.data import known as history

    return history.daily_panel(con, ["SPX", "VIX"], as_of, start=date(1990, 1, 2)).values


def vix_response_fit(con, as_of: date) -> VixResponse:
    """The §2.4 fit on the SPX and VIX closes known by `as_of` (no look-ahead)."""
    panel = _spx_vix_history(con, as_of)
    return fit_vix_response(panel["SPX"].dropna(), panel["VIX"].dropna())


class VixResponseHistory:
    """The SPX and VIX history read once (a backfill): `fit(day)` is `vix_response_fit(con,
    day)`, each day's rows of the panel being those known at its close."""

    def __init__(self, con, end: date) -> None:
        self._panel = _spx_vix_history(con, end)

    def fit(self, day: date) -> VixResponse:
        """The §2.4 fit on the closes known by `day`."""
        known = self._panel.loc[: pd.Timestamp(day)]
        return fit_vix_response(known["SPX"].dropna(), known["VIX"].dropna())


def history_inputs(con, as_of: date) -> tuple[VixResponse, pd.DataFrame]:
    """The §2.4 fit on history known by `as_of`, and the catalogue events' moves (§4.5)."""
    from alvh.data import known as history

    panel = _spx_vix_history(con, as_of)
    fit = fit_vix_response(panel["SPX"].dropna(), panel["VIX"].dropna())
    futures = history.vix_futures(con, as_of, date(2007, 1, 1))
    front = front_contracts(futures.rename(columns={"trade_date": "date"}), n=1)
    vx1 = front.set_index("date")["settle"]
    events = event_catalogue()
    events = events[events["end"] <= pd.Timestamp(as_of)]
    moves = event_moves(panel["SPX"].dropna(), panel["VIX"].dropna(), vx1, events)
    return fit, moves
