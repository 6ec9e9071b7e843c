"""Full revaluation of the book's option legs, today or under a shock (method §2, §4.1, §4.4).

The book becomes a table of legs (every leg of every position, SPX or VIX), and one
vectorised pass prices every leg under every scenario: an SPX return, a VIX shift in points and
a horizon in calendar days. Nothing is approximated by greeks: scenarios reprice.

How a scenario moves the inputs (κ_shock is explained in docs/market-model.md):
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

from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from datetime import date
from typing import Any

import numpy as np

from alvh.book.positions import Position
from alvh.core.errors import UsageError
from alvh.data.market_day import MarketSnapshot
from alvh.model import market as mm
from alvh.model.pricing import Greeks, black76_greeks, black76_price, bsm_greeks, bsm_price

DAYS = mm.DAYS_PER_YEAR
VIX_FLOOR = 1.0  # a shifted VIX never goes below one point


@dataclass(frozen=True)
class ModelParams:
    """The model's assumptions, printed in every report that uses them (method §2)."""

    atm_ratio: float = 0.8065  # fitted on real SPX quotes, as the skew (docs/market-model.md)
    skew: mm.SkewParams = field(default_factory=mm.SkewParams)
    vx: mm.VxCurveParams = field(default_factory=mm.VxCurveParams)
    vix_skew: mm.VixSkew = field(default_factory=mm.VixSkew)
    vvix_multiplier: float = 1.2
    vix_vol_default: float = 0.90
    atm_ratio_vix: float = -0.0270  # elasticity of the ATM/VIX ratio to VIX (method §2.1)
    atm_ratio_tenor: float = -0.0241  # ... and to the tenor

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ModelParams:
        """The `[model]` settings table over these defaults (method.md: defaults live in
        configuration): top-level numbers, and `skew`, `vx`, `vix_skew` as sub-tables."""
        nested = {
            f.name: f.default_factory for f in fields(cls) if f.default_factory is not MISSING
        }
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise UsageError(f"unknown [model] setting(s): {', '.join(unknown)}")
        kwargs: dict[str, Any] = {}
        for name, value in values.items():
            if name in nested:
                if not isinstance(value, Mapping):
                    raise UsageError(f"[model] {name} must be a table, not {value!r}")
                part = nested[name]()
                allowed = {f.name for f in fields(part)}
                extra = sorted(set(value) - allowed)
                if extra:
                    raise UsageError(f"unknown [model.{name}] setting(s): {', '.join(extra)}")
                kwargs[name] = replace(part, **value)
            else:
                kwargs[name] = value
        return cls(**kwargs)

    def atm_vol(self, tau, vix, vix9d=None, vix3m=None, vix6m=None):
        """ATM vol of the §2.1 surface with these parameters (`alvh.model.market.atm_vol`)."""
        return mm.atm_vol(
            tau, vix, vix9d, vix3m, vix6m, self.atm_ratio, self.atm_ratio_vix, self.atm_ratio_tenor
        )


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
    """Every option leg of the positions, in order (method §4.1: each leg is priced)."""
    rows = [
        (index, leg.label(), leg.is_spx, leg.is_call, leg.strike, leg.expiry, leg.units, p.quantity)
        for index, p in enumerate(positions)
        for leg in p.legs
    ]
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
                snapshot.as_of, expiry, snapshot.vix, observed, params.vx, term=snapshot.term()
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
    if not len(legs):
        return np.zeros((ret.shape[0], 0))
    if (~legs.is_spx).any():
        forwards = forwards or vix_forwards(legs, snapshot, params)
    inputs = _leg_inputs(legs, snapshot, params, ret, shift, horizon, forwards)
    return _prices(legs, snapshot, *inputs)


def _prices(legs: Legs, snapshot: MarketSnapshot, u, t, vol) -> np.ndarray:
    """Per-unit prices from `_leg_inputs`' underlying, years and vol, shape (n_scenarios, n)."""
    out = np.zeros(u.shape)
    spx_legs, vix_legs = legs.is_spx, ~legs.is_spx
    r, q = snapshot.rate, snapshot.dividend_yield
    if spx_legs.any():
        k, call = legs.strike[spx_legs], legs.is_call[spx_legs]
        out[:, spx_legs] = bsm_price(
            u[:, spx_legs], k, t[:, spx_legs], r, q, vol[:, spx_legs], call
        )
    if vix_legs.any():
        k = legs.strike[vix_legs]
        out[:, vix_legs] = black76_price(
            u[:, vix_legs], k, t[:, vix_legs], r, vol[:, vix_legs], True
        )
    return out


