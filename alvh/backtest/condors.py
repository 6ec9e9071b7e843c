"""The condor book of a backtest (method §3.1, §7): strikes, daily marks, exits, sizing, cash.

The trades are computed once per run, per unit, and shared by every variant, so all variants
trade the same condors at the same prices on the same price path. Options are priced with the
§2.1 surface (`alvh.model.market`) and BSM (`alvh.model.pricing`), in one vectorised call for every
leg of
every trade on every day it may be open. Only the quantities differ: each variant sizes each
condor on its own equity at entry (`alvh.backtest.hedges`), and `CondorTrades.sized` turns
quantities into the sleeve's daily arrays.

Conventions (docs/backtest.md):
* entries and early exits trade at the close, at the §3.4 fill of the four-leg package, plus
  fees; a buy-back never pays more than the condor's width (it could be left to expire for at
  most that);
* a condor held to expiry settles at the expiry day's SPX open (AM settlement proxy), the close
  where no open exists, without fees;
* quantities are fractional, as in an index: size = risk fraction × equity / max loss, the
  max loss per condor being its width less the credit received (method §3.1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alvh.backtest.inputs import DAYS_PER_YEAR, MarketPath, ragged
from alvh.backtest.presets import CondorPreset, CondorSchedule, condor_schedule
from alvh.book.costs import CostModel
from alvh.book.valuation import VIX_FLOOR, ModelParams
from alvh.model import market as mm
from alvh.model.pricing import bsm_greeks

__all__ = ["STRIKE_GRID", "CondorSleeve", "CondorTrades", "condor_trades", "select_strikes"]

STRIKE_GRID = 5.0  # method §1: SPX strikes on a 5-point grid
MULTIPLIER = 100.0
_LEG_UNITS = np.array([1.0, -1.0, -1.0, 1.0])  # long put, short put, short call, long call
_LEG_IS_CALL = np.array([False, False, True, True])
# ln(K/F) is bracketed in [−3, 2]; 24 halvings leave 3e-7 of it, a few hundredths of an index
# point at today's levels, before the answer is snapped to the 5-point grid anyway.
_BISECTIONS = 24


@dataclass(frozen=True)
class CondorSleeve:
    """The condor sleeve of one variant, per session, in dollars.

    `value` is the open condors' mark (negative: a short premium position), `flows` the condor
    cash flows (credits, buy-backs, settlements, fees), `pnl` the sleeve's daily P&L (change in
    value plus flows), `spread_cost` fill versus mid plus fees on the day paid, `risk_capital`
    Σ max loss of open condors (method §3.3) and `vix_sensitivity` their P&L per +1 VIX point
    (method §4.2, repriced at VIX ± 1 point as the daily engine's marks do) on the sessions it
    was asked for (those on which L2 is ACTIVE), 0 elsewhere.
    """

    quantity: np.ndarray  # per trade
    value: np.ndarray
    flows: np.ndarray
    pnl: np.ndarray
    spread_cost: np.ndarray
    risk_capital: np.ndarray
    vix_sensitivity: np.ndarray


@dataclass(frozen=True)
class CondorTrades:
    """The preset's condor trades per unit (one condor), priced once for every variant.

    Per trade: entry and exit session (`exit_day` = len(days) while still open at the end),
    strikes, fills and the maximum loss per unit. Per (trade, session) row while it may be open:
    the mid debit to close and the VIX sensitivity per unit. Only the quantities differ between
    variants (`sized`).
    """

    preset: CondorPreset
    n_days: int
    entry: np.ndarray
    expiry: np.ndarray
    exit_day: np.ndarray
    exit_reason: np.ndarray
    settles: np.ndarray
    traded_exit: np.ndarray
    strikes: np.ndarray
    credit_mid: np.ndarray
    credit_fill: np.ndarray
    exit_debit: np.ndarray  # fill (early exit) or settlement value per unit
    exit_mid: np.ndarray
    width: np.ndarray
    max_loss_unit: np.ndarray
    fee_unit: float  # dollars per condor traded (four legs)
    # per row
    row_trade: np.ndarray
    row_day: np.ndarray
    row_open: np.ndarray  # held at this session's close
    debit_mid: np.ndarray
    sens_unit: np.ndarray
    # per session: the trade held at the close (−1: none) and its row
    day_trade: np.ndarray
    day_row: np.ndarray

    def __len__(self) -> int:
        return len(self.entry)

    def sized(self, quantity: np.ndarray) -> CondorSleeve:
        """The sleeve's daily arrays for the given number of condors per trade."""
        n = self.n_days
        q = np.asarray(quantity, dtype=float)
        open_ = self.row_open
        q_row = q[self.row_trade[open_]]
        day = self.row_day[open_]
        value = np.zeros(n)
        np.add.at(value, day, -MULTIPLIER * q_row * self.debit_mid[open_])
        risk = np.zeros(n)
        np.add.at(risk, day, MULTIPLIER * q_row * self.max_loss_unit[self.row_trade[open_]])
        sens = np.zeros(n)
        np.add.at(sens, day, q_row * self.sens_unit[open_])
        flows = np.zeros(n)
        spread = np.zeros(n)
        entry_fee = self.fee_unit * q
        np.add.at(flows, self.entry, MULTIPLIER * q * self.credit_fill - entry_fee)
        np.add.at(
            spread, self.entry, MULTIPLIER * q * (self.credit_mid - self.credit_fill) + entry_fee
        )
        done = self.exit_day < n
        exit_fee = np.where(self.traded_exit, self.fee_unit * q, 0.0)
        np.add.at(
            flows,
            self.exit_day[done],
            -MULTIPLIER * q[done] * self.exit_debit[done] - exit_fee[done],
        )
        te = self.traded_exit
        np.add.at(
            spread,
            self.exit_day[te],
            MULTIPLIER * q[te] * (self.exit_debit - self.exit_mid)[te] + exit_fee[te],
        )
        pnl = np.diff(value, prepend=0.0) + flows
        return CondorSleeve(q, value, flows, pnl, spread, risk, sens)

    def frame(self, quantity: np.ndarray, days: pd.DatetimeIndex) -> pd.DataFrame:
        """One row per trade with its strikes, fills, size, max loss and P&L (dollars)."""
        q = np.asarray(quantity, dtype=float)
        fees = self.fee_unit * q * np.where(self.traded_exit, 2.0, 1.0)
        closed = self.exit_day < self.n_days
        pnl = np.where(
            closed, MULTIPLIER * q * (self.credit_fill - np.nan_to_num(self.exit_debit)), np.nan
        )
        return pd.DataFrame(
            {
                "entry_date": days[self.entry],
                "expiry": pd.to_datetime(self.expiry),
                "exit_date": pd.DatetimeIndex(
                    [days[b] if b < self.n_days else pd.NaT for b in self.exit_day]
                ),
                "exit_reason": self.exit_reason.astype(str),
                "put_long": self.strikes[:, 0],
                "put_short": self.strikes[:, 1],
                "call_short": self.strikes[:, 2],
                "call_long": self.strikes[:, 3],
                "credit_mid": self.credit_mid,
                "credit": self.credit_fill,
                "width": self.width,
                "max_loss_unit": self.max_loss_unit,
                "quantity": q,
                "max_loss": MULTIPLIER * q * self.max_loss_unit,
                "exit_debit": self.exit_debit,
                "pnl": pnl - fees,
                "fees": fees,
            }
        )


def _surface_greeks(path: MarketPath, t, strike, tau, is_call, params: ModelParams, shift=0.0):
    """BSM greeks per option on the §2.1 surface at session index `t` (arrays broadcast).

    `shift` moves the VIX family by that many points the way `alvh.book.valuation.price_legs` does
    for a §4.4 VIX shock: VIX and VIX9D in full, VIX3M and VIX6M by e^{−κ_shock·(T − 30 d)}.
    """
    vix = np.maximum(path.vix[t] + shift, VIX_FLOOR)
    term = []
    for level, days in ((path.vix9d[t], 9.0), (path.vix3m[t], 93.0), (path.vix6m[t], 183.0)):
        weight = 1.0 if days <= 30.0 else np.exp(-params.vx.shock_kappa * (days - 30.0) / 365.0)
        term.append(np.maximum(level + shift * weight, VIX_FLOOR))
    s = path.spx[t]
    r, q = path.rate[t], path.div_yield[t]
    atm = params.atm_vol(tau, vix, *term)
    fwd = s * np.exp((r - q) * tau)
    vol = mm.spx_implied_vol(strike, fwd, tau, atm, vix, params.skew)
    return bsm_greeks(s, strike, tau, r, q, vol, is_call)


def select_strikes(
    path: MarketPath,
    t: np.ndarray,
    tau: np.ndarray,
    target: np.ndarray,
    is_call: np.ndarray,
    params: ModelParams,
) -> np.ndarray:
    """The 5-point-grid strike whose model delta is nearest `target` (absolute), per option.

    Bisection on ln(K/F) finds the continuous strike (|delta| falls with the distance from the
    money on this arbitrage-free surface), then the nearest of the four surrounding grid strikes
    by |delta − target| wins (method §7: strikes chosen by model delta on the §2 surface).
    """
    t, tau, target, is_call = np.broadcast_arrays(t, tau, target, is_call)
    fwd = path.spx[t] * np.exp((path.rate[t] - path.div_yield[t]) * tau)
    lo, hi = np.full(t.shape, -3.0), np.full(t.shape, 2.0)
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        delta = np.abs(_surface_greeks(path, t, fwd * np.exp(mid), tau, is_call, params).delta)
        # Calls lose delta as the strike rises, puts gain it: move towards the target.
        right = np.where(is_call, delta > target, delta < target)
        lo, hi = np.where(right, mid, lo), np.where(right, hi, mid)
    base = np.floor(fwd * np.exp(0.5 * (lo + hi)) / STRIKE_GRID) * STRIKE_GRID
    grid = base[:, None] + STRIKE_GRID * np.arange(-1, 3)[None, :]
    grid = np.maximum(grid, STRIKE_GRID)
    delta = np.abs(
        _surface_greeks(path, t[:, None], grid, tau[:, None], is_call[:, None], params).delta
    )
    pick = np.argmin(np.abs(delta - target[:, None]), axis=1)
    return grid[np.arange(len(t)), pick]


def _strikes(path, schedule, preset, params) -> np.ndarray:
    """(n, 4) strikes: long put, short put, short call, long call."""
    n = len(schedule)
    t = schedule.entry
    tau = (schedule.expiry.astype(np.int64) - path.day_number[t]) / DAYS_PER_YEAR
    if preset.long_delta is not None:
        long, short = preset.long_delta, preset.short_delta
        targets = np.array([long, short, short, long])
    else:
        targets = np.array([preset.short_delta] * 4)
    k = select_strikes(
        path,
        np.repeat(t, 4),
        np.repeat(tau, 4),
        np.tile(targets, n),
        np.tile(_LEG_IS_CALL, n),
        params,
    ).reshape(n, 4)
    if preset.wing_points is not None:
        k[:, 0] = k[:, 1] - preset.wing_points
        k[:, 3] = k[:, 2] + preset.wing_points
    # A wing must lie beyond its short strike (at low prices two deltas can share a strike).
    k[:, 0] = np.maximum(np.minimum(k[:, 0], k[:, 1] - STRIKE_GRID), STRIKE_GRID)
    k[:, 3] = np.maximum(k[:, 3], k[:, 2] + STRIKE_GRID)
    return k


def _trade_days(schedule: CondorSchedule, n_days: int):
    """(trade, session) pairs from each entry to its planned exit (or the last session)."""
    last = np.minimum(schedule.planned_exit, n_days - 1)
    counts = last - schedule.entry + 1
    trade, offset = ragged(counts)
    return trade, schedule.entry[trade] + offset, offset, counts


def _intrinsic_debit(strikes: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Cost of buying back a condor at expiry with the index at `s` (index points)."""
    puts = np.maximum(strikes[:, 1] - s, 0.0) - np.maximum(strikes[:, 0] - s, 0.0)
    calls = np.maximum(s - strikes[:, 2], 0.0) - np.maximum(s - strikes[:, 3], 0.0)
    return puts + calls


def _first_trigger(flag: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per trade, the offset of its first flagged day (counts when none)."""
    idx = np.where(flag, np.arange(len(flag)), len(flag))
    first = np.minimum.reduceat(idx, starts)
    return np.where(first < starts + counts, first - starts, counts)


def condor_trades(
    path: MarketPath,
    preset: CondorPreset,
    params: ModelParams,
    costs: CostModel,
    sensitivity_days: np.ndarray | None = None,
) -> CondorTrades:
    """Strikes, daily marks and exits of the preset's condors, per unit (method §3.1, §7).

    `sensitivity_days` (a mask of sessions) adds the VIX sensitivity on those sessions (two more
    pricing passes over them), which only L2 reads.
    """
    n_days = len(path)
    schedule = condor_schedule(preset, path.days)
    n = len(schedule)
    strikes = _strikes(path, schedule, preset, params) if n else np.empty((0, 4))
    trade, day, offset, counts = _trade_days(schedule, n_days)
    starts = np.cumsum(counts) - counts

    # Every leg of every trade on every day it may be open: one pricing call.
    tau = (schedule.expiry.astype(np.int64)[trade] - path.day_number[day]) / DAYS_PER_YEAR
    g = _surface_greeks(
        path, day[:, None], strikes[trade], tau[:, None], _LEG_IS_CALL[None, :], params
    )
    leg_mid = g.price
    debit_mid = (leg_mid * -_LEG_UNITS).sum(axis=1)  # cost to buy the condor back, at mid
    expiring = tau <= 0.0
    debit_mid[expiring] = _intrinsic_debit(strikes[trade[expiring]], path.spx_settle[day[expiring]])
    sens_unit = np.zeros(len(trade))
    if sensitivity_days is not None:
        # method §4.2 as alvh.book.marks measures it: reprice at VIX ± 1 point (per condor,
        # dollars).
        r = np.flatnonzero(sensitivity_days[day] & ~expiring)
        bump = [
            (
                _surface_greeks(
                    path,
                    day[r, None],
                    strikes[trade[r]],
                    tau[r, None],
                    _LEG_IS_CALL[None, :],
                    params,
                    shift,
                ).price
                * _LEG_UNITS
            ).sum(axis=1)
            for shift in (1.0, -1.0)
        ]
        sens_unit[r] = 0.5 * MULTIPLIER * (bump[0] - bump[1])

    # Entry: the four-leg fill (method §3.4).
    credit_fill = costs.condor_entry_credit(leg_mid[starts])[0] if n else np.zeros(0)
    credit_mid = debit_mid[starts]
    width = np.maximum(strikes[:, 1] - strikes[:, 0], strikes[:, 3] - strikes[:, 2])
    max_loss_unit = width - credit_fill

    # Exits: profit target and stop on the mid marks at each close after entry. The credit
    # they compare with is the mid credit, so costs never move an exit (only its price).
    trigger = np.zeros(len(trade), dtype=bool)
    reason_code = np.zeros(len(trade), dtype=np.int8)
    if preset.take_profit is not None:
        tp = (offset > 0) & (debit_mid <= (1.0 - preset.take_profit) * credit_mid[trade])
        trigger |= tp
        reason_code[tp] = 1
    if preset.stop_loss is not None:
        sl = (offset > 0) & (debit_mid - credit_mid[trade] >= preset.stop_loss * credit_mid[trade])
        sl &= ~trigger
        trigger |= sl
        reason_code[sl] = 2
    first = _first_trigger(trigger, starts, counts) if n else np.zeros(0, dtype=np.int64)
    hit = first < counts
    planned_inside = schedule.planned_exit < n_days
    exit_offset = np.where(hit, first, counts - 1)
    exit_day = np.where(hit | planned_inside, schedule.entry + exit_offset, n_days)
    exit_row = starts + exit_offset
    settles = ~hit & planned_inside & schedule.settles
    traded_exit = (exit_day < n_days) & ~settles
    reason = np.full(n, "open", dtype=object)
    reason[settles] = "expiry"
    reason[traded_exit] = "dte_exit"
    reason[hit & (reason_code[exit_row] == 1)] = "take_profit"
    reason[hit & (reason_code[exit_row] == 2)] = "stop_loss"

    exit_debit = np.full(n, np.nan)
    exit_debit[settles] = debit_mid[exit_row[settles]]
    if traded_exit.any():
        fill, _ = costs.condor_exit_debit(leg_mid[exit_row[traded_exit]])
        # Nobody pays more than the width to close: holding to expiry costs at most that.
        exit_debit[traded_exit] = np.minimum(fill, width[traded_exit])
    exit_mid = np.where(exit_day < n_days, debit_mid[exit_row], np.nan)
    if n > 1 and np.any(schedule.entry[1:] < exit_day[:-1]):
        raise AssertionError("condor trades overlap; sizing assumes one condor at a time")

    row_open = offset < np.where(exit_day < n_days, exit_offset, counts)[trade]
    day_trade = np.full(n_days, -1, dtype=np.int64)
    day_row = np.full(n_days, -1, dtype=np.int64)
    day_trade[day[row_open]] = trade[row_open]
    day_row[day[row_open]] = np.flatnonzero(row_open)
    return CondorTrades(
        preset=preset,
        n_days=n_days,
        entry=schedule.entry,
        expiry=schedule.expiry,
        exit_day=exit_day.astype(np.int64),
        exit_reason=reason,
        settles=settles,
        traded_exit=traded_exit,
        strikes=strikes,
        credit_mid=credit_mid,
        credit_fill=credit_fill,
        exit_debit=exit_debit,
        exit_mid=exit_mid,
        width=width,
        max_loss_unit=max_loss_unit,
        fee_unit=float(costs.fees(4, 1.0)),
        row_trade=trade,
        row_day=day,
        row_open=row_open,
        debit_mid=debit_mid,
        sens_unit=sens_unit,
        day_trade=day_trade,
        day_row=day_row,
    )
