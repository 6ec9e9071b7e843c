"""Market model (method §2): SPX implied vol, VIX futures curve, VIX option vol, VIX response.

No free historical option chains exist, so every option is model-priced from the VIX family and
the VX futures settlements. This module holds only pure functions of numbers and frames; pricing
formulas live in `alvh.model.pricing`, data access elsewhere. The numbers quoted in docstrings and
the
parameter defaults come from `benchmarks/fit_market_model.py` (see docs/market-model.md).

Units: time `tau` in years of calendar days (days / 365); volatilities as decimals except the VIX
family, VVIX and VX futures, which are in index points (VIX 15 = 15 % vol).

References
----------
Gatheral, J. and Jacquier, A. (2014), "Arbitrage-free SVI volatility surfaces", Quantitative
Finance 14(1) -- the Durrleman condition used for the no-butterfly check (their Lemma 2.2).
Lee, R. (2004), "The moment formula for implied volatility at extreme strikes", Mathematical
Finance 14(3) -- total variance grows at most like 2·|ln K| in the wings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import NamedTuple

import numpy as np
import pandas as pd

from alvh.model.pricing import black76_greeks

__all__ = [
    "ATM_PILLAR_DAYS",
    "DAYS_PER_YEAR",
    "SPX_SKEW_REFERENCE",
    "SkewFit",
    "SkewParams",
    "VIX_RESPONSE_CAP",
    "VixResponse",
    "VixSkew",
    "VixStrike",
    "VxCurveParams",
    "VxFitStats",
    "VxForward",
    "apply_vix_response",
    "atm_vol",
    "fit_skew_to_reference",
    "fit_vix_response",
    "fit_vix_response_pairs",
    "vix_response_on",
    "VixResponseSums",
    "fit_vx_mean_reversion",
    "fit_vx_shock_kappa",
    "fit_vx_term_convexity",
    "front_contracts",
    "model_vx_curve",
    "model_vx_dvix",
    "observed_vx_for_expiry",
    "shift_vx_curve",
    "spx_durrleman",
    "spx_implied_vol",
    "strike_arbitrage",
    "term_structure_vx_forward",
    "vix_call_strike_for_delta",
    "vix_option_vol",
    "vix_response_pairs",
    "vix_strike_grid",
    "vx_curve",
    "vx_model_errors",
]


def least_squares(*args, **kwargs):
    """scipy's least_squares, imported on first use: only the calibrations need it, and
    importing scipy.optimize costs every `alvh` process that merely marks a book ~0.3 s."""
    from scipy.optimize import least_squares as solve

    return solve(*args, **kwargs)


DAYS_PER_YEAR = 365.0

# method §2.1: tenors of VIX9D, VIX, VIX3M, VIX6M in calendar days.
ATM_PILLAR_DAYS = (9.0, 30.0, 93.0, 183.0)
_VX_TERM_DAYS = (9.0, 30.0, 93.0, 183.0, 365.0)  # plus VIX1Y for the VX term-structure forward
_VIX_WINDOW_DAYS = 30.0

DateLike = date | pd.Timestamp | np.datetime64 | str


def _arr(x) -> np.ndarray:
    """Float array; None becomes NaN (a missing pillar)."""
    return np.asarray(np.nan if x is None else x, dtype=float)


def _ts(d: DateLike) -> pd.Timestamp:
    return pd.Timestamp(d).normalize()


# =============================================================================================
# §2.1 SPX implied volatility
# =============================================================================================


def _interp_total_variance(tau: np.ndarray, days: tuple[float, ...], levels) -> np.ndarray:
    """Level (same units as `levels`) at tenor `tau` (years): total variance linear in tau between
    the available pillars, flat level outside them; NaN where no pillar is available."""
    t_pillar = [d / DAYS_PER_YEAR for d in days]
    arrays = np.broadcast_arrays(tau, *levels)
    tau, levels = arrays[0], arrays[1:]
    nan = np.full(tau.shape, np.nan)
    lo_t, lo_x, hi_t, hi_x = nan.copy(), nan.copy(), nan.copy(), nan.copy()
    for t_i, x_i in zip(t_pillar, levels, strict=True):  # ascending: the last hit is the nearest
        take = np.isfinite(x_i) & (t_i <= tau)
        lo_t, lo_x = np.where(take, t_i, lo_t), np.where(take, x_i, lo_x)
    for t_i, x_i in zip(reversed(t_pillar), reversed(levels), strict=True):
        take = np.isfinite(x_i) & (t_i >= tau)
        hi_t, hi_x = np.where(take, t_i, hi_t), np.where(take, x_i, hi_x)
    has_lo, has_hi = np.isfinite(lo_x), np.isfinite(hi_x)
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = np.where(hi_t > lo_t, (tau - lo_t) / (hi_t - lo_t), 0.0)
        w = lo_x**2 * lo_t + weight * (hi_x**2 * hi_t - lo_x**2 * lo_t)
        inner = np.sqrt(w / tau)
    # At a pillar (lo == hi) return the pillar itself, bit for bit.
    inner = np.where(hi_t > lo_t, inner, lo_x)
    return np.where(has_lo & has_hi, inner, np.where(has_lo, lo_x, hi_x))


# Reference point of the smile's shape: a one-month option at VIX 15 (method §2.1).
SKEW_REFERENCE_DAYS = 30.0
SKEW_REFERENCE_VIX = 15.0
# The tenor and VIX dependence of the ATM ratio and of the smile's shape is held flat outside
# the range the real quotes it was fitted on cover (7–60 days, VIX 9.2–37.3): no extrapolation
# of the log-linear terms to a one-year option or a VIX of 90, where they would steepen the
# smile into static arbitrage.
_SHAPE_DAYS = (7.0, 60.0)
_SHAPE_VIX = (9.0, 40.0)
_MAX_S = -0.05  # the skew stays a put skew wherever the log-linear terms would take it


def atm_vol(
    tau,
    vix,
    vix9d=None,
    vix3m=None,
    vix6m=None,
    atm_ratio: float = 0.85,
    ratio_vix: float = 0.0,
    ratio_tenor: float = 0.0,
) -> np.ndarray:
    """ATM implied vol (decimal) of SPX options with `tau` years to expiry (method §2.1).

    Each available VIX-family level X (VIX9D 9 d, VIX 30 d, VIX3M 93 d, VIX6M 183 d; NaN or None
    = missing) gives a pillar level X/100; total variance is linear in τ between pillars and the
    level flat outside them, so with VIX alone it is flat. The ATM vol is that level times the
    ratio atm_ratio·(VIX/15)^ratio_vix·(τ/30 d)^ratio_tenor (VIX held in [9, 40], τ in
    [7 d, 60 d], the calibrated range): a variance-swap level sits further above ATM vol when
    VIX is high and the skew steep. NaN where VIX is NaN. All arguments broadcast.
    """
    tau = _arr(tau)
    vix = _arr(vix)
    level = _interp_total_variance(
        tau, ATM_PILLAR_DAYS, (_arr(vix9d), vix, _arr(vix3m), _arr(vix6m))
    )
    ratio = atm_ratio
    if ratio_vix or ratio_tenor:
        lt = np.log(np.clip(tau * DAYS_PER_YEAR, *_SHAPE_DAYS) / SKEW_REFERENCE_DAYS)
        lv = np.log(np.clip(vix, *_SHAPE_VIX) / SKEW_REFERENCE_VIX)
        ratio = atm_ratio * np.exp(ratio_vix * lv + ratio_tenor * lt)
    return np.where(np.isfinite(vix), ratio * level / 100.0, np.nan)


@dataclass(frozen=True)
class SkewParams:
    """Shape of the SPX smile in standardised moneyness m = ln(K/F)/(√τ·VIX/15) (method §2.1).

    The smile is σ(K) = σ_atm·G(m), its shape (s, c) keyed to the tenor τ and the VIX level:

    * s(τ, VIX) = s + s_tenor·ln(τ/30 d) + s_vix·ln(VIX/15) (at most −0.05), and
      c(τ, VIX) = c·(τ/30 d)^c_tenor·(VIX/15)^c_vix; τ held in [7 d, 60 d], VIX in [9, 40];
    * core, m_J ≤ m ≤ 0: G = 1 + s·m + c·m²;
    * call side, m > 0: G = 1 + s·m + c_call·m² with c_call = max(c, s²/(4(1 − floor))), held flat
      beyond its vertex `m_vertex`, where G = floor (above it if c alone is that steep). The
      vertex lands on the floor, so the smile is C¹ (no kink, hence no atom in the density);
    * put wing, m < m_J: total variance linear in |ln K| (Lee's moment bound), tangent to the core
      at m_J, the point furthest from the money at which such a wing still keeps Durrleman's
      no-butterfly function ≥ `wing_margin` and its variance slope ≤ `max_wing_slope`. m_J
      depends on s, c, α = 15·σ_atm/VIX and scale = √τ·VIX/15.

    The defaults are the fit to real SPX quotes (benchmarks/fit_market_model.py,
    docs/market-model.md); with the four dependence terms at 0 the shape is the same at every
    tenor and VIX (the §2.1 reference fit, `fit_skew_to_reference`, is such a shape).
    `wing_margin` and `max_wing_slope` are choices, not fits.
    """

    # fitted on real SPX quotes (docs/market-model.md, "Calibration to real quotes")
    s: float = -1.8045
    c: float = 0.6127
    floor: float = 0.8027
    wing_margin: float = 0.02
    max_wing_slope: float = 1.5
    s_tenor: float = -0.1367
    s_vix: float = -1.1484
    c_tenor: float = -0.0298
    c_vix: float = -5.0005
    floor_tenor: float = 0.1893

    def __post_init__(self) -> None:
        if not (self.s < 0 and self.c > 0):
            raise ValueError(f"need s < 0 and c > 0 (a put skew with a smile), got {self}")
        if not 0.0 < self.floor < 1.0:
            raise ValueError(f"floor must be in (0, 1), got {self.floor}")
        if not self.wing_margin > 0.0:
            raise ValueError(f"wing_margin must be > 0, got {self.wing_margin}")
        if not 0.0 < self.max_wing_slope < 2.0:
            raise ValueError(f"max_wing_slope must be in (0, 2) (Lee), got {self.max_wing_slope}")

    def shape(self, tau, vix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(s, c, c_call) of the smile at tenor `tau` (years) and VIX `vix` (points); broadcasts.

        c_call is the call side's curvature: its vertex lands on the floor,
        floor(τ) = 1 − (1 − floor)·(τ/30 d)^floor_tenor.
        """
        days = np.clip(_arr(tau) * DAYS_PER_YEAR, *_SHAPE_DAYS)
        level = np.clip(_arr(vix), *_SHAPE_VIX)
        lt = np.log(days / SKEW_REFERENCE_DAYS)
        lv = np.log(level / SKEW_REFERENCE_VIX)
        s = np.minimum(self.s + self.s_tenor * lt + self.s_vix * lv, _MAX_S)
        c = self.c * np.exp(self.c_tenor * lt + self.c_vix * lv)
        depth = np.minimum((1.0 - self.floor) * np.exp(self.floor_tenor * lt), 0.95)
        return s, c, np.maximum(c, s * s / (4.0 * depth))


def _core(m, s, c):
    g = 1.0 + s * m + c * m * m
    return g, s + 2.0 * c * m


def _put_wing_start(alpha, scale, s, c, p: SkewParams, iterations: int = 30) -> np.ndarray:
    """m_J: where the put wing takes over from the quadratic (see `SkewParams`), by bisection.

    The bisection keeps its upper end feasible, so the result always satisfies both bounds;
    30 halvings of [−1/√c, 0] place it within 3e-9 of the furthest feasible point.

    With G the quadratic, a total-variance-linear wing started at m has Durrleman value
    ((1 − c·m²)/G)² − α²G'² − (α²·scale·G·G')²/4 there (and more further out), and variance
    slope α²·scale·2G|G'| per unit |ln K|. Both bounds tighten monotonically away from the money.
    """
    alpha, scale, s, c = np.broadcast_arrays(_arr(alpha), _arr(scale), _arr(s), _arr(c))
    lo = np.array(-1.0 / np.sqrt(c))  # (1 − c·m²) = 0 here: never feasible
    hi = np.zeros(alpha.shape)
    a2 = alpha * alpha
    # The loop runs on small arrays, where each numpy call costs more than its arithmetic: the
    # factors that do not change are taken out and every step writes into a buffer. Products
    # are grouped as in G = 1 + s·m + c·m·m (`_core`), D = ((1 − c·m·m)/G)² − α²·G'·G' −
    # (α²·scale·G·G')²/4 and α²·scale·2·G·(−G'), left to right, so every bit is as before.
    a2_scale = a2 * scale
    a2_scale_2 = a2_scale * 2.0
    c_2 = 2.0 * c
    mid, cmm, g, gp, durrleman, term = (np.empty(alpha.shape) for _ in range(6))
    ok, steep = np.empty(alpha.shape, dtype=bool), np.empty(alpha.shape, dtype=bool)
    for _ in range(iterations):
        np.add(lo, hi, out=mid)
        mid *= 0.5
        np.multiply(c, mid, out=cmm)
        cmm *= mid  # c·m·m
        np.multiply(s, mid, out=g)
        g += 1.0
        g += cmm  # G
        np.multiply(c_2, mid, out=gp)
        gp += s  # G'
        np.subtract(1.0, cmm, out=durrleman)
        durrleman /= g
        np.square(durrleman, out=durrleman)
        np.multiply(a2, gp, out=term)
        term *= gp
        durrleman -= term
        np.multiply(a2_scale, g, out=term)
        term *= gp
        np.square(term, out=term)
        term /= 4.0
        durrleman -= term
        np.greater_equal(durrleman, p.wing_margin, out=ok)
        np.multiply(a2_scale_2, g, out=term)
        np.negative(gp, out=gp)
        term *= gp
        np.less_equal(term, p.max_wing_slope, out=steep)
        ok &= steep
        np.copyto(hi, mid, where=ok)
        np.invert(ok, out=ok)
        np.copyto(lo, mid, where=ok)
    return hi


def _wing_start_unique(alpha, scale, s, c, p: SkewParams) -> np.ndarray:
    """`_put_wing_start` once per distinct (α, scale, s, c): options of one expiry share it."""
    alpha, scale, s, c = np.broadcast_arrays(_arr(alpha), _arr(scale), _arr(s), _arr(c))
    if alpha.size <= 1024:  # below this, grouping costs more than it saves
        return _put_wing_start(alpha, scale, s, c, p)
    first, _ = pd.factorize((alpha + 1j * scale).ravel())  # NaN pairs get code −1
    second, shapes = pd.factorize((s + 1j * c).ravel())
    codes, uniq = pd.factorize(first.astype(np.int64) * (len(shapes) + 1) + second)
    codes = np.where((first < 0) | (second < 0), -1, codes)
    if len(uniq) > alpha.size // 4:
        return _put_wing_start(alpha, scale, s, c, p)
    flat = [x.ravel() for x in (alpha, scale, s, c)]
    pick = np.zeros(len(uniq), dtype=np.int64)
    pick[codes[codes >= 0]] = np.flatnonzero(codes >= 0)  # one representative per group
    start = np.append(_put_wing_start(*(x[pick] for x in flat), p), np.nan)
    return start[codes].reshape(alpha.shape)


def _smile(m, alpha, scale, s, c, cc, p: SkewParams):
    """G(m), G'(m), G''(m) of the smile multiplier (one-sided second derivative at the joins)."""
    m = _arr(m)
    mj = _wing_start_unique(alpha, scale, s, c, p)
    # core (quadratic)
    g, gp = _core(m, s, c)
    gpp = np.broadcast_to(2.0 * c, np.shape(g))
    # call side
    mv = -s / (2.0 * cc)
    mc = np.minimum(m, mv)
    g_call = 1.0 + s * mc + cc * mc * mc
    gp_call = np.where(m < mv, s + 2.0 * cc * mc, 0.0)
    gpp_call = np.where(m < mv, 2.0 * cc, 0.0)
    # put wing: H = G² linear in m, tangent to the core at m_J
    gj, gpj = _core(mj, s, c)
    slope = 2.0 * gj * -gpj
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        g_wing = np.sqrt(gj * gj + slope * (mj - m))
        gp_wing = -slope / (2.0 * g_wing)
        gpp_wing = -(gp_wing**2) / g_wing
    wing = m < mj
    call = m > 0.0
    out = []
    for core_v, call_v, wing_v in (
        (g, g_call, g_wing),
        (gp, gp_call, gp_wing),
        (gpp, gpp_call, gpp_wing),
    ):
        out.append(np.where(call, call_v, np.where(wing, wing_v, core_v)))
    return out[0], out[1], out[2]


def _standardise(strike, forward, tau, atm, vix):
    """m, α = σ_atm√τ/scale and scale = √τ·VIX/15, with τ ≤ 0 mapped to NaN."""
    tau = _arr(tau)
    tau_pos = np.where(tau > 0.0, tau, np.nan)
    scale = np.sqrt(tau_pos) * _arr(vix) / 15.0
    m = np.log(_arr(strike) / _arr(forward)) / scale
    alpha = 15.0 * _arr(atm) / _arr(vix)
    return m, alpha, scale


def spx_implied_vol(
    strike, forward, tau, atm_vol, vix, params: SkewParams | None = None
) -> np.ndarray:
    """SPX implied vol (decimal) at `strike` (method §2.1): `atm_vol`·G(m), m = ln(K/F)/(√τ·VIX/15).

    `atm_vol` is the tenor's ATM vol (see `atm_vol`), `vix` spot VIX in points; G is described in
    `SkewParams`. Free of static arbitrage in strike for VIX 9..90 and τ up to a year (tested).
    For τ ≤ 0 the ATM vol is returned (the option is worth its intrinsic value anyway).
    All arguments broadcast.
    """
    p = params or SkewParams()
    m, alpha, scale = _standardise(strike, forward, tau, atm_vol, vix)
    g = _smile(m, alpha, scale, *p.shape(tau, vix), p)[0]
    atm, tau = _arr(atm_vol), _arr(tau)
    return np.where(tau > 0.0, atm * g, np.where(tau <= 0.0, atm, np.nan))


def spx_durrleman(
    strike, forward, tau, atm_vol, vix, params: SkewParams | None = None
) -> np.ndarray:
    """Durrleman's function g(k) of the smile (≥ 0 everywhere ⇔ no butterfly arbitrage).

    In standardised moneyness, with w = α²·scale²·G², this is
    g = (1 − m·G'/G)² + α²·G·G'' − (α²·scale·G·G')²/4 (Gatheral & Jacquier 2014, Lemma 2.2).
    """
    p = params or SkewParams()
    m, alpha, scale = _standardise(strike, forward, tau, atm_vol, vix)
    g, gp, gpp = _smile(m, alpha, scale, *p.shape(tau, vix), p)
    a2 = alpha * alpha
    return (1.0 - m * gp / g) ** 2 + a2 * g * gpp - (a2 * scale * g * gp) ** 2 / 4.0


def strike_arbitrage(strikes, prices, is_call: bool, tol: float = 1e-9) -> dict[str, float | int]:
    """Static-arbitrage check of prices on an increasing strike grid (last axis).

    Calls must be non-increasing and convex, puts non-decreasing and convex. Returns the worst
    monotonicity breach (price change between neighbouring strikes), the worst convexity breach
    (drop of the slope between neighbouring intervals) and the number of breaches of either kind
    beyond `tol`. Works on non-uniform grids and on stacks of grids.
    """
    k = np.asarray(strikes, dtype=float)
    v = np.asarray(prices, dtype=float)
    slope = np.diff(v, axis=-1) / np.diff(k, axis=-1)
    mono = slope if is_call else -slope  # must be <= 0
    conv = -np.diff(slope, axis=-1)  # must be <= 0
    mono_breach = np.max(mono * np.diff(k, axis=-1), initial=0.0)
    return {
        "worst_monotonicity": float(max(mono_breach, 0.0)),
        "worst_convexity": float(max(np.max(conv, initial=0.0), 0.0)),
        "n_breaches": int((mono * np.diff(k, axis=-1) > tol).sum() + (conv > tol).sum()),
    }


# Method §2.1 public reference points: (K/F, implied vol − VIX in vol points) for a 1-month
# option at VIX ≈ 15.
SPX_SKEW_REFERENCE = ((0.95, 2.0), (0.90, 7.0), (0.80, 18.0))


@dataclass(frozen=True)
class SkewFit:
    """Result of `fit_skew_to_reference`: the parameters and one row per reference point."""

    params: SkewParams
    table: pd.DataFrame  # moneyness, m, target_vol, model_vol, error (vol points)


def fit_skew_to_reference(
    points=SPX_SKEW_REFERENCE,
    vix: float = 15.0,
    tau: float = 30.0 / DAYS_PER_YEAR,
    atm_ratio: float = 0.85,
    base: SkewParams | None = None,
) -> SkewFit:
    """Least-squares fit of s and c (vol points) to the §2.1 reference points.

    `base` supplies floor and wing settings (defaults of `SkewParams`) and the fit starts from
    it; the result has no tenor or VIX dependence (one reference point cannot show any).
    """
    base = replace(base or SkewParams(), s_tenor=0.0, s_vix=0.0, c_tenor=0.0, c_vix=0.0)
    kf = np.array([p[0] for p in points], dtype=float)
    target = vix + np.array([p[1] for p in points], dtype=float)
    atm = atm_ratio * vix / 100.0

    def model(x) -> np.ndarray:
        p = replace(base, s=float(x[0]), c=float(x[1]))
        return 100.0 * spx_implied_vol(kf, 1.0, tau, atm, vix, p)

    sol = least_squares(
        lambda x: model(x) - target, x0=[base.s, base.c], bounds=([-10, 1e-4], [-1e-4, 10])
    )
    params = replace(base, s=float(sol.x[0]), c=float(sol.x[1]))
    fitted = model(sol.x)
    table = pd.DataFrame(
        {
            "moneyness": kf,
            "m": np.log(kf) / (np.sqrt(tau) * vix / 15.0),
            "target_vol": target,
            "model_vol": fitted,
            "error": fitted - target,
        }
    )
    return SkewFit(params, table)


# =============================================================================================
# §2.2 VIX futures curve
# =============================================================================================


@dataclass(frozen=True)
class VxCurveParams:
    """Mean-reversion curve F(τ) = θ + (VIX − θ)·e^{−κτ} (method §2.2), plus the convexity
    factor of the term-structure forward (`term_structure_vx_forward`).

    Defaults: least-squares fits on the bundled 2007–2026 VX settlements. `kappa` fits the
    curve's *level*; `shock_kappa` fits its daily *changes* (`fit_vx_shock_kappa`) and is what
    hedge sensitivities (§4.2) and explicit VIX shocks (§4.4) use: measured, a one-month future
    moves 0.66 per VIX point, not the 0.88 the level fit implies (docs/market-model.md).
    """

    theta: float = 24.739
    kappa: float = 1.5595
    term_convexity: float = 0.9366
    shock_kappa: float = 5.017


@dataclass(frozen=True)
class VxFitStats:
    """What a VX curve fit used and how well it fits (errors = model − observed, VX points)."""

    n_obs: int
    n_days: int
    first_date: date
    last_date: date
    mean_error: float
    mae: float
    rmse: float


class VxForward(NamedTuple):
    """A VX forward for one option expiry and where it came from.

    `source`: "observed" (a listed contract's settlement or an interpolation between two),
    "observed_flat" (flat beyond the listed contracts), "term_structure" (forward variance of the
    VIX family) or "model" (mean reversion).
    """

    forward: float
    source: str
    tau: float


def model_vx_curve(vix, tau, theta: float, kappa: float) -> np.ndarray:
    """θ + (VIX − θ)·e^{−κτ} (method §2.2); broadcasts."""
    return theta + (_arr(vix) - theta) * np.exp(-kappa * _arr(tau))


def model_vx_dvix(tau, kappa: float) -> np.ndarray:
    """∂F/∂VIX = e^{−κτ} under the mean-reversion model (method §4.2)."""
    return np.exp(-kappa * _arr(tau))


def shift_vx_curve(forward, tau, d_vix, kappa: float) -> np.ndarray:
    """Futures after a spot-VIX shock of `d_vix` points: F + d_vix·e^{−κτ} (method §4.4)."""
    return _arr(forward) + _arr(d_vix) * model_vx_dvix(tau, kappa)


def _contracts(df: pd.DataFrame) -> pd.DataFrame:
    need = {"date", "expiry", "settle"}
    missing = need - set(df.columns)
    if missing:
        raise ValueError(f"futures frame lacks columns {sorted(missing)}")
    out = pd.DataFrame(
        {
            "date": pd.to_datetime(df["date"]).dt.normalize(),
            "expiry": pd.to_datetime(df["expiry"]).dt.normalize(),
            "settle": pd.to_numeric(df["settle"], errors="coerce"),
        }
    )
    out = out[np.isfinite(out["settle"]) & (out["settle"] > 0)]
    out["tau"] = (out["expiry"] - out["date"]).dt.days / DAYS_PER_YEAR
    return out


def _with_vix(contracts: pd.DataFrame, vix_series: pd.Series) -> pd.DataFrame:
    vix = pd.Series(vix_series.to_numpy(dtype=float), index=pd.to_datetime(vix_series.index))
    vix = vix[~vix.index.duplicated()].dropna()
    out = contracts.assign(vix=contracts["date"].map(vix))
    return out.dropna(subset=["vix"])


def _error_stats(err: np.ndarray) -> tuple[float, float, float]:
    if err.size == 0:
        return (np.nan, np.nan, np.nan)
    return (float(err.mean()), float(np.abs(err).mean()), float(np.sqrt((err**2).mean())))


def fit_vx_mean_reversion(
    futures_long_df: pd.DataFrame, vix_series: pd.Series, max_tau: float | None = None
) -> tuple[float, float, VxFitStats]:
    """Least-squares θ and κ of F(τ) = θ + (VIX − θ)e^{−κτ} over every (date, contract) pair.

    `futures_long_df` has one row per (date, contract) with `date`, `expiry`, `settle`;
    `vix_series` is spot VIX indexed by date. τ = calendar days to the contract's expiry / 365;
    expiring contracts (τ = 0, settled on the special opening quotation) are left out, as are
    dates without a VIX close and contracts beyond `max_tau` years when given.
    """
    d = _with_vix(_contracts(futures_long_df), vix_series)
    d = d[d["tau"] > 0]
    if max_tau is not None:
        d = d[d["tau"] <= max_tau]
    if len(d) < 3:
        raise ValueError("need at least 3 futures observations with a VIX close to fit θ and κ")
    vix, tau, obs = (d[c].to_numpy(dtype=float) for c in ("vix", "tau", "settle"))

    def resid(x):
        return model_vx_curve(vix, tau, x[0], x[1]) - obs

    sol = least_squares(resid, x0=[float(obs.mean()), 2.0], bounds=([0.0, 1e-6], [200.0, 100.0]))
    theta, kappa = (float(v) for v in sol.x)
    stats = VxFitStats(
        len(d),
        int(d["date"].nunique()),
        d["date"].min().date(),
        d["date"].max().date(),
        *_error_stats(resid(sol.x)),
    )
    return theta, kappa, stats


def fit_vx_shock_kappa(
    futures_long_df: pd.DataFrame, vix_series: pd.Series
) -> tuple[float, VxFitStats]:
    """κ that best maps daily spot-VIX changes into futures changes: ΔF ≈ e^{−κτ}·ΔVIX.

    Least squares over every contract's day-over-day settlement change (consecutive sessions of
    the same contract, τ > 0 on both days). This is the sensitivity κ of §4.2 and §4.4 measured
    on changes, as opposed to `fit_vx_mean_reversion`, which fits levels. Errors in VX points.
    """
    d = _with_vix(_contracts(futures_long_df), vix_series)
    d = d[d["tau"] > 0].sort_values(["expiry", "date"])
    g = d.groupby("expiry")
    d = d.assign(d_f=g["settle"].diff(), d_vix=g["vix"].diff()).dropna(subset=["d_f", "d_vix"])
    if len(d) < 3:
        raise ValueError("need at least 3 day-over-day futures changes to fit κ")
    tau, d_f, d_vix = (d[c].to_numpy(dtype=float) for c in ("tau", "d_f", "d_vix"))

    def resid(x):
        return np.exp(-x[0] * tau) * d_vix - d_f

    sol = least_squares(resid, x0=[2.0], bounds=([0.0], [200.0]))
    stats = VxFitStats(
        len(d),
        int(d["date"].nunique()),
        d["date"].min().date(),
        d["date"].max().date(),
        *_error_stats(resid(sol.x)),
    )
    return float(sol.x[0]), stats


def front_contracts(futures_long_df: pd.DataFrame, n: int = 2) -> pd.DataFrame:
    """VX1..VXn per date: contracts with expiry strictly after the date, ranked by expiry.

    Unlike the bundled continuous file, the contract expiring on the date is not VX1 there: its
    settlement is the special opening quotation, not a point on the curve.
    """
    d = _contracts(futures_long_df)
    d = d[d["tau"] > 0].sort_values(["date", "expiry"])
    d["rank"] = d.groupby("date").cumcount() + 1
    return d[d["rank"] <= n].reset_index(drop=True)


def vx_model_errors(
    futures_long_df: pd.DataFrame,
    vix_series: pd.Series,
    theta: float,
    kappa: float,
    windows: Mapping[str, tuple[DateLike, DateLike]] | None = None,
    model: Callable[[pd.DataFrame], np.ndarray] | None = None,
) -> pd.DataFrame:
    """Error of the modelled VX1 and VX2 against settlements, overall and inside `windows`.

    One row per (window, contract): n, mean_error, mae, rmse (model − observed, VX points).
    `model` maps the frame of front contracts (columns date, expiry, tau, vix, settle, ...) to
    modelled settlements; the default is the mean-reversion curve with θ, κ.
    """
    d = _with_vix(front_contracts(futures_long_df, n=2), vix_series)
    if model is None:
        d["model"] = model_vx_curve(d["vix"].to_numpy(), d["tau"].to_numpy(), theta, kappa)
    else:
        d["model"] = np.asarray(model(d), dtype=float)
    d["err"] = d["model"] - d["settle"]
    spans: dict[str, tuple[DateLike | None, DateLike | None]] = {"overall": (None, None)}
    spans.update(windows or {})
    rows = []
    for name, (start, end) in spans.items():
        inside = np.ones(len(d), dtype=bool)
        if start is not None:
            inside &= (d["date"] >= _ts(start)).to_numpy()
        if end is not None:
            inside &= (d["date"] <= _ts(end)).to_numpy()
        for rank in (1, 2):
            err = d.loc[inside & (d["rank"] == rank).to_numpy(), "err"].dropna().to_numpy()
            mean, mae, rmse = _error_stats(err)
            rows.append(
                {
                    "window": name,
                    "contract": f"VX{rank}",
                    "n": int(err.size),
                    "mean_error": mean,
                    "mae": mae,
                    "rmse": rmse,
                }
            )
    return pd.DataFrame(rows)


def _floats(column: pd.Series) -> np.ndarray:
    """A column as floats, text that is no number as NaN (numbers pass without a parse)."""
    if pd.api.types.is_float_dtype(column.dtype):
        return column.to_numpy(dtype=float)
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)


