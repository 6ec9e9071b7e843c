"""Throughput of alvh.model.pricing (price, delta, gamma, vega, theta) vs QuantLib and py_vollib.

Run: .venv/bin/python benchmarks/pricing.py   (about ten seconds)

10^6 random SPX options (spot 4000–6000, strikes on the 5-point grid within ±25%, 1–365 days,
vol 8–60%, r and q per option), one thread pinned to one core, best of several repeats. QuantLib
and py_vollib are scalar libraries: each prices a 20,000-option sample in a Python loop in the same
run, and the script prints the per-option rate and our ratio to it, plus the largest difference
in price and greeks on the sample as a sanity check (per unit of the underlying, method §2.1).
"""

from __future__ import annotations

import os

# Must precede the numpy import: one thread, so the figures are per core.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import platform  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alvh.model.pricing import (  # noqa: E402
    BsmWorkspace,
    Greeks,
    bsm_greeks,
    bsm_greeks_into,
    implied_vol_bsm,
)

N = 1_000_000
SAMPLE = 20_000
REPEATS = 15


def pin_one_core() -> str:
    """Pin the process to one CPU so that 'one core' is literally true; return a description."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity on this OS)"
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu}"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def spx_book(n: int, rng: np.random.Generator):
    spot = rng.uniform(4000.0, 6000.0, n)
    strike = np.round(spot * rng.uniform(0.75, 1.25, n) / 5.0) * 5.0
    tau = rng.integers(1, 366, n) / 365.0
    rate = rng.uniform(0.0, 0.055, n)
    div = rng.uniform(0.01, 0.02, n)
    vol = rng.uniform(0.08, 0.60, n)
    is_call = rng.random(n) < 0.5
    return spot, strike, tau, rate, div, vol, is_call


def rate_line(label: str, n: int, seconds: float) -> str:
    return f"  {label:<32s} {n / seconds / 1e6:6.1f} M options/s  ({seconds * 1e3:.1f} ms)"


def best_time(fn, repeats: int = REPEATS) -> float:
    fn()  # warm-up: page in buffers, import lazily loaded code
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def quantlib_sample(spot, strike, tau, rate, div, vol, is_call):
    import QuantLib as ql

    today = ql.Date(15, 1, 2025)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    spot_q, rate_q, div_q, vol_q = (ql.SimpleQuote(x) for x in (5000.0, 0.04, 0.015, 0.2))
    rate_ts = ql.YieldTermStructureHandle(ql.FlatForward(today, ql.QuoteHandle(rate_q), dc))
    div_ts = ql.YieldTermStructureHandle(ql.FlatForward(today, ql.QuoteHandle(div_q), dc))
    vol_ts = ql.BlackVolTermStructureHandle(
        ql.BlackConstantVol(today, ql.NullCalendar(), ql.QuoteHandle(vol_q), dc)
    )
    engine = ql.AnalyticEuropeanEngine(
        ql.BlackScholesMertonProcess(ql.QuoteHandle(spot_q), div_ts, rate_ts, vol_ts)
    )
    days = np.rint(tau * 365.0).astype(int)
    out = np.empty((len(spot), 5))
    # Objects are built once; per option only the quotes are set and the instrument is created
    # (its strike, type and expiry are fixed at construction in QuantLib).
    t0 = time.perf_counter()
    for i in range(len(spot)):
        spot_q.setValue(float(spot[i]))
        rate_q.setValue(float(rate[i]))
        div_q.setValue(float(div[i]))
        vol_q.setValue(float(vol[i]))
        kind = ql.Option.Call if is_call[i] else ql.Option.Put
        option = ql.VanillaOption(
            ql.PlainVanillaPayoff(kind, float(strike[i])),
            ql.EuropeanExercise(today + int(days[i])),
        )
        option.setPricingEngine(engine)
        out[i] = (option.NPV(), option.delta(), option.gamma(), option.vega(), option.theta())
    return time.perf_counter() - t0, out


def py_vollib_sample(spot, strike, tau, rate, div, vol, is_call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # py_vollib announces its rename
        from py_vollib.black_scholes_merton import black_scholes_merton
        from py_vollib.black_scholes_merton.greeks import analytical as an
    out = np.empty((len(spot), 5))
    t0 = time.perf_counter()
    for i in range(len(spot)):
        args = ("c" if is_call[i] else "p", spot[i], strike[i], tau[i], rate[i], vol[i], div[i])
        out[i] = (
            black_scholes_merton(*args),
            an.delta(*args),
            an.gamma(*args),
            an.vega(*args),
            an.theta(*args),
        )
    elapsed = time.perf_counter() - t0
    out[:, 3] *= 100.0  # py_vollib: vega per vol point, theta per calendar day
    out[:, 4] *= 365.0
    return elapsed, out


def main() -> None:
    pinned = pin_one_core()
    rng = np.random.default_rng(2025)
    book = spx_book(N, rng)
    spot, strike, tau, rate, div, vol, is_call = book

    print("ALVH pricing benchmark: BSM price + delta + gamma + vega + theta")
    print(f"  python {platform.python_version()}, numpy {np.__version__}, {cpu_model()}")
    print(f"  threads: OMP/OPENBLAS/MKL_NUM_THREADS=1, single-threaded numpy ufuncs; {pinned}")
    print(f"  options: {N:,} random SPX (r and q per option), best of {REPEATS} repeats")
    print()

    out = Greeks(*(np.empty(N) for _ in range(5)))
    ws = BsmWorkspace()
    t_into = best_time(lambda: bsm_greeks_into(*book, out, ws))
    t_into_scalar = best_time(
        lambda: bsm_greeks_into(spot, strike, tau, 0.04, 0.015, vol, is_call, out, ws)
    )
    t_public = best_time(lambda: bsm_greeks(*book))
    rate_into = N / t_into
    print(rate_line("bsm_greeks_into (preallocated)", N, t_into))
    print(rate_line("  same, scalar r and q", N, t_into_scalar))
    print(rate_line("bsm_greeks (allocates outputs)", N, t_public))

    tracemalloc.start()
    bsm_greeks_into(*book, out, BsmWorkspace())
    _, peak_into = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    bsm_greeks(*book)
    _, peak_public = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"  peak memory allocated per call: bsm_greeks_into {peak_into / 2**20:.1f} MiB "
        f"(workspace), bsm_greeks {peak_public / 2**20:.1f} MiB "
        f"(5 outputs × {N * 8 / 2**20:.1f} MiB + workspace)"
    )

    prices = out.price.copy()
    t0 = time.perf_counter()
    iv = implied_vol_bsm(prices, spot, strike, tau, rate, div, is_call)
    t_iv = time.perf_counter() - t0
    ok = iv.reason == "ok"
    err = np.max(np.abs(iv.vol[ok] - vol[ok]) / vol[ok])
    print(
        f"  implied_vol_bsm round trip        {N / t_iv / 1e6:6.2f} M options/s  "
        f"({ok.mean():.2%} 'ok', max relative vol error {err:.1e})"
    )
    print()

    idx = rng.choice(N, SAMPLE, replace=False)
    sample = [a[idx] for a in book]
    ours = bsm_greeks(*sample)
    ours_arr = np.column_stack([ours.price, ours.delta, ours.gamma, ours.vega, ours.theta])
    scale = np.maximum(sample[0], sample[1])[:, None] * np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    scale[:, 1] = 1.0
    scale[:, 2] = 1.0 / np.maximum(sample[0], sample[1])

    t_ql, ref_ql = quantlib_sample(*sample)
    rate_ql = SAMPLE / t_ql
    diff_ql = np.max(np.abs(ours_arr - ref_ql) / scale)
    print(
        f"  QuantLib {__import__('QuantLib').__version__} AnalyticEuropeanEngine, Python loop "
        f"over {SAMPLE:,}: {rate_ql / 1e3:8.1f} k options/s  → ours is {rate_into / rate_ql:,.0f}×"
    )
    print(f"    max |ours − QuantLib| over price and greeks, in units of max(S,K): {diff_ql:.1e}")

    t_pv, ref_pv = py_vollib_sample(*sample)
    rate_pv = SAMPLE / t_pv
    diff_pv = np.max(np.abs(ours_arr - ref_pv) / scale)
    print(
        f"  py_vollib black_scholes_merton + analytical greeks, loop over {SAMPLE:,}: "
        f"{rate_pv / 1e3:8.1f} k options/s  → ours is {rate_into / rate_pv:,.0f}×"
    )
    print(f"    max |ours − py_vollib| over price and greeks, in units of max(S,K): {diff_pv:.1e}")
    print()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(f"  process peak RSS (all of the above, 7 × 8 MB inputs included): {maxrss:.0f} MiB")
    target = 20e6
    verdict = "meets" if rate_into >= target else "MISSES"
    print(f"  target ≥ 20 M options/s on one core: {verdict} ({rate_into / 1e6:.1f} M/s)")


if __name__ == "__main__":
    main()
