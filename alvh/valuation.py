"""Full revaluation of the book's option legs, today or under a shock (method §2, §4.1, §4.4).

The book becomes a table of legs (each SPX condor four legs, each VIX call one), and one
vectorised pass prices every leg under every scenario: an SPX return, a VIX shift in points and
a horizon in calendar days. Nothing is approximated by greeks: scenarios reprice.

How a scenario moves the inputs (docs/valuation.md):
- SPX' = SPX·(1 + return); the VIX family shifts by Δ at 30 days, VIX9D by Δ, VIX3M and VIX6M
  by Δ·e^{−κ_shock·(T − 30d)}: a spike lifts the short end most;
- a VIX future for expiry T moves by Δ·e^{−κ_shock·τ'} and rolls toward the model curve as the
  horizon passes, its observed basis to the model fading linearly to zero at expiry, where it
  equals VIX' (the settlement);
- rates, the dividend yield and VVIX stay as they are.
On an expiry day, a leg settles at the proxy of method §7: the day's SPX open (AM settlement)
or VIX open, the close where no open exists.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

import numpy as np

from alvh import market as mm
from alvh.book import Position
from alvh.marketdata import MarketSnapshot
from alvh.pricing import Greeks, black76_greeks, black76_price, bsm_greeks, bsm_price

DAYS = mm.DAYS_PER_YEAR
CONDOR_LEGS = (
    ("long put", "put_long", False, 1.0),
    ("short put", "put_short", False, -1.0),
    ("short call", "call_short", True, -1.0),
    ("long call", "call_long", True, 1.0),
)
VIX_FLOOR = 1.0  # a shifted VIX never goes below one point


@dataclass(frozen=True)
class ModelParams:
    """The model's assumptions, printed in every report that uses them (method §2)."""

    atm_ratio: float = 0.85
    skew: mm.SkewParams = field(default_factory=mm.SkewParams)
    vx: mm.VxCurveParams = field(default_factory=mm.VxCurveParams)
    vix_skew: mm.VixSkew = field(default_factory=mm.VixSkew)
    vvix_multiplier: float = 1.2
    vix_vol_default: float = 0.90

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Legs:
    """One entry per option leg; `units` is signed contracts per position unit (+ long)."""

    position: np.ndarray  # index into the positions list
    name: list[str]
    is_spx: np.ndarray
    is_call: np.ndarray
    strike: np.ndarray
    expiry: np.ndarray  # datetime64[D]
    units: np.ndarray
    quantity: np.ndarray  # the position's open quantity, per leg

    def __len__(self) -> int:
        return len(self.strike)


def build_legs(positions: list[Position]) -> Legs:
    rows = []
    for index, p in enumerate(positions):
        if p.is_condor:
            for name, attr, is_call, units in CONDOR_LEGS:
                rows.append(
                    (index, name, True, is_call, getattr(p, attr), p.expiry, units, p.quantity)
                )
        else:
            rows.append((index, "VIX call", False, True, p.strike, p.expiry, 1.0, p.quantity))
    if not rows:
        empty = np.array([], dtype=float)
        return Legs(
            np.array([], dtype=int),
            [],
            np.array([], dtype=bool),
            np.array([], dtype=bool),
            empty,
            np.array([], dtype="datetime64[D]"),
            empty,
            empty,
        )
    index, name, is_spx, is_call, strike, expiry, units, quantity = zip(*rows, strict=True)
    return Legs(
        np.array(index),
        list(name),
        np.array(is_spx),
        np.array(is_call),
        np.array(strike, dtype=float),
        np.array(expiry, dtype="datetime64[D]"),
        np.array(units, dtype=float),
        np.array(quantity, dtype=float),
    )


@dataclass(frozen=True)
class VixForwards:
    """Today's VX forward per VIX leg, where it came from, and the model's view of it."""

    forward: np.ndarray
    source: list[str]
    model_level: np.ndarray