def _days(column: pd.Series) -> np.ndarray:
    """A column of dates or timestamps as datetime64[D] (the day of each)."""
    if not pd.api.types.is_datetime64_dtype(column.dtype):
        column = pd.to_datetime(column)
    return column.to_numpy(dtype="datetime64[D]")


def _observed_interp(contracts_on_day: pd.DataFrame, expiry: DateLike) -> tuple[float, str]:
    d = contracts_on_day
    settle = _floats(d["settle"])
    exp = _days(d["expiry"])
    ok = np.isfinite(settle) & (settle > 0)
    if not ok.any():
        return (np.nan, "none")
    order = np.argsort(exp[ok], kind="stable")
    x = exp[ok][order].astype("datetime64[D]").astype(np.int64).astype(float)
    y = settle[ok][order]
    t = float(np.datetime64(_ts(expiry), "D").astype(np.int64))
    source = "observed" if x[0] <= t <= x[-1] else "observed_flat"
    return (float(np.interp(t, x, y)), source)  # np.interp is flat beyond the ends


def observed_vx_for_expiry(contracts_on_day_df: pd.DataFrame, expiry: DateLike) -> float:
    """VX forward for an option expiring on `expiry`, from one day's listed contracts.

    Settlements are interpolated linearly in calendar time between the bracketing contracts
    (exact at a listed expiry) and held flat beyond the first and last; NaN without contracts.
    """
    return _observed_interp(contracts_on_day_df, expiry)[0]