def _leg_inputs(legs, snapshot, params, ret, shift, horizon, forwards):
    """Underlying (SPX, or the VX forward of a VIX leg), years to expiry and vol of every leg
    under each scenario, each of shape (n_scenarios, n_legs): the one set of market inputs
    behind both `price_legs` and today's marks (`leg_greeks`), as the module docstring says."""
    tau = _tau(legs, snapshot.as_of, horizon)  # (n, legs)
    underlying, vol = np.full(tau.shape, np.nan), np.full(tau.shape, np.nan)
    vix = np.maximum(snapshot.vix + shift, VIX_FLOOR)[:, None]
    at_close = (horizon == 0)[:, None]  # an expiring leg settles on the day's open
    kappa_s = params.vx.shock_kappa
    spx_legs, vix_legs = legs.is_spx, ~legs.is_spx

    if spx_legs.any():
        t = tau[:, spx_legs]
        spx = snapshot.spx * (1.0 + ret)[:, None]
        s = np.where((t <= 0) & at_close, _settlement(snapshot.spx_open, snapshot.spx), spx)
        atm = params.atm_vol(
            t,
            vix,
            _shifted(snapshot.vix9d, shift, 9.0, kappa_s)[:, None],
            _shifted(snapshot.vix3m, shift, 93.0, kappa_s)[:, None],
            _shifted(snapshot.vix6m, shift, 183.0, kappa_s)[:, None],
        )
        fwd = s * np.exp((snapshot.rate - snapshot.dividend_yield) * t)
        underlying[:, spx_legs] = s
        vol[:, spx_legs] = mm.spx_implied_vol(legs.strike[spx_legs], fwd, t, atm, vix, params.skew)
    if vix_legs.any():
        t = tau[:, vix_legs]
        t0 = _tau(legs, snapshot.as_of, 0.0)[0, vix_legs]
        f_now = forwards.forward[vix_legs]
        model_now = forwards.model_level[vix_legs]
        model_then = mm.model_vx_curve(snapshot.vix, t, params.vx.theta, params.vx.kappa)
        with np.errstate(invalid="ignore", divide="ignore"):
            basis_left = np.where(t0 > 0, t / np.where(t0 > 0, t0, 1.0), 0.0)
        # Today's forward, rolled along the model curve, less the part of its basis to the
        # model that has faded, plus the shock (exactly today's forward with no move).
        f = (
            f_now
            + (model_then - model_now)
            - (f_now - model_now) * (1.0 - basis_left)
            + shift[:, None] * np.exp(-kappa_s * t)
        )
        settle = np.where(at_close, _settlement(snapshot.vix_open, snapshot.vix), vix)
        f = np.where(t <= 0, settle, np.maximum(f, VIX_FLOOR))
        underlying[:, vix_legs] = f
        vol[:, vix_legs] = mm.vix_option_vol(
            legs.strike[vix_legs],
            f,
            t,
            snapshot.vvix,
            params.vix_vol_default,
            params.vvix_multiplier,
            params.vix_skew,
        )
    return underlying, tau, vol


def _settlement(open_price: float, close: float) -> float:
    """Expiry-day settlement proxy (method §7): the open, the close where no open exists."""
    return open_price if np.isfinite(open_price) else close


@dataclass(frozen=True)
class LegGreeks:
    """Today's per-unit price and greeks of every leg, with its inputs."""

    greeks: Greeks
    underlying: np.ndarray
    vol: np.ndarray
    forwards: VixForwards


def leg_greeks(legs: Legs, snapshot: MarketSnapshot, params: ModelParams) -> LegGreeks:
    """Per-unit price, delta, gamma, vega, theta of every leg at today's close."""
    return greeks_and_prices(legs, snapshot, params, [], [])[0]


def greeks_and_prices(
    legs: Legs, snapshot: MarketSnapshot, params: ModelParams, spx_return, vix_shift
) -> tuple[LegGreeks, np.ndarray]:
    """`leg_greeks` and `price_legs(legs, snapshot, params, spx_return, vix_shift)` (at the
    close, no horizon) from one pass over the model's inputs: the day's marks need both, and
    every input is computed per (scenario, leg), so each is what the two calls give alone."""
    forwards = vix_forwards(legs, snapshot, params)
    ret = np.concatenate([[0.0], np.asarray(spx_return, dtype=float)])
    shift = np.concatenate([[0.0], np.asarray(vix_shift, dtype=float)])
    u, t, vol = _leg_inputs(legs, snapshot, params, ret, shift, np.zeros(len(ret)), forwards)
    arrays = {k: np.zeros(len(legs)) for k in ("price", "delta", "gamma", "vega", "theta")}
    spx_legs, vix_legs = legs.is_spx, ~legs.is_spx
    r, q = snapshot.rate, snapshot.dividend_yield
    now_u, now_t, now_vol = u[0], t[0], vol[0]
    if spx_legs.any():
        k, call = legs.strike[spx_legs], legs.is_call[spx_legs]
        g = bsm_greeks(now_u[spx_legs], k, now_t[spx_legs], r, q, now_vol[spx_legs], call)
        for key in arrays:
            arrays[key][spx_legs] = getattr(g, key)
    if vix_legs.any():
        k = legs.strike[vix_legs]
        g = black76_greeks(now_u[vix_legs], k, now_t[vix_legs], r, now_vol[vix_legs], True)
        for key in arrays:
            arrays[key][vix_legs] = getattr(g, key)
    greeks = LegGreeks(Greeks(**arrays), now_u, now_vol, forwards)
    return greeks, _prices(legs, snapshot, u[1:], t[1:], vol[1:])