def vix_forwards(legs: Legs, snapshot: MarketSnapshot, params: ModelParams) -> VixForwards:
    forward = np.full(len(legs), np.nan)
    model_level = np.full(len(legs), np.nan)
    source = [""] * len(legs)
    observed = snapshot.futures if len(snapshot.futures) else None
    cache: dict[np.datetime64, mm.VxForward] = {}
    for i in np.flatnonzero(~legs.is_spx):
        expiry = legs.expiry[i]
        if expiry not in cache:
            cache[expiry] = mm.vx_curve(
                snapshot.as_of, str(expiry), snapshot.vix, observed, params.vx, term=snapshot.term()
            )
        found = cache[expiry]
        forward[i], source[i] = found.forward, found.source
        model_level[i] = mm.model_vx_curve(
            snapshot.vix, found.tau, params.vx.theta, params.vx.kappa
        )
    return VixForwards(forward, source, model_level)


def _tau(legs: Legs, as_of: date, horizon_days) -> np.ndarray:
    days = (legs.expiry - np.datetime64(as_of, "D")).astype(float)
    horizon = np.atleast_1d(np.asarray(horizon_days, dtype=float))[:, None]
    return np.maximum(days[None, :] - horizon, 0.0) / DAYS  # (n_scenarios, n_legs)


def _shifted(level: float, shift: np.ndarray, pillar_days: float, kappa: float) -> np.ndarray:
    weight = 1.0 if pillar_days <= 30.0 else np.exp(-kappa * (pillar_days - 30.0) / DAYS)
    return np.maximum(level + shift * weight, VIX_FLOOR)


def price_legs(
    legs: Legs,
    snapshot: MarketSnapshot,
    params: ModelParams,
    spx_return=0.0,
    vix_shift=0.0,
    horizon_days=0.0,
    forwards: VixForwards | None = None,
) -> np.ndarray:
    """Per-unit prices of every leg under each scenario: shape (n_scenarios, n_legs).

    `spx_return`, `vix_shift` (points) and `horizon_days` broadcast to one scenario axis.
    """
    ret, shift, horizon = np.broadcast_arrays(
        np.atleast_1d(np.asarray(spx_return, dtype=float)),
        np.atleast_1d(np.asarray(vix_shift, dtype=float)),
        np.atleast_1d(np.asarray(horizon_days, dtype=float)),
    )
    n = ret.shape[0]
    out = np.zeros((n, len(legs)))
    if not len(legs):
        return out
    tau = _tau(legs, snapshot.as_of, horizon)  # (n, legs)
    base_tau = _tau(legs, snapshot.as_of, 0.0)[0]
    spx = snapshot.spx * (1.0 + ret)[:, None]
    vix = np.maximum(snapshot.vix + shift, VIX_FLOOR)[:, None]
    kappa_s = params.vx.shock_kappa
    spx_legs, vix_legs = legs.is_spx, ~legs.is_spx

    if spx_legs.any():
        t = tau[:, spx_legs]
        settle_spx = _settlement(snapshot.spx_open, snapshot.spx, ret)[:, None]
        s = np.where((t <= 0) & (horizon[:, None] == 0), settle_spx, spx)
        atm = mm.atm_vol(
            t,
            vix,
            _shifted(snapshot.vix9d, shift, 9.0, kappa_s)[:, None],
            _shifted(snapshot.vix3m, shift, 93.0, kappa_s)[:, None],
            _shifted(snapshot.vix6m, shift, 183.0, kappa_s)[:, None],
            params.atm_ratio,
        )
        fwd = s * np.exp((snapshot.rate - snapshot.dividend_yield) * t)
        vol = mm.spx_implied_vol(legs.strike[spx_legs], fwd, t, atm, vix, params.skew)
        out[:, spx_legs] = bsm_price(
            s,
            legs.strike[spx_legs],
            t,
            snapshot.rate,
            snapshot.dividend_yield,
            vol,
            legs.is_call[spx_legs],
        )
    if vix_legs.any():
        forwards = forwards or vix_forwards(legs, snapshot, params)
        t = tau[:, vix_legs]
        t0 = base_tau[vix_legs]
        f_now = forwards.forward[vix_legs]
        model_now = forwards.model_level[vix_legs]
        model_then = mm.model_vx_curve(snapshot.vix, t, params.vx.theta, params.vx.kappa)
        with np.errstate(invalid="ignore", divide="ignore"):
            basis_left = np.where(t0 > 0, t / np.where(t0 > 0, t0, 1.0), 0.0)
        f = model_then + (f_now - model_now) * basis_left + shift[:, None] * np.exp(-kappa_s * t)
        settle_vix = _settlement(snapshot.vix_open, snapshot.vix, np.zeros(n))
        settle = np.where(horizon == 0, settle_vix, vix[:, 0])[:, None]
        f = np.where(t <= 0, np.broadcast_to(settle, t.shape), np.maximum(f, VIX_FLOOR))
        vol = mm.vix_option_vol(
            legs.strike[vix_legs],
            f,
            t,
            snapshot.vvix,
            params.vix_vol_default,
            params.vvix_multiplier,
            params.vix_skew,
        )
        out[:, vix_legs] = black76_price(f, legs.strike[vix_legs], t, snapshot.rate, vol, True)
    return out