def term_structure_vx_forward(
    tau, vix, vix9d=None, vix3m=None, vix6m=None, vix1y=None, convexity: float = 1.0
) -> np.ndarray:
    """VX forward from the VIX term structure: convexity × forward 30-day vol at τ, in points.

    Forward variance between τ and τ + 30 d from the VIX family's total variance (linear in time
    between 9 d, 30 d, 93 d, 183 d, 365 d pillars, flat vol beyond); `convexity` < 1 stands for
    the futures' convexity discount (fitted by `fit_vx_term_convexity`). NaN unless VIX3M, VIX6M
    or VIX1Y is present (with VIX alone the curve would be flat).
    """
    tau = _arr(tau)
    levels = tuple(_arr(x) for x in (vix9d, vix, vix3m, vix6m, vix1y))
    t2 = tau + _VIX_WINDOW_DAYS / DAYS_PER_YEAR
    x1 = _interp_total_variance(tau, _VX_TERM_DAYS, levels)
    x2 = _interp_total_variance(t2, _VX_TERM_DAYS, levels)
    with np.errstate(invalid="ignore"):
        fwd_var = (x2**2 * t2 - np.where(tau > 0, x1**2 * tau, 0.0)) * DAYS_PER_YEAR / 30.0
        fwd = convexity * np.sqrt(np.maximum(fwd_var, 0.0))
    longer = np.isfinite(levels[2]) | np.isfinite(levels[3]) | np.isfinite(levels[4])
    return np.where(longer & np.isfinite(levels[1]), fwd, np.nan)


