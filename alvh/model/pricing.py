"""Vectorised European option pricing: Black–Scholes–Merton, Black-76, greeks and implied vol.

Method §2 prices every option with a model because no free historical option chains exist:
SPX options (European, cash-settled, §1) with Black–Scholes–Merton under a continuous risk-free
rate ``r`` and dividend yield ``q`` (§1 rates; §2.1 supplies the volatility), and VIX options with
Black-76 on the *same-expiry VIX future* (§2.3: never off spot VIX).

Units. Everything here is per ONE unit of the underlying, with volatility as a decimal and time
in years (``tau``, e.g. calendar days / 365):

* ``delta`` = dV/dS (dV/dF for Black-76), ``gamma`` = d²V/dS²,
* ``vega`` = dV/dσ per 1.00 of volatility,
* ``theta`` = dV/dt per YEAR of calendar time passing (= −dV/dτ, usually negative for a long
  option).

§1's dollar greeks (delta per SPX point, vega per volatility point, theta per calendar day, all
times the multiplier 100) are the caller's rescaling: ``100·delta``, ``100·vega/100``,
``100·theta/365``.

Degenerate inputs (documented, never a silent NaN for valid input):

* ``tau == 0`` (expiry today): price = intrinsic ``max(w(S−K), 0)``; delta is the step 0/±1 with
  ±0.5 exactly at the money; gamma = vega = theta = 0.
* ``vol == 0`` with ``tau > 0``: price = discounted intrinsic of the forward
  ``max(w(S·e^{−qτ} − K·e^{−rτ}), 0)``; delta, vega and theta are the one-sided limits σ→0⁺
  (delta a step with the same 0.5 convention at the money-forward); gamma = 0 (its limit is a Dirac
  mass at the forward, which no finite number represents).
* Invalid input (spot or strike ≤ 0, ``tau < 0``, ``vol < 0``, any non-finite number) gives NaN
  in every output: an option past expiry has no model value.

Speed. One kernel (`_bsm_chunk`) computes price and the four greeks for a block of options that
fits in the CPU cache, sharing d1, d2, the two discount factors and φ(d1). `bsm_greeks_into` runs
it over preallocated outputs with a reusable `BsmWorkspace`; every public function (Black-76 and
the implied-vol solver included) goes through that same kernel, so there is one formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

__all__ = [
    "IV_REASONS",
    "BsmWorkspace",
    "Greeks",
    "ImpliedVol",
    "black76_greeks",
    "black76_price",
    "bsm_greeks",
    "bsm_greeks_into",
    "bsm_price",
    "implied_vol_black76",
    "implied_vol_bsm",
]

_INV_SQRT_2PI = 0.3989422804014327
# Block length for the kernel: its 12 scratch arrays (1.5 MB at 16384 doubles) stay in the 2 MB
# L2 cache, so the 40-odd elementwise passes per block run from cache instead of main memory,
# while Python's per-call overhead (~0.3 µs × ~45 calls) stays small. Measured: 16384 is ~4%
# faster than 8192 or 32768 on the development machine; anything in 4096–32768 is within 10%.
DEFAULT_CHUNK = 16384
_N_SCRATCH = 12


@dataclass(frozen=True, eq=False)
class Greeks:
    """Price and greeks per one unit of the underlying (see the module docstring for units)."""

    price: np.ndarray
    delta: np.ndarray
    gamma: np.ndarray
    vega: np.ndarray
    theta: np.ndarray


# Reason codes of `ImpliedVol.reason`. "invalid_input" covers non-finite numbers and
# non-positive spot/forward or strike, which have no vol to speak of.
IV_REASONS = (
    "ok",
    "below_intrinsic",
    "above_upper_bound",
    "expired",
    "no_time_value",
    "no_convergence",
    "invalid_input",
)


@dataclass(frozen=True, eq=False)
class ImpliedVol:
    """Implied volatility (NaN where none exists) and a reason code per option (`IV_REASONS`)."""

    vol: np.ndarray
    reason: np.ndarray


class BsmWorkspace:
    """Scratch buffers for one block of the kernel; reuse one across calls in a hot loop.

    Not thread-safe: give each thread its own workspace.
    """

    def __init__(self, chunk: int = DEFAULT_CHUNK) -> None:
        if chunk < 1:
            raise ValueError("chunk must be >= 1")
        self.chunk = int(chunk)
        self._buf = np.empty((_N_SCRATCH, self.chunk))

    def views(self, n: int) -> list[np.ndarray]:
        return [b[:n] for b in self._buf]


# ---------------------------------------------------------------------------------------------
# Kernel
# ---------------------------------------------------------------------------------------------


def _bsm_chunk(S, K, tau, r, q, vol, is_call, price, delta, gamma, vega, theta, ws):
    """Fill price (and, when `delta` is not None, all four greeks) for one block.

    Inputs are 0-d arrays or 1-D arrays of the block's length; outputs are 1-D views.
    Every operation writes into a preallocated block-sized buffer: full-size temporaries (each a
    round trip to main memory) make naive numpy option code slow, not the arithmetic. Of what
    remains the two ndtr calls are about half; the other ~40 passes share d1, d2, e^{−qτ},
    e^{−rτ} and φ(d1).
    """
    n = price.shape[0]
    w, nt, dq, dr, sqt, sst, sq, kr, d1, d2, t0, t1 = ws.views(n)
    np.multiply(is_call, 2.0, out=w)
    w -= 1.0  # +1 call, −1 put: one formula for both, N(w·d) never loses the tail of a put
    np.sqrt(tau, out=sqt)  # first: sqrt's arithmetic hides part of fetching τ from memory
    np.negative(tau, out=nt)
    np.multiply(q, nt, out=dq)
    np.exp(dq, out=dq)  # e^{−qτ}
    np.multiply(r, nt, out=dr)
    np.exp(dr, out=dr)  # e^{−rτ}
    np.multiply(vol, sqt, out=sst)  # σ√τ
    np.multiply(S, dq, out=sq)  # S e^{−qτ}
    np.multiply(K, dr, out=kr)  # K e^{−rτ}
    # d1 = ln(F/K)/(σ√τ) + σ√τ/2 with F/K = S e^{−qτ} / (K e^{−rτ}), as QuantLib does.
    np.divide(sq, kr, out=d1)
    np.log(d1, out=d1)
    np.divide(d1, sst, out=d1)
    np.multiply(sst, 0.5, out=t0)
    np.add(d1, t0, out=d1)
    # One cheap test per block keeps the edge handling off the hot path.
    degenerate = not (sst.min() > 0.0 and math.isfinite(d1.sum()))
    if degenerate:
        # σ√τ = 0: d1 = ±inf already from ±x/0; ln(F/K) = 0 gives 0/0, whose σ→0⁺ limit is 0.
        np.copyto(d1, 0.0, where=(sst == 0.0) & np.isnan(d1))
    np.subtract(d1, sst, out=d2)
    greeks = delta is not None
    if greeks:
        np.multiply(d1, d1, out=t1)
        t1 *= -0.5
        np.exp(t1, out=t1)
        t1 *= _INV_SQRT_2PI  # φ(d1)
        t1 *= sq  # X = S e^{−qτ} φ(d1), shared by vega, gamma and theta
        np.multiply(t1, sqt, out=vega)
        np.multiply(S, sst, out=gamma)
        gamma *= S
        np.divide(t1, gamma, out=gamma)  # X / (S² σ√τ)
        t1 *= t0
        t1 /= tau  # X σ / (2√τ): the diffusion part of theta
    # The ndtr calls are compute-bound (~8 ns an element), so they write straight into output
    # buffers: fetching those cache lines from main memory then overlaps with the arithmetic.
    n1 = delta if greeks else d1
    d1 *= w
    ndtr(d1, out=n1)  # N(w d1)
    d2 *= w
    ndtr(d2, out=price)  # N(w d2)
    sq *= n1  # S e^{−qτ} N(w d1)
    price *= kr  # K e^{−rτ} N(w d2)
    if greeks:
        np.multiply(q, sq, out=t0)
        np.multiply(r, price, out=dr)
        t0 -= dr
        t0 *= w
        np.subtract(t0, t1, out=theta)  # w(q S e^{−qτ} N1 − r K e^{−rτ} N2) − X σ/(2√τ)
        delta *= dq
        delta *= w
    np.subtract(sq, price, out=price)
    price *= w
    if degenerate:
        _patch_degenerate(S, K, tau, r, q, vol, sst, price, delta, gamma, vega, theta)


def _patch_degenerate(S, K, tau, r, q, vol, sst, price, delta, gamma, vega, theta):
    """Apply the documented conventions for σ√τ = 0 and NaN-out invalid input (rare path)."""
    n = price.shape[0]
    b = [np.broadcast_to(x, (n,)) for x in (S, K, tau, r, q, vol)]
    s_, k_, tau_, _, _, vol_ = b
    finite = np.logical_and.reduce([np.isfinite(x) for x in b])
    invalid = ~finite | ~(s_ > 0.0) | ~(k_ > 0.0) | ~(tau_ >= 0.0) | ~(vol_ >= 0.0)
    zero = (sst == 0.0) & ~invalid
    # At the money-forward the two legs cancel to ±1 ulp; the value is exactly 0.
    np.maximum(price, 0.0, out=price, where=zero)
    outs = [price] if delta is None else [price, delta, gamma, vega, theta]
    if delta is not None:
        np.copyto(gamma, 0.0, where=zero)
        np.copyto(theta, 0.0, where=zero & (tau_ == 0.0))
        np.copyto(vega, 0.0, where=zero & (tau_ == 0.0))
    for o in outs:
        np.copyto(o, np.nan, where=invalid)


def _flatten_inputs(*args):
    """Broadcast the inputs; return the shape and 0-d (scalars) or flat full-length arrays."""
    arrs = [np.asarray(a, dtype=np.float64) for a in args[:-1]]
    is_call = np.asarray(args[-1], dtype=bool)
    shape = np.broadcast_shapes(*(a.shape for a in arrs), is_call.shape)
    flat = []
    for a in (*arrs, is_call):
        if a.size == 1:
            flat.append(a.reshape(()))  # stays a scalar: no n-length copy
        elif a.shape == shape:
            flat.append(a.ravel())  # a view when C-contiguous
        else:
            flat.append(np.broadcast_to(a, shape).ravel())
    return shape, flat


def _run(spot, strike, tau, rate, div_yield, vol, is_call, out, workspace, greeks):
    shape, flat = _flatten_inputs(spot, strike, tau, rate, div_yield, vol, is_call)
    n = int(np.prod(shape, dtype=np.int64))
    if out is None:
        fields = 5 if greeks else 1
        out_flat = [np.empty(n) for _ in range(fields)]
    else:
        out_flat = []
        for name in ("price", "delta", "gamma", "vega", "theta"):
            a = getattr(out, name)
            if a.shape != shape or a.dtype != np.float64 or not a.flags.c_contiguous:
                raise ValueError(f"out.{name} must be a C-contiguous float64 array of {shape}")
            out_flat.append(a.reshape(-1))
    if not greeks:
        out_flat = out_flat + [None] * 4
    ws = workspace if workspace is not None else BsmWorkspace(max(1, min(n, DEFAULT_CHUNK)))
    step = ws.chunk
    with np.errstate(all="ignore"):
        for lo in range(0, n, step):
            hi = min(lo + step, n)
            args = [x if x.ndim == 0 else x[lo:hi] for x in flat]
            outs = [None if o is None else o[lo:hi] for o in out_flat]
            _bsm_chunk(*args, *outs, ws)
    if out is not None:
        return out
    arrays = [None if o is None else o.reshape(shape) for o in out_flat]
    return Greeks(*arrays) if greeks else arrays[0]


# ---------------------------------------------------------------------------------------------
# Public pricing API
# ---------------------------------------------------------------------------------------------


def bsm_greeks_into(
    spot,
    strike,
    tau,
    rate,
    div_yield,
    vol,
    is_call,
    out: Greeks,
    workspace: BsmWorkspace | None = None,
) -> Greeks:
    """BSM price and greeks written into `out` (C-contiguous float64 arrays of the broadcast
    shape, not aliasing any input); the allocation-free path for hot loops. Returns `out`."""
    return _run(spot, strike, tau, rate, div_yield, vol, is_call, out, workspace, True)


def bsm_greeks(spot, strike, tau, rate, div_yield, vol, is_call) -> Greeks:
    """Black–Scholes–Merton price, delta, gamma, vega, theta (method §2.1; units in module doc)."""
    return _run(spot, strike, tau, rate, div_yield, vol, is_call, None, None, True)


def bsm_price(spot, strike, tau, rate, div_yield, vol, is_call) -> np.ndarray:
    """Black–Scholes–Merton price with continuous rate and dividend yield (method §2.1)."""
    return _run(spot, strike, tau, rate, div_yield, vol, is_call, None, None, False)


def black76_greeks(forward, strike, tau, rate, vol, is_call) -> Greeks:
    """Black-76 price and greeks on a future (method §2.3); delta and gamma are w.r.t. the
    forward, theta holds the forward fixed as time passes."""
    # Black-76 is BSM with the forward as spot and q = r: e^{−rτ}(F N1 − K N2).
    return _run(forward, strike, tau, rate, rate, vol, is_call, None, None, True)


def black76_price(forward, strike, tau, rate, vol, is_call) -> np.ndarray:
    """Black-76 price of an option on a future, discounted with e^{−rτ} (method §2.3)."""
    return _run(forward, strike, tau, rate, rate, vol, is_call, None, None, False)


# ---------------------------------------------------------------------------------------------
# Implied volatility
# ---------------------------------------------------------------------------------------------

# An in-the-money price's time value comes from subtracting the intrinsic value, so rounding of
# order 1e-16 × max(F, K) sits in it; at or below NTV_RTOL × max(F, K) it is treated as zero
# ("no_time_value") because the vol would be mostly noise. Out of the money nothing is subtracted
# and a price is usable down to NTV_ATOL × min(F, K) (the model still resolves it there).
NTV_RTOL = 1e-10
NTV_ATOL = 1e-250
_MAX_ITER = 100
_S_MAX = 80.0  # total std dev σ√τ beyond which every representable price equals its upper bound
_IV_BLOCK = 1 << 16
_IV_PRICE_RTOL = 1e-10  # accepted |model − target| / target for the OTM-equivalent price
_IV_VOL_RTOL = 1e-9  # or accepted |model − target| / vega as a fraction of the vol


def _black_undiscounted(forward, strike, s, is_call, ws):
    """Undiscounted Black price and d(price)/d(σ√τ), via the one BSM kernel (τ = 1, r = q = 0)."""
    n = s.shape[0]
    out = Greeks(*(np.empty(n) for _ in range(5)))
    _run(forward, strike, 1.0, 0.0, 0.0, s, is_call, out, ws, True)
    return out.price, out.vega


def _solve_total_std(forward, strike, target, ws):
    """σ√τ with undiscounted OTM Black price == target, 0 < target < min(F, K); NaN if it fails.

    Safeguarded Newton on a transformed objective, bracketed, with bisection fallback.
    The OTM price b(s) is convex below s* = sqrt(2|ln F/K|) and concave above (Jäckel, "Let's
    be rational", 2015): below b(s*) we solve ln b = ln target (ln b behaves like −x²/2s², which
    Newton handles where b itself is exponentially flat); above we solve ln(U − b) = ln(U − t),
    U = min(F, K), so huge vols near the upper bound converge without creeping.
    """
    m = target.shape[0]
    otm_call = forward <= strike  # price the out-of-the-money side: no cancellation in parity
    upper = np.minimum(forward, strike)
    x = np.log(forward / strike)
    s_star = np.sqrt(2.0 * np.abs(x))
    b_star = np.zeros(m)
    pos = s_star > 0.0
    if pos.any():
        b_star[pos] = _black_undiscounted(
            forward[pos], strike[pos], s_star[pos], otm_call[pos], ws
        )[0]
    low = target < b_star
    lo = np.where(low, 0.0, s_star)
    hi = np.where(low, s_star, np.inf)
    s = s_star.copy()
    result = np.full(m, np.nan)
    unreachable = np.zeros(m, dtype=bool)
    active = np.arange(m)
    ln_t = np.log(target)
    ln_ut = np.log(upper - target)
    for _ in range(_MAX_ITER):
        if active.size == 0:
            break
        a = active
        sa = s[a]
        b, db = _black_undiscounted(forward[a], strike[a], sa, otm_call[a], ws)
        below = b < target[a]
        above = b > target[a]
        lo[a] = np.where(below, sa, lo[a])
        hi[a] = np.where(above, sa, hi[a])
        # Newton step on the region's transform; NaN/inf (b or U−b underflowed) → fallback below.
        la = low[a]
        f_low = (np.log(b) - ln_t[a]) * b / db
        rest = upper[a] - b
        f_high = (np.log(rest) - ln_ut[a]) * rest / db
        step = np.where(la, -f_low, f_high)
        s_new = sa + step
        lo_a, hi_a = lo[a], hi[a]
        ok_newton = (s_new > lo_a) & (s_new < hi_a)
        # No upper bracket yet (upper region): expand; else bisect.
        grow = np.maximum(2.0 * np.maximum(sa, lo_a), 0.5)
        fallback = np.where(np.isinf(hi_a), grow, 0.5 * (lo_a + hi_a))
        s_new = np.where(ok_newton, s_new, fallback)
        hit = ~(below | above)
        done = (
            hit
            | (ok_newton & (np.abs(step) <= 1e-12 * sa))  # next error ~ step², or noise
            | (np.isfinite(hi_a) & (hi_a - lo_a <= 4e-16 * hi_a))
        )
        s_new = np.where(hit, sa, s_new)
        s[a] = s_new
        finished = a[done]
        result[finished] = s[finished]
        too_big = ~done & (s_new > _S_MAX)
        unreachable[a[too_big]] = True
        active = a[~done & ~too_big]
    return result, lo, hi, unreachable


def _solve_block(f, k, t, tau, ws):
    """Vol and reason for options that passed the bound checks (0 < t < min(F, K), τ > 0)."""
    vol = np.full(t.shape[0], np.nan)
    reason = np.full(t.shape[0], "ok", dtype="<U17")
    s, lo, hi, unreachable = _solve_total_std(f, k, t, ws)
    # Verify rather than trust the loop: reprice and demand the target back.
    good = np.isfinite(s)
    b = np.full(t.shape[0], np.nan)
    db = np.full(t.shape[0], np.nan)
    if good.any():
        b[good], db[good] = _black_undiscounted(f[good], k[good], s[good], f[good] <= k[good], ws)
    # Either the price comes back to 1e-10, or the remaining Newton correction moves the vol by
    # less than 1e-9 of itself: far-tail prices (1e-60 and below, minutes to expiry) carry
    # cancellation noise above 1e-10 relative in the two-term formula, which bounds how well
    # any vol can reproduce them.
    resid = np.abs(b - t)
    resid_ok = (resid <= _IV_PRICE_RTOL * t) | (resid <= _IV_VOL_RTOL * s * db)
    bracket_ok = good & np.isfinite(hi) & (hi - lo <= 1e-12 * hi)
    ok = good & (resid_ok | bracket_ok)
    vol[ok] = s[ok] / np.sqrt(tau[ok])
    # Not reachable below σ√τ = _S_MAX: the price is indistinguishable from its upper bound.
    unreachable &= ~ok
    reason[unreachable] = "above_upper_bound"
    reason[~ok & ~unreachable] = "no_convergence"
    return vol, reason


def _implied_vol_undiscounted(p, forward, strike, tau, is_call):
    """Shared implied-vol driver on undiscounted prices; all arguments flat and equal length."""
    m = p.shape[0]
    vol = np.full(m, np.nan)
    reason = np.full(m, "ok", dtype="<U17")
    w = np.where(is_call, 1.0, -1.0)
    finite = np.isfinite(p) & np.isfinite(forward) & np.isfinite(strike) & np.isfinite(tau)
    invalid = ~finite | ~(forward > 0.0) | ~(strike > 0.0)
    reason[invalid] = "invalid_input"
    expired = ~invalid & (tau <= 0.0)
    reason[expired] = "expired"
    live = ~invalid & ~expired
    intrinsic = np.maximum(w * (forward - strike), 0.0)
    # Put–call parity turns an in-the-money price into the out-of-the-money option's price; the
    # time value is that price. Bounds: intrinsic ≤ p ≤ F (call) or K (put) ⇔ 0 ≤ tv ≤ min(F, K).
    tv = p - intrinsic
    upper = np.minimum(forward, strike)
    tol = np.where(intrinsic > 0.0, NTV_RTOL * np.maximum(forward, strike), 0.0) + NTV_ATOL * upper
    below = live & (tv < -tol)
    reason[below] = "below_intrinsic"
    above = live & ~below & (tv >= upper)
    reason[above] = "above_upper_bound"
    no_tv = live & ~below & ~above & (tv <= tol)
    reason[no_tv] = "no_time_value"
    solve = np.flatnonzero(live & ~below & ~above & ~no_tv)
    ws = BsmWorkspace(max(1, min(solve.size, DEFAULT_CHUNK)))
    # Blocks bound the solver's temporaries (~20 arrays per block) whatever the input size.
    for start in range(0, solve.size, _IV_BLOCK):
        idx = solve[start : start + _IV_BLOCK]
        vol[idx], reason[idx] = _solve_block(forward[idx], strike[idx], tv[idx], tau[idx], ws)
    return vol, reason


def _iv_flatten(*args):
    arrs = [np.asarray(a, dtype=np.float64) for a in args[:-1]]
    is_call = np.asarray(args[-1], dtype=bool)
    shape = np.broadcast_shapes(*(a.shape for a in arrs), is_call.shape)
    flat = [np.broadcast_to(a, shape).ravel() for a in (*arrs, is_call)]
    return shape, flat


def implied_vol_bsm(price, spot, strike, tau, rate, div_yield, is_call) -> ImpliedVol:
    """Black–Scholes–Merton implied volatility with a reason code per option (`IV_REASONS`).

    Bounds are the European no-arbitrage ones: max(w(S e^{−qτ} − K e^{−rτ}), 0) ≤ price ≤
    S e^{−qτ} (call) or K e^{−rτ} (put); a price at the upper bound has no finite vol.
    """
    shape, (p, s, k, t, r, q, c) = _iv_flatten(price, spot, strike, tau, rate, div_yield, is_call)
    with np.errstate(all="ignore"):
        dr = np.exp(-r * t)
        forward = s * np.exp(-q * t) / dr
        vol, reason = _implied_vol_undiscounted(p / dr, forward, k, t, c)
    return ImpliedVol(vol.reshape(shape), reason.reshape(shape))


def implied_vol_black76(price, forward, strike, tau, rate, is_call) -> ImpliedVol:
    """Black-76 implied volatility (method §2.3) with a reason code per option (`IV_REASONS`)."""
    shape, (p, f, k, t, r, c) = _iv_flatten(price, forward, strike, tau, rate, is_call)
    with np.errstate(all="ignore"):
        dr = np.exp(-r * t)
        vol, reason = _implied_vol_undiscounted(p / dr, f, k, t, c)
    return ImpliedVol(vol.reshape(shape), reason.reshape(shape))