def _settlement(open_price: float, close: float, ret: np.ndarray) -> np.ndarray:
    """Expiry-day settlement proxy (method §7): the open, the close where no open exists."""
    base = open_price if np.isfinite(open_price) else close
    return np.full(ret.shape, base)


@dataclass(frozen=True)
class LegGreeks:
    """Today's per-unit price and greeks of every leg, with its inputs."""

    greeks: Greeks
    underlying: np.ndarray
    vol: np.ndarray
    forwards: VixForwards


def leg_greeks(legs: Legs, snapshot: MarketSnapshot, params: ModelParams) -> LegGreeks:
    """Per-unit price, delta, gamma, vega, theta of every leg at today's close."""
    n = len(legs)
    arrays = {k: np.zeros(n) for k in ("price", "delta", "gamma", "vega", "theta")}
    underlying, vol = np.full(n, np.nan), np.full(n, np.nan)
    forwards = vix_forwards(legs, snapshot, params)
    tau = _tau(legs, snapshot.as_of, 0.0)[0]
    spx_legs, vix_legs = legs.is_spx, ~legs.is_spx
    if spx_legs.any():
        t = tau[spx_legs]
        settle = snapshot.spx_open if np.isfinite(snapshot.spx_open) else snapshot.spx
        s = np.where(t <= 0, settle, snapshot.spx)
        atm = mm.atm_vol(
            t, snapshot.vix, snapshot.vix9d, snapshot.vix3m, snapshot.vix6m, params.atm_ratio
        )
        fwd = s * np.exp((snapshot.rate - snapshot.dividend_yield) * t)
        sigma = mm.spx_implied_vol(legs.strike[spx_legs], fwd, t, atm, snapshot.vix, params.skew)
        g = bsm_greeks(
            s,
            legs.strike[spx_legs],
            t,
            snapshot.rate,
            snapshot.dividend_yield,
            sigma,
            legs.is_call[spx_legs],
        )
        for key in arrays:
            arrays[key][spx_legs] = getattr(g, key)
        underlying[spx_legs], vol[spx_legs] = s, sigma
    if vix_legs.any():
        t = tau[vix_legs]
        settle = snapshot.vix_open if np.isfinite(snapshot.vix_open) else snapshot.vix
        f = np.where(t <= 0, settle, forwards.forward[vix_legs])
        sigma = mm.vix_option_vol(
            legs.strike[vix_legs],
            f,
            t,
            snapshot.vvix,
            params.vix_vol_default,
            params.vvix_multiplier,
            params.vix_skew,
        )
        g = black76_greeks(f, legs.strike[vix_legs], t, snapshot.rate, sigma, True)
        for key in arrays:
            arrays[key][vix_legs] = getattr(g, key)
        underlying[vix_legs], vol[vix_legs] = f, sigma
    return LegGreeks(Greeks(**arrays), underlying, vol, forwards)