def fit_vx_term_convexity(
    futures_long_df: pd.DataFrame, vol_indices_df: pd.DataFrame
) -> tuple[float, VxFitStats]:
    """Least-squares convexity factor c in settle ≈ c · `term_structure_vx_forward`.

    `vol_indices_df` has a `date` column and vix, vix9d, vix3m, vix6m, vix1y (missing → NaN).
    """
    d = _term_frame(_contracts(futures_long_df), vol_indices_df)
    d = d[d["tau"] > 0]
    raw = _term_forward(d, 1.0)
    ok = np.isfinite(raw)
    raw, obs = raw[ok], d["settle"].to_numpy(dtype=float)[ok]
    c = float((raw * obs).sum() / (raw * raw).sum())
    dates = d.loc[ok, "date"]
    stats = VxFitStats(
        int(ok.sum()),
        int(dates.nunique()),
        dates.min().date(),
        dates.max().date(),
        *_error_stats(c * raw - obs),
    )
    return c, stats


_TERM_COLUMNS = ("vix", "vix9d", "vix3m", "vix6m", "vix1y")


def _term_frame(contracts: pd.DataFrame, vol_indices_df: pd.DataFrame) -> pd.DataFrame:
    v = vol_indices_df.copy()
    v["date"] = pd.to_datetime(v["date"]).dt.normalize()
    for c in _TERM_COLUMNS:
        if c not in v.columns:
            v[c] = np.nan
    v = v.drop_duplicates("date").set_index("date")[list(_TERM_COLUMNS)]
    out = contracts.join(v, on="date", rsuffix="_idx")
    return out.dropna(subset=["vix"])


