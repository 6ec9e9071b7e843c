"""Calibration of the §2.1 SPX surface to real option quotes (method §2.1, §2.3).

Pure numerics on frames of quotes, no data access: `benchmarks/fit_market_model.py` reads the
shared quote files and prints what these functions return (docs/market-model.md quotes it).

A day's quotes become a frame of out-of-the-money options with the market's own forward (put–call
parity at the money, per expiry), implied vol and delta (`market_options`); the surface — the ATM
ratio to the VIX family and the smile's shape by tenor and VIX (`alvh.model.market.SkewParams`) —
is fitted to their implied vols and to the mid credit of one-month 20Δ/5Δ condors
(`fit_surface`), with every (day, expiry) slice weighted alike so that a file of 40 days of one
expiry does not outweigh a day of 20 expiries.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from alvh.model import market as mm
from alvh.model.pricing import black76_greeks, black76_price, implied_vol_black76

__all__ = [
    "CONDOR_LEGS",
    "FREE_PARAMETERS",
    "SurfaceFit",
    "SurfaceParams",
    "condor_credits",
    "condor_legs",
    "fit_surface",
    "market_options",
    "parity_forward",
    "surface_vol",
    "vix_option_errors",
    "fit_vix_level_tenor",
]

PARITY_STRIKES = 6  # strikes nearest the money whose parity forwards are pooled (median)
# (leg, option type, target delta, sign in the credit): the CNDR condor of method §7
CONDOR_LEGS = (
    ("long put", "P", -0.05, -1.0),
    ("short put", "P", -0.20, 1.0),
    ("short call", "C", 0.20, 1.0),
    ("long call", "C", 0.05, -1.0),
)
CONDOR_DAYS = (20, 45)  # "one-month": the expiries between 20 and 45 days out
DELTA_TOLERANCE = 0.03  # a listed strike whose delta is this far from a leg's target: no condor


@dataclass(frozen=True)
class SurfaceParams:
    """What the §2.1 surface assumes: the ATM/VIX ratio and its elasticities, and the smile."""

    atm_ratio: float = 0.85
    atm_ratio_vix: float = 0.0
    atm_ratio_tenor: float = 0.0
    skew: mm.SkewParams = mm.SkewParams()


def parity_forward(
    strike: np.ndarray, call_mid: np.ndarray, put_mid: np.ndarray, tau: float, rate: float
) -> float:
    """The market's forward from put–call parity at the money: F = K + e^{rτ}(C − P).

    Pooled (median) over the `PARITY_STRIKES` strikes where |C − P| is smallest, so one stale
    quote near the money does not move it. NaN without a strike quoted on both sides.
    """
    k, c, p = (np.asarray(x, dtype=float) for x in (strike, call_mid, put_mid))
    ok = np.isfinite(k) & np.isfinite(c) & np.isfinite(p)
    if not ok.any():
        return float("nan")
    k, diff = k[ok], (c - p)[ok]
    near = np.argsort(np.abs(diff), kind="stable")[:PARITY_STRIKES]
    return float(np.median(k[near] + diff[near] * np.exp(rate * tau)))


def market_options(quotes: pd.DataFrame) -> pd.DataFrame:
    """Out-of-the-money options of quoted days with the market's forward, implied vol and delta.

    `quotes` has one row per option: as_of, expiry, strike, type (C/P), bid, ask, tau (years),
    rate (decimal). Kept: two-sided quotes (0 < bid < ask) of expiries with a parity forward,
    puts below it and calls at or above it, with an implied vol. Adds mid, forward, market_iv
    and delta (Black-76 on the forward, from the market's vol).
    """
    q = quotes[(quotes["bid"] > 0) & (quotes["ask"] > quotes["bid"])].copy()
    q["mid"] = 0.5 * (q["bid"] + q["ask"])
    forwards = {}
    for key, g in q.groupby(["as_of", "expiry"], sort=False):
        sides = g.pivot_table(index="strike", columns="type", values="mid", aggfunc="first")
        if not {"C", "P"} <= set(sides.columns):
            continue
        both = sides.dropna()
        forwards[key] = parity_forward(
            both.index.to_numpy(), both["C"], both["P"], g["tau"].iloc[0], g["rate"].iloc[0]
        )
    keys = pd.MultiIndex.from_frame(q[["as_of", "expiry"]])
    q["forward"] = pd.Series(forwards, dtype=float).reindex(keys).to_numpy()
    q = q[np.isfinite(q["forward"])]
    call = (q["type"] == "C").to_numpy()
    q = q[np.where(call, q["strike"] >= q["forward"], q["strike"] < q["forward"])].copy()
    call = (q["type"] == "C").to_numpy()
    args = (q["forward"].to_numpy(), q["strike"].to_numpy(), q["tau"].to_numpy())
    rate = q["rate"].to_numpy()
    q["market_iv"] = implied_vol_black76(q["mid"].to_numpy(), *args, rate, call).vol
    q["delta"] = black76_greeks(*args, rate, q["market_iv"].to_numpy(), call).delta
    return q[np.isfinite(q["market_iv"])].reset_index(drop=True)


def surface_vol(options: pd.DataFrame, params: SurfaceParams) -> np.ndarray:
    """Model implied vol per option (columns strike, forward, tau, vix, vix9d, vix3m, vix6m)."""
    col = {c: options[c].to_numpy(dtype=float) for c in ("tau", "vix", "vix9d", "vix3m", "vix6m")}
    atm = mm.atm_vol(
        col["tau"],
        col["vix"],
        col["vix9d"],
        col["vix3m"],
        col["vix6m"],
        params.atm_ratio,
        params.atm_ratio_vix,
        params.atm_ratio_tenor,
    )
    strike, forward = options["strike"].to_numpy(float), options["forward"].to_numpy(float)
    return mm.spx_implied_vol(strike, forward, col["tau"], atm, col["vix"], params.skew)


def condor_legs(options: pd.DataFrame, days: tuple[int, int] = CONDOR_DAYS) -> pd.DataFrame:
    """The one-month 20Δ/5Δ condor of every quoted day and expiry, one row per leg.

    Each leg is the listed strike whose market delta is nearest its target (`CONDOR_LEGS`); an
    expiry where one is more than `DELTA_TOLERANCE` away has no condor. Adds columns condor
    (an id), leg and sign (+1 sold, −1 bought).
    """
    dte = (options["expiry"] - options["as_of"]).dt.days
    pool = options[(dte >= days[0]) & (dte <= days[1])]
    rows = []
    for number, (_, g) in enumerate(pool.groupby(["as_of", "expiry"], sort=True)):
        legs = []
        for leg, kind, target, sign in CONDOR_LEGS:
            side = g[g["type"] == kind]
            if side.empty:
                break
            gap = np.abs(side["delta"].to_numpy() - target)
            if gap.min() > DELTA_TOLERANCE:
                break
            legs.append(side.iloc[[int(np.argmin(gap))]].assign(condor=number, leg=leg, sign=sign))
        if len(legs) == len(CONDOR_LEGS):
            rows.extend(legs)
    if not rows:
        return pool.iloc[:0].assign(condor=[], leg=[], sign=[])
    return pd.concat(rows, ignore_index=True)


def condor_credits(legs: pd.DataFrame, params: SurfaceParams) -> pd.DataFrame:
    """Market mid credit and model credit of each condor (`condor_legs`), and the error in %."""
    call = (legs["type"] == "C").to_numpy()
    model = black76_price(
        legs["forward"].to_numpy(),
        legs["strike"].to_numpy(),
        legs["tau"].to_numpy(),
        legs["rate"].to_numpy(),
        surface_vol(legs, params),
        call,
    )
    frame = legs.assign(
        market_credit=legs["sign"] * legs["mid"],
        model_credit=legs["sign"] * model,
        spread=legs["ask"] - legs["bid"],
    )
    out = frame.groupby("condor").agg(
        as_of=("as_of", "first"),
        expiry=("expiry", "first"),
        vix=("vix", "first"),
        market_credit=("market_credit", "sum"),
        model_credit=("model_credit", "sum"),
        spread=("spread", "sum"),
    )
    out["error_pct"] = 100.0 * (out["model_credit"] / out["market_credit"] - 1.0)
    return out.reset_index()


@dataclass(frozen=True)
class SurfaceFit:
    """Result of `fit_surface`: the parameters, the final cost and what they were fitted on."""

    params: SurfaceParams
    cost: float
    n_options: int
    n_slices: int
    n_condors: int


# name, lower bound, upper bound, typical scale (for the solver's steps)
_FREE = (
    ("atm_ratio", 0.6, 1.1, 0.05),
    ("atm_ratio_vix", -1.0, 1.0, 0.05),
    ("atm_ratio_tenor", -1.0, 1.0, 0.05),
    ("s", -5.0, -0.2, 0.3),
    ("c", 0.01, 3.0, 0.1),
    ("s_tenor", -2.0, 2.0, 0.2),
    ("s_vix", -4.0, 3.0, 0.2),
    ("c_tenor", -3.0, 3.0, 0.2),
    ("c_vix", -6.0, 3.0, 0.2),
    ("floor", 0.3, 0.95, 0.05),
    ("floor_tenor", -2.0, 2.0, 0.2),
)
_SURFACE_FIELDS = ("atm_ratio", "atm_ratio_vix", "atm_ratio_tenor")
FREE_PARAMETERS = tuple(name for name, *_ in _FREE)  # what `fit_surface` may fit


def _unpack(x: np.ndarray, start: SurfaceParams) -> SurfaceParams:
    values = dict(zip((name for name, *_ in _FREE), map(float, x), strict=True))
    skew = replace(start.skew, **{k: v for k, v in values.items() if k not in _SURFACE_FIELDS})
    return SurfaceParams(*(values[k] for k in _SURFACE_FIELDS), skew)


def _pack(params: SurfaceParams) -> np.ndarray:
    return np.array(
        [
            getattr(params, name) if name in _SURFACE_FIELDS else getattr(params.skew, name)
            for name, *_ in _FREE
        ]
    )


def fit_surface(
    options: pd.DataFrame,
    condors: pd.DataFrame | None = None,
    start: SurfaceParams | None = None,
    condor_weight: float = 0.1,
    free: tuple[str, ...] | None = None,
    prior_scale: dict[str, float] | None = None,
) -> SurfaceFit:
    """Least-squares fit of the surface to market implied vols (vol points) and condor credits.

    Every (as_of, expiry) slice of `options` weighs the same; each condor of `condors` (legs as
    `condor_legs` gives them) adds `condor_weight`·100·ln(model/market credit), so a 10 % credit
    error costs as much as one vol point on a whole slice at the default weight. The wing
    settings of `start.skew` are kept. `free`: the parameters fitted (names of `FREE_PARAMETERS`;
    default all), the others held at `start`; `prior_scale`: per fitted name, a scale σ adding
    (x − start)/σ to the residuals, a penalty pulling it towards `start` (one σ away costs as
    much as one vol point on a whole slice). scipy's trust-region least squares, bounded.
    """
    from scipy.optimize import least_squares

    start = start or SurfaceParams()
    names = FREE_PARAMETERS if free is None else tuple(free)
    unknown = sorted(set(names) - set(FREE_PARAMETERS))
    if unknown:
        raise ValueError(f"not surface parameters: {', '.join(unknown)}")
    bounds = {name: (low, high, step) for name, low, high, step in _FREE}
    at = np.array([FREE_PARAMETERS.index(name) for name in names])
    prior = prior_scale or {}
    prior_sd = np.array([prior.get(name, np.inf) for name in names])
    slices = options.groupby(["as_of", "expiry"]).ngroup().to_numpy()
    weight = 1.0 / np.sqrt(np.bincount(slices)[slices])
    target = options["market_iv"].to_numpy(dtype=float)
    legs = condors if condors is not None and len(condors) else None
    full = _pack(start)
    x_start = full[at]

    def params_of(x: np.ndarray) -> SurfaceParams:
        values = full.copy()
        values[at] = x
        return _unpack(values, start)

    def residuals(x: np.ndarray) -> np.ndarray:
        params = params_of(x)
        out = [100.0 * (surface_vol(options, params) - target) * weight]
        if legs is not None:
            credits = condor_credits(legs, params)
            ratio = np.maximum(credits["model_credit"] / credits["market_credit"], 1e-6)
            out.append(condor_weight * 100.0 * np.log(ratio.to_numpy()))
        if prior:
            out.append((x - x_start) / prior_sd)
        return np.concatenate(out)

    lower, upper, scale = (np.array([bounds[name][i] for name in names]) for i in range(3))
    x0 = np.clip(x_start, lower, upper)
    sol = least_squares(residuals, x0, bounds=(lower, upper), x_scale=scale)
    n_condors = 0 if legs is None else int(legs["condor"].nunique())
    return SurfaceFit(
        params_of(sol.x), float(sol.cost), len(options), int(slices.max() + 1), n_condors
    )


def vix_option_errors(
    options: pd.DataFrame, vvix: float, multiplier: float, skew: mm.VixSkew
) -> np.ndarray:
    """Model − market vol (vol points) of VIX options (`market_options` of one day's VIX quotes,
    their parity forward being the same-expiry future), §2.3 vol with these settings."""
    model = mm.vix_option_vol(
        options["strike"].to_numpy(float),
        options["forward"].to_numpy(float),
        options["tau"].to_numpy(float),
        vvix,
        vvix_multiplier=multiplier,
        skew=skew,
    )
    return 100.0 * (model - options["market_iv"].to_numpy(float))


def fit_vix_level_tenor(
    options: pd.DataFrame, vvix: float, multiplier: float, skew: mm.VixSkew
) -> float:
    """`VixSkew.level_tenor` that best fits the calls of `options` (least squares, vol points),
    the other settings held (the one-month level stays the VXTH calibration)."""
    from scipy.optimize import minimize_scalar

    calls = options[options["type"] == "C"]

    def cost(elasticity: float) -> float:
        errors = vix_option_errors(calls, vvix, multiplier, replace(skew, level_tenor=elasticity))
        return float(np.sum(errors**2))

    return float(minimize_scalar(cost, bounds=(-1.0, 0.5), method="bounded").x)
