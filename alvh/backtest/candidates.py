"""The VIX calls every hedge variant chooses from, priced once for the whole history (§2.2, §2.3).

Every hedge purchase in every variant — VXTH's monthly roll, L1, L2 and L3's roll — buys the same
instrument: the one-month ~30-delta VIX call of that session (method §6.1, VXTH convention).
So a lot is identified by the session it was bought on, and its whole life can be priced up front:
for each session s, the call's strike, and its mid, VX forward and VIX sensitivity on every
session from s to its expiry, where it settles at the VIX open (method §7). The variants then only
walk decisions and look marks up, and all of them see identical prices.

VX forwards (method §2.2): the observed settlement of the option's own contract when the
warehouse has it for that session (from 2007-03-26; contracts expiring in 2007 are missing); on a
session without one after the contract was observed, the last observed basis to the
mean-reversion model, shrunk in proportion to the time left; otherwise (before 2007) the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtri

from alvh.backtest.inputs import DAYS_PER_YEAR, MarketPath, ragged
from alvh.book.costs import CostModel
from alvh.book.valuation import VIX_FLOOR, ModelParams
from alvh.core import calendar
from alvh.hedge.rulebook import listing_strike_cap
from alvh.model import market as mm
from alvh.model.pricing import black76_greeks, black76_price

__all__ = [
    "FORWARD_SOURCES",
    "HedgeCandidates",
    "empty_candidates",
    "hedge_candidates",
    "listed_vix_strike",
    "price_calls",
]

FORWARD_SOURCES = ("observed", "observed_carried", "model")
_NEIGHBOURS = 6  # grid strikes examined around the continuous 30-delta strike
_FIXED_POINT_STEPS = 6


@dataclass(frozen=True)
class HedgeCandidates:
    """Per session s the call bought that day; per (s, day) row its life. Rows are grouped by s.

    `row0[s]` is the row of session s itself and `life[s]` the number of rows after it (the
    last is the expiry session, or the last session of the data). `mark` is the mid per unit,
    except on the expiry session where it is the settlement value max(VIX open − K, 0);
    `sensitivity` is dollars per +1 VIX point per contract (repriced at VIX ± 1, as the daily
    engine does, §4.2).
    """

    valid: np.ndarray  # per session: a call can be bought
    strike: np.ndarray
    expiry: np.ndarray  # datetime64[D]
    expiry_index: np.ndarray  # session index of the expiry, len(days) beyond the data
    row0: np.ndarray
    life: np.ndarray
    # per row
    day: np.ndarray
    forward: np.ndarray
    forward_source: np.ndarray  # index into FORWARD_SOURCES
    tau: np.ndarray
    vol: np.ndarray
    mark: np.ndarray
    sensitivity: np.ndarray
    sell_price: np.ndarray  # §3.4 fill selling one call at this row's mid
    buy_price: np.ndarray  # per session: §3.4 fill buying that session's call


def empty_candidates() -> HedgeCandidates:
    """No calls at all: what an unhedged run prices."""
    i = np.zeros(0, dtype=np.int64)
    f = np.zeros(0)
    return HedgeCandidates(
        np.zeros(0, dtype=bool),
        f,
        np.zeros(0, dtype="datetime64[D]"),
        i,
        i,
        i,
        i,
        f,
        np.zeros(0, dtype=np.int8),
        f,
        f,
        f,
        f,
        f,
        f,
    )


def _step_up(k: np.ndarray) -> np.ndarray:
    return k + np.where(k < 20.0, 0.5, 1.0)


def _step_down(k: np.ndarray) -> np.ndarray:
    return np.maximum(k - np.where(k <= 20.0, 0.5, 1.0), 0.5)


def listed_vix_strike(
    forward: np.ndarray,
    tau: np.ndarray,
    rate: np.ndarray,
    vvix: np.ndarray,
    params: ModelParams,
    target_delta: float,
    max_strike: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised `alvh.model.market.vix_call_strike_for_delta`: (strike, delta) per row.

    `max_strike` (per row) is the listing's highest strike (`alvh.hedge.rulebook
    .listing_strike_cap`): a delta strike beyond it is replaced by it, as the daily engine does.

    The continuous strike comes from a fixed point of the Black-76 delta condition with the
    smile's vol at that strike; the listed strikes around it (0.5 apart below 20, 1 apart from
    20, method §1) are compared by |delta − target|, ties to the higher strike.
    """

    def vol(k, f=forward, t=tau, vv=vvix):
        return mm.vix_option_vol(
            k, f, t, vv, params.vix_vol_default, params.vvix_multiplier, params.vix_skew
        )

    d1 = ndtri(np.clip(target_delta * np.exp(rate * tau), 1e-9, 1 - 1e-9))
    sigma = vol(forward)
    x = np.zeros_like(forward)
    for _ in range(_FIXED_POINT_STEPS):
        x = -d1 * sigma * np.sqrt(tau) + 0.5 * sigma * sigma * tau
        sigma = vol(forward * np.exp(x))
    k = np.where(
        forward * np.exp(x) < 20.0,
        np.floor(forward * np.exp(x) * 2.0) / 2.0,
        np.floor(forward * np.exp(x)),
    )
    for _ in range(_NEIGHBOURS // 2 - 1):
        k = _step_down(k)
    grid = [k]
    for _ in range(_NEIGHBOURS - 1):
        grid.append(_step_up(grid[-1]))
    grid = np.stack(grid, axis=1)
    lo = np.maximum(0.5, np.ceil(0.5 * forward * 2.0) / 2.0)
    grid = np.maximum(grid, lo[:, None])  # the listed grid starts at F/2 (vix_strike_grid)
    f2, t2, r2 = forward[:, None], tau[:, None], rate[:, None]
    delta = black76_greeks(f2, grid, t2, r2, vol(grid, f2, t2, vvix[:, None]), True).delta
    gap = np.abs(delta - target_delta)
    best = gap.min(axis=1, keepdims=True)
    pick = np.where(gap <= best + 1e-12, np.arange(_NEIGHBOURS)[None, :], -1).max(axis=1)
    rows = np.arange(len(forward))
    strike, chosen_delta = grid[rows, pick], delta[rows, pick]
    if max_strike is not None:
        over = strike > max_strike
        if over.any():
            k_cap = np.asarray(max_strike, dtype=float)[over]
            f, t, r = forward[over], tau[over], rate[over]
            strike[over] = k_cap
            chosen_delta[over] = black76_greeks(
                f, k_cap, t, r, vol(k_cap, f, t, vvix[over]), True
            ).delta
    return strike, chosen_delta


def _forwards(path, futures, day, expiry, tau, params):
    """VX forward per (session, expiry) row and its source code (see module docstring)."""
    vx = params.vx
    model = mm.model_vx_curve(path.vix[day], tau, vx.theta, vx.kappa)
    # Work on the distinct (expiry, session) pairs, sorted by expiry then session.
    key = expiry.astype(np.int64) * 100_000 + path.day_number[day]
    pairs, first, back = np.unique(key, return_index=True, return_inverse=True)
    p_model, p_tau = model[first], tau[first]
    obs = np.full(len(pairs), np.nan)
    if len(futures):
        settle = pd.to_numeric(futures["settle"], errors="coerce").to_numpy(dtype=float)
        f_key = futures["expiry"].values.astype("datetime64[D]").astype(np.int64) * 100_000
        f_key = f_key + futures["trade_date"].values.astype("datetime64[D]").astype(np.int64)
        ok = np.isfinite(settle) & (settle > 0)
        f_key, settle = f_key[ok], settle[ok]
        order = np.argsort(f_key, kind="stable")
        f_key, settle = f_key[order], settle[order]
        at = np.clip(np.searchsorted(f_key, pairs), 0, max(len(f_key) - 1, 0))
        if len(f_key):
            hit = f_key[at] == pairs
            obs[hit] = settle[at[hit]]
    observed = np.isfinite(obs)
    # Carry the last observed basis to the model forward within the same expiry.
    last = np.maximum.accumulate(np.where(observed, np.arange(len(pairs)), -1))
    group = pairs // 100_000
    has_carry = ~observed & (last >= 0) & (group[np.maximum(last, 0)] == group)
    src = np.maximum(last, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shrink = np.where(p_tau[src] > 0, p_tau / p_tau[src], 0.0)
    carried = p_model + (obs[src] - p_model[src]) * shrink
    forward = np.where(observed, obs, np.where(has_carry, carried, p_model))
    source = np.where(observed, 0, np.where(has_carry, 1, 2)).astype(np.int8)
    return np.maximum(forward[back], VIX_FLOOR), source[back]


def price_calls(path, rows_day, strike, forward, tau, params) -> tuple[np.ndarray, np.ndarray]:
    """Black-76 mid and §2.3 smile vol of VIX calls, with the VVIX and rate of each row's day."""
    vvix, rate = path.vvix[rows_day], path.rate[rows_day]
    vol = mm.vix_option_vol(
        strike, forward, tau, vvix, params.vix_vol_default, params.vvix_multiplier, params.vix_skew
    )
    return black76_price(forward, strike, tau, rate, vol, True), vol


def hedge_candidates(
    path: MarketPath,
    futures: pd.DataFrame,
    params: ModelParams,
    min_days_new: int,
    target_delta: float,
    costs: CostModel,
    sensitivity_days: np.ndarray | None = None,
    listing_multiple: float | None = None,
) -> HedgeCandidates:
    """Price the call of every session over its whole life (one vectorised pass per quantity).

    `sensitivity_days` (a mask of sessions) asks for the calls' VIX sensitivity on those
    sessions (two more pricing passes over them), which only L2 reads.
    """
    n = len(path)
    first, last = path.days[0].date(), path.days[-1].date()
    expiries = np.array(
        calendar.vix_expiries(first, last + pd.Timedelta(days=120)), dtype="datetime64[D]"
    ).astype(np.int64)
    # method §6.1 / alvh.hedge.layers.hedge_expiry: the first expiry at least min_days_new away.
    which = np.searchsorted(expiries, path.day_number + min_days_new, side="left")
    valid = which < len(expiries)
    expiry = np.where(valid, expiries[np.minimum(which, len(expiries) - 1)], 0)
    expiry_index = np.searchsorted(path.day_number, expiry)
    expiry_index = np.where(
        (expiry_index < n) & (path.day_number[np.minimum(expiry_index, n - 1)] == expiry),
        expiry_index,
        n,
    )
    end = np.minimum(expiry_index, n - 1)
    life = np.where(valid, end - np.arange(n), 0)
    counts = life + 1
    row0 = np.cumsum(counts) - counts
    s, offset = ragged(counts)
    day = s + offset
    exp_row = expiry[s]
    tau = (exp_row - path.day_number[day]) / DAYS_PER_YEAR
    forward, source = _forwards(path, futures, day, exp_row.astype("datetime64[D]"), tau, params)

    at0 = row0
    # The listing a session trades on is the previous close's (the first session: its own).
    cap = (
        listing_strike_cap(np.r_[path.vix[:1], path.vix[:-1]], listing_multiple)
        if listing_multiple is not None
        else None
    )
    strike, _ = listed_vix_strike(
        forward[at0], tau[at0], path.rate[:n], path.vvix[:n], params, target_delta, cap
    )
    k_row = strike[s]
    mark, vol = price_calls(path, day, k_row, forward, tau, params)
    settling = tau <= 0.0
    mark[settling] = np.maximum(path.vix_settle[day[settling]] - k_row[settling], 0.0)
    sensitivity = np.zeros(len(day))
    if sensitivity_days is not None:
        # method §4.2 as alvh.book.marks measures it: reprice at VIX ± 1 point, the future moving by
        # e^{−κ_shock·τ} per point (docs/market-model.md, decision 2), VVIX unchanged. Only on
        # the sessions that ask for it (L2's), the rest stays 0.
        r = np.flatnonzero(sensitivity_days[day] & ~settling)
        d, k, f, t = day[r], k_row[r], forward[r], tau[r]
        move = np.exp(-params.vx.shock_kappa * t)
        up, _ = price_calls(path, d, k, np.maximum(f + move, VIX_FLOOR), t, params)
        down, _ = price_calls(path, d, k, np.maximum(f - move, VIX_FLOOR), t, params)
        sensitivity[r] = 50.0 * (up - down)  # 100 × (up − down) / 2
    valid &= np.isfinite(strike) & np.isfinite(mark[at0]) & (mark[at0] > 0)
    sell_price = np.maximum(costs.vix_call_fill(mark, "sell")[0], 0.0)
    buy_price = costs.vix_call_fill(mark[at0], "buy")[0]
    return HedgeCandidates(
        valid=valid,
        strike=strike,
        expiry=expiry.astype("datetime64[D]"),
        expiry_index=expiry_index,
        row0=row0,
        life=life,
        day=day,
        forward=forward,
        forward_source=source,
        tau=tau,
        vol=vol,
        mark=mark,
        sensitivity=sensitivity,
        sell_price=sell_price,
        buy_price=buy_price,
    )