def _term_forward(d: pd.DataFrame, convexity: float) -> np.ndarray:
    cols = {c: d[c].to_numpy(dtype=float) for c in _TERM_COLUMNS}
    return term_structure_vx_forward(d["tau"].to_numpy(dtype=float), convexity=convexity, **cols)


def vx_curve(
    as_of: DateLike,
    expiry: DateLike,
    vix: float,
    observed: pd.DataFrame | None = None,
    params: VxCurveParams | None = None,
    *,
    term: Mapping[str, float] | None = None,
) -> VxForward:
    """VX forward for an option expiring on `expiry`, seen at the close of `as_of` (method §2.2).

    Observed settlements win when `observed` has contracts on `as_of` (rows with a `date`
    column are filtered to `as_of`; a frame without one is taken as that day's contracts).
    Otherwise the VIX term structure when `term` holds VIX3M, VIX6M or VIX1Y (keys vix9d, vix3m,
    vix6m, vix1y), else the mean-reversion model. Raises ValueError for an expiry before as_of.
    """
    p = params or VxCurveParams()
    t0, t1 = _ts(as_of), _ts(expiry)
    tau = (t1 - t0).days / DAYS_PER_YEAR
    if tau < 0:
        raise ValueError(f"expiry {t1.date()} is before as_of {t0.date()}")
    if observed is not None and len(observed):
        day = observed
        if "date" in observed.columns:
            on_day = _days(observed["date"]) == np.datetime64(t0, "D")
            day = observed if on_day.all() else observed[on_day]
        if len(day):
            value, source = _observed_interp(day, t1)
            if np.isfinite(value):
                return VxForward(value, source, tau)
    if term is not None:
        levels = {k: term.get(k) for k in ("vix9d", "vix3m", "vix6m", "vix1y")}
        value = float(term_structure_vx_forward(tau, vix, convexity=p.term_convexity, **levels))
        if np.isfinite(value):
            return VxForward(value, "term_structure", tau)
    return VxForward(float(model_vx_curve(vix, tau, p.theta, p.kappa)), "model", tau)


# =============================================================================================
# §2.3 VIX options
# =============================================================================================


@dataclass(frozen=True)
class VixSkew:
    """Upward VIX-option skew in x = ln(K/F) (method §2.3).

    σ(x) = L·(1 + b·w·(tanh(x/w) − tanh(x_a/w))), L the calibrated level. `slope` is the
    relative slope b at the money, `width` w the log-moneyness over which it saturates (bounded
    vol, so Lee's bound holds). b is cut to `max_total_slope`/(L√τ) so the slope of total vol σ√τ
    in ln K never exceeds `max_total_slope` (long or very volatile tenors), which keeps call
    prices decreasing and convex. `anchor` says where σ = L: "atm" (x_a = 0) or "delta30" (x_a = the
    log-moneyness of a 30-delta call at flat vol L, where the VXTH replication calibrated L).
    A judgement, not a fit: no public VIX option chains are bundled (docs/market-model.md).
    """

    slope: float = 0.8
    width: float = 1.0
    max_total_slope: float = 0.3
    anchor: str = "delta30"
    # The level's term structure beyond one month: L·(τ/30 d)^level_tenor for τ in 30 d..1 y
    # (flat below 30 d, where the VXTH calibration sits). Fitted on the 2016-06-01 VIX option
    # quotes (docs/market-model.md): 0 would price a six-month call ~25 % too rich in vol.
    level_tenor: float = -0.1719

    def __post_init__(self) -> None:
        if not (self.slope >= 0 and self.width > 0 and self.slope * self.width < 1.0):
            raise ValueError(f"need slope >= 0, width > 0 and slope·width < 1, got {self}")
        if not self.max_total_slope > 0:
            raise ValueError(f"max_total_slope must be > 0, got {self.max_total_slope}")
        if self.anchor not in ("atm", "delta30"):
            raise ValueError(f"anchor must be 'atm' or 'delta30', got {self.anchor!r}")


_N_INV_070 = 0.5244005127080407  # N⁻¹(0.70): a 30-delta call has d1 = −0.5244
_MIN_VOL_RATIO = 0.1


def vix_option_vol(
    strike,
    forward,
    tau,
    vvix=None,
    default: float = 0.90,
    vvix_multiplier: float = 1.2,
    skew: VixSkew | None = None,
) -> np.ndarray:
    """Black-76 vol (decimal) of a VIX option on the same-expiry VX future `forward` (§2.3).

    Level L = `vvix_multiplier`·VVIX/100 (1.2: the public VXTH replication), or `default` where
    VVIX is missing/NaN; σ = L at the money (or at the 30-delta point with
    ``VixSkew(anchor="delta30")``), the `VixSkew` elsewhere. Never pass spot VIX as `forward`.
    """
    sk = skew or VixSkew()
    vv = _arr(vvix)
    level = np.where(np.isfinite(vv), vvix_multiplier * vv / 100.0, default)
    tau = _arr(tau)
    if sk.level_tenor:
        months = np.clip(tau * DAYS_PER_YEAR, _VIX_WINDOW_DAYS, DAYS_PER_YEAR) / _VIX_WINDOW_DAYS
        level = level * months**sk.level_tenor
    with np.errstate(divide="ignore", invalid="ignore"):
        total = level * np.sqrt(np.maximum(tau, 0.0))
        b = np.where(total > 0, np.minimum(sk.slope, sk.max_total_slope / total), sk.slope)
        x = np.log(_arr(strike) / _arr(forward))
    w = sk.width
    x_a = _N_INV_070 * total + 0.5 * total * total if sk.anchor == "delta30" else 0.0
    t_a = np.tanh(x_a / w)
    # Far below an anchor above the money the vol would approach L·(1 − b·w·(1 + t_a)); keep it
    # at least _MIN_VOL_RATIO·L (binds only for the delta30 anchor near the slope cap).
    b = np.minimum(b, (1.0 - _MIN_VOL_RATIO) / (w * (1.0 + t_a)))
    return level * (1.0 + b * w * (np.tanh(x / w) - t_a))


def vix_strike_grid(low: float, high: float) -> np.ndarray:
    """Listed-style VIX strikes in [low, high]: 0.5 apart below 20, 1 apart from 20 (§1)."""
    low = max(0.5, float(np.ceil(low * 2.0) / 2.0))
    half = np.arange(low, min(high, 20.0) - 1e-9, 0.5) if low < 20.0 else np.empty(0)
    whole = np.arange(max(20.0, np.ceil(low)), high + 1e-9, 1.0)
    return np.concatenate([half, whole])


class VixStrike(NamedTuple):
    """A chosen VIX call strike with its Black-76 delta (discounted) and vol."""

    strike: float
    delta: float
    vol: float


def vix_call_strike_for_delta(
    forward: float,
    tau: float,
    rate: float,
    vol_fn: Callable[[np.ndarray], np.ndarray],
    target_delta: float = 0.30,
) -> VixStrike:
    """The grid strike whose Black-76 call delta is nearest `target_delta` (method §6.1, VXTH).

    `vol_fn(strikes)` gives the vol per strike, e.g.
    ``lambda k: vix_option_vol(k, forward, tau, vvix)``. Ties go to the higher strike.
    """
    if not (forward > 0 and tau > 0):
        raise ValueError(f"need forward > 0 and tau > 0, got forward={forward}, tau={tau}")
    strikes = vix_strike_grid(0.5 * forward, 4.0 * forward + 1.0)
    vols = np.asarray(vol_fn(strikes), dtype=float)
    delta = black76_greeks(forward, strikes, tau, rate, vols, True).delta
    gap = np.abs(delta - target_delta)
    i = int(np.flatnonzero(gap <= gap.min() + 1e-12)[-1])
    return VixStrike(float(strikes[i]), float(delta[i]), float(vols[i]))


# =============================================================================================
# §2.4 VIX response to SPX moves
# =============================================================================================


@dataclass(frozen=True)
class VixResponse:
    """Δln VIX = a + b·r fitted separately on SPX down days (r < 0) and up days (r ≥ 0)."""

    down_slope: float
    down_intercept: float
    down_r2: float
    n_down: int
    up_slope: float
    up_intercept: float
    up_r2: float
    n_up: int
    first_date: date
    last_date: date


def fit_vix_response(spx_close: pd.Series, vix_close: pd.Series) -> VixResponse:
    """Regress daily log VIX changes on SPX simple returns, down and up days apart (§2.4).

    Both series are indexed by date; only dates present in both count (VIX prints on exchange
    holidays drop out), and each change runs from the previous common date.
    """
    return fit_vix_response_pairs(*vix_response_pairs(spx_close, vix_close))


def vix_response_pairs(
    spx_close: pd.Series, vix_close: pd.Series
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The §2.4 regression's data: the dates with both closes (datetime64[D], ascending), and
    per change between consecutive ones the SPX simple return and the log VIX change. The data
    of an earlier cut of both series is a prefix of these arrays, bit for bit."""
    both = pd.concat(
        [spx_close.rename("spx"), vix_close.rename("vix")], axis=1, join="inner"
    ).dropna()
    both = both[(both["spx"] > 0) & (both["vix"] > 0)].sort_index()
    r = both["spx"].pct_change().to_numpy()[1:]
    y = np.diff(np.log(both["vix"].to_numpy()))
    return pd.to_datetime(both.index).to_numpy(dtype="datetime64[D]"), r, y


def fit_vix_response_pairs(dates: np.ndarray, r: np.ndarray, y: np.ndarray) -> VixResponse:
    """`fit_vix_response` on `vix_response_pairs`' arrays."""
    return vix_response_on(VixResponseSums.of(r, y), dates, len(dates))


@dataclass(frozen=True, eq=False)
class VixResponseSums:
    """Running sums behind the two §2.4 regressions: `sums[side, term, k]` for down days
    (side 0, r < 0) and up days over the changes 0..k, the terms the count and the sums of x,
    y, x², x·y, y² with x = r − x₀, y − y₀; `origin[side]` = (x₀, y₀), the side's first change
    (centred sums keep the cancellation in the least-squares formulas small). A day's
    regression is one column: the same bits whichever later day the sums were computed to."""

    origin: np.ndarray  # (2, 2)
    sums: np.ndarray  # (2, 6, changes)

    @classmethod
    def of(cls, r: np.ndarray, y: np.ndarray) -> VixResponseSums:
        """The sums of the changes `r` (SPX returns) and `y` (log VIX changes)."""
        origin = np.zeros((2, 2))
        sums = np.zeros((2, 6, len(r)))
        for side, mine in enumerate((r < 0, r >= 0)):
            first = np.flatnonzero(mine)[:1]
            if len(first):
                origin[side] = r[first[0]], y[first[0]]
            x = np.where(mine, r - origin[side, 0], 0.0)
            v = np.where(mine, y - origin[side, 1], 0.0)
            for term, values in enumerate((mine.astype(float), x, v, x * x, x * v, v * v)):
                np.cumsum(values, out=sums[side, term])
        return cls(origin, sums)


def vix_response_on(sums: VixResponseSums, dates: np.ndarray, known: int) -> VixResponse:
    """The §2.4 fit on the first `known` of `dates` (so on `known − 1` changes): least squares
    of Δln VIX = a + b·r per side, from the `sums` of `dates`' changes (or more of them)."""
    last = known - 2  # the column of the last change
    counts = sums.sums[:, 0, last] if last >= 0 else np.zeros(2)
    if counts[0] < 3 or counts[1] < 3:
        raise ValueError("need at least 3 down days and 3 up days to fit the VIX response")
    fits = []
    for side in (0, 1):
        n, sx, sy, sxx, sxy, syy = (float(v) for v in sums.sums[side, :, last])
        x0, y0 = (float(v) for v in sums.origin[side])
        mean_x, mean_y = sx / n, sy / n
        cxx, cxy, cyy = sxx - sx * mean_x, sxy - sx * mean_y, syy - sy * mean_y
        slope = cxy / cxx
        intercept = (y0 + mean_y) - slope * (x0 + mean_x)
        fits.append((slope, intercept, cxy * cxy / (cxx * cyy), int(n)))
    (d_slope, d_icpt, d_r2, n_down), (u_slope, u_icpt, u_r2, n_up) = fits
    return VixResponse(
        d_slope,
        d_icpt,
        d_r2,
        n_down,
        u_slope,
        u_icpt,
        u_r2,
        n_up,
        dates[0].item(),
        dates[known - 1].item(),
    )


# Highest VIX the §2.4 response may reach (points). The regression is daily and log-linear, so
# applied to a −25 % shock at VIX 82.69 (2020-03-16) it gave 238.6, a level VIX has never come
# near: its highest print is 89.53 intraday (2008-10-24), its highest close 82.69. 90 lies just
# above both and is the top of the VIX range on which the §2.1 surface is tested arbitrage-free.
VIX_RESPONSE_CAP = 90.0


def apply_vix_response(
    vix,
    spx_return,
    fit: VixResponse,
    include_intercept: bool = False,
    cap: float = VIX_RESPONSE_CAP,
) -> np.ndarray:
    """VIX after an SPX move of `spx_return` (simple, e.g. −0.05): VIX·exp(b·r [+ a]), capped.

    The intercepts are left out by default so a 0 % move leaves VIX unchanged (they are a
    day-of-week-sized drift, not a response). The result never exceeds `cap`
    (`VIX_RESPONSE_CAP`) unless VIX is already above it, where a move never raises it further.
    Broadcasts.
    """
    r = _arr(spx_return)
    vix = _arr(vix)
    slope = np.where(r < 0, fit.down_slope, fit.up_slope)
    change = slope * r
    if include_intercept:
        change = change + np.where(r < 0, fit.down_intercept, fit.up_intercept)
    return np.minimum(vix * np.exp(change), np.maximum(cap, vix))
