"""Fit and check the market model of method §2 on the bundled snapshot; print every number.

docs/market-model.md quotes this script's output. Run from the repository root:

    .venv/bin/python benchmarks/fit_market_model.py

Sections: §2.1 skew fit to the reference points and the static-arbitrage grid, the calibration to
real quotes, the day's own surface out of sample (alone: `fit_market_model.py day-fit`), §2.2 VX
curve fit with its error table (overall and per spike window), §2.3 VIX option vol, §2.4 VIX
response.
Each section prints its runtime.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from dataclasses import replace

import numpy as np
import pandas as pd

from alvh.book.valuation import ModelParams
from alvh.core.resources import snapshot_dir
from alvh.model import calibration, market
from alvh.model.pricing import black76_price, bsm_price

# Method §2.2 / §7 spike windows (whole calendar months).
SPIKE_WINDOWS = {
    "2008-09..12": ("2008-09-01", "2008-12-31"),
    "2010-05": ("2010-05-01", "2010-05-31"),
    "2011-08": ("2011-08-01", "2011-08-31"),
    "2015-08": ("2015-08-01", "2015-08-31"),
    "2018-02": ("2018-02-01", "2018-02-28"),
    "2018-10..12": ("2018-10-01", "2018-12-31"),
    "2020-02..04": ("2020-02-01", "2020-04-30"),
    "2022": ("2022-01-01", "2022-12-31"),
    "2024-08": ("2024-08-01", "2024-08-31"),
    "2025-04": ("2025-04-01", "2025-04-30"),
}

# Static-arbitrage grid (method §2.1): strikes 30 %..150 % of spot on the 5-point grid.
SPOT = 5000.0
RATE, DIV = 0.04, 0.015
VIX_LEVELS = np.arange(9.0, 90.5, 1.0)
TENOR_DAYS = (1, 2, 3, 5, 7, 9, 14, 21, 30, 45, 60, 93, 120, 183, 270, 365)
TOL = 1e-9  # index points; float rounding of deep in-the-money prices is ~1e-12


@contextmanager
def section(title: str):
    print(f"\n## {title}\n")
    t0 = time.perf_counter()
    yield
    print(f"\n(runtime {time.perf_counter() - t0:.2f} s)")


def load():
    snap = snapshot_dir()
    vol = pd.read_csv(snap / "cboe_vol_indices_daily.csv", parse_dates=["date"])
    vol = vol[vol["nyse_trading_day"]]
    fut = pd.read_csv(snap / "vix_futures_contracts_daily.csv.gz", parse_dates=["date", "expiry"])
    spx = pd.read_csv(snap / "spx_daily.csv", parse_dates=["date"])
    return vol, fut, spx


def fmt(df: pd.DataFrame, digits: int = 3) -> str:
    """A markdown table."""
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        cells = [f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# §2.1
# ---------------------------------------------------------------------------------------------


def naive_vol(strike, forward, tau, atm, vix, p: market.SkewParams):
    """The unmodified §2.1 example σ_atm·max(floor, 1 + s·m + c·m²), for comparison only."""
    m = np.log(strike / forward) / (np.sqrt(tau) * vix / 15.0)
    return atm * np.maximum(p.floor, 1.0 + p.s * m + p.c * m * m)


def arbitrage_grid(vol_fn, atm_scales=(1.0,)):
    """Check every (VIX, tenor, ATM scale) cell; return cells, prices, breaching cells, worst."""
    strikes = np.arange(0.3 * SPOT, 1.5 * SPOT + 1e-9, 5.0)
    cells = prices = bad = 0
    worst_mono = worst_conv = 0.0
    bad_cells = []
    for days in TENOR_DAYS:
        tau = days / market.DAYS_PER_YEAR
        fwd = SPOT * np.exp((RATE - DIV) * tau)
        for scale in atm_scales:
            vix = VIX_LEVELS[:, None]
            atm = scale * market.atm_vol(tau, vix)
            vol = vol_fn(strikes[None, :], fwd, tau, atm, vix)
            for is_call in (True, False):
                px = bsm_price(SPOT, strikes[None, :], tau, RATE, DIV, vol, is_call)
                for i in range(len(VIX_LEVELS)):
                    res = market.strike_arbitrage(strikes, px[i], is_call, tol=TOL)
                    cells += 1
                    prices += px.shape[1]
                    worst_mono = max(worst_mono, res["worst_monotonicity"])
                    worst_conv = max(worst_conv, res["worst_convexity"])
                    if res["n_breaches"]:
                        bad += 1
                        bad_cells.append((VIX_LEVELS[i], days, scale, "C" if is_call else "P"))
    return cells, prices, bad, worst_mono, worst_conv, bad_cells


def historical_grid(vol: pd.DataFrame, every: int = 5):
    """The same check on real VIX term structures (every `every`-th day with VIX3M or VIX6M)."""
    days = vol[vol["vix6m"].notna() | vol["vix3m"].notna()].iloc[::every]
    strikes = np.arange(0.3 * SPOT, 1.5 * SPOT + 1e-9, 5.0)
    bad = cells = 0
    min_durr = np.inf
    for d in TENOR_DAYS:
        tau = d / market.DAYS_PER_YEAR
        fwd = SPOT * np.exp((RATE - DIV) * tau)
        cols = {c: days[c].to_numpy()[:, None] for c in ("vix", "vix9d", "vix3m", "vix6m")}
        atm = market.atm_vol(tau, **cols)
        vix = cols["vix"]
        vol_k = market.spx_implied_vol(strikes[None, :], fwd, tau, atm, vix)
        durr = market.spx_durrleman(strikes[None, :], fwd, tau, atm, vix)
        min_durr = min(min_durr, float(np.nanmin(durr)))
        for is_call in (True, False):
            px = bsm_price(SPOT, strikes[None, :], tau, RATE, DIV, vol_k, is_call)
            for i in range(px.shape[0]):
                cells += 1
                bad += market.strike_arbitrage(strikes, px[i], is_call, tol=TOL)["n_breaches"] > 0
    return len(days), cells, bad, min_durr


def durrleman_sweep():
    """Minimum of Durrleman's g over m in [-10⁴, 5] for α = 15σ_atm/VIX and ATM total vol √θ."""
    m = np.concatenate([-np.logspace(4, -4, 4000), np.linspace(0.0, 5.0, 1001)])
    rows = []
    for alpha in (0.06, 0.085, 0.1275, 0.17, 0.21):
        for sqrt_theta in (0.003, 0.05, 0.2, 0.5, 0.8):
            # choose VIX = 15 and the τ that gives this √θ, then strike = F·e^{m·scale}
            vix = 15.0
            atm = alpha * vix / 15.0
            tau = (sqrt_theta / atm) ** 2
            scale = np.sqrt(tau)
            mm = m[m * scale > -700.0]  # keep e^{m·scale} a normal float
            g = market.spx_durrleman(np.exp(mm * scale), 1.0, tau, atm, vix)
            rows.append((alpha, sqrt_theta, float(np.nanmin(g))))
    return pd.DataFrame(rows, columns=["alpha", "sqrt_theta", "min_g"])


def spx_section(vol: pd.DataFrame) -> None:
    with section("§2.1 SPX skew: fit to the reference points (1 month, VIX 15, atm_ratio 0.85)"):
        # the reference fit keeps the call-wing floor it was made with (0.70), not the calibration's
        fit = market.fit_skew_to_reference(base=replace(market.SkewParams(), floor=0.70))
        p = fit.params
        c_call = float(p.shape(30 / 365, 15.0)[2])
        m_vertex = -p.s / (2 * c_call)
        print(f"fitted s = {p.s:.4f}, c = {p.c:.4f}  (floor {p.floor}, c_call {c_call:.4f},")
        print(f"call wing flat beyond m = {m_vertex:.4f}; wing margin {p.wing_margin},")
        print(f"max wing slope {p.max_wing_slope})")
        print(f"defaults in SkewParams: s = {market.SkewParams().s}, c = {market.SkewParams().c}")
        print()
        print(fmt(fit.table))
        rms = float(np.sqrt((fit.table["error"] ** 2).mean()))
        print(f"\nRMS error {rms:.3f} vol points")
        tau, vix = 30 / 365, 15.0
        atm = 0.85 * vix / 100
        kf = np.array([0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 1.0, 1.03, 1.05, 1.10, 1.20])
        smile = 100 * market.spx_implied_vol(kf, 1.0, tau, atm, vix, p)
        quad = 100 * naive_vol(kf, 1.0, tau, atm, vix, p)
        print("\nSmile at the reference point (vol %): K/F, model, unmodified quadratic")
        print(fmt(pd.DataFrame({"K/F": kf, "model": smile, "quadratic+floor": quad}), 2))
        m_j = market._put_wing_start(0.1275, np.sqrt(tau), p.s, p.c, p)
        print(
            f"\nput wing starts at m_J = {float(m_j):.3f} (K/F = "
            f"{float(np.exp(m_j * np.sqrt(tau))):.3f}) here"
        )

    with section("§2.1 static arbitrage in strike (30 %..150 % of spot, 5-point grid)"):
        print(
            f"spot {SPOT}, r {RATE}, q {DIV}, VIX {VIX_LEVELS[0]:.0f}..{VIX_LEVELS[-1]:.0f} step 1,"
        )
        print(f"tenors {TENOR_DAYS} days, tolerance {TOL} index points")
        scales = (0.65, 1.0, 1.65)
        for name, fn in (
            ("model (market.spx_implied_vol)", market.spx_implied_vol),
            ("unmodified quadratic + floor", lambda k, f, t, a, v: naive_vol(k, f, t, a, v, p)),
        ):
            cells, prices, bad, wm, wc, bad_cells = arbitrage_grid(fn, scales)
            print(f"\n{name}: ATM vol × {scales} of 0.85·VIX/100 (term-structure range)")
            print(f"  {cells} (VIX, tenor, scale, call/put) cells, {prices} prices")
            print(f"  cells with a breach: {bad}; worst monotonicity breach {wm:.3g},")
            print(f"  worst convexity breach {wc:.3g}")
            if bad_cells:
                vixes = sorted({c[0] for c in bad_cells})
                tenors = sorted({c[1] for c in bad_cells})
                print(f"  breaching VIX levels {vixes[0]:.0f}..{vixes[-1]:.0f}, tenors {tenors}")
        r9 = (vol["vix9d"] / vol["vix"]).dropna()
        r6 = (vol["vix6m"] / vol["vix"]).dropna()
        lo, hi = 0.1275 * min(r9.min(), r6.min()), 0.1275 * max(r9.max(), r6.max())
        print(f"\nreal term structures: VIX9D/VIX {r9.min():.3f}..{r9.max():.3f}, VIX6M/VIX")
        print(f"{r6.min():.3f}..{r6.max():.3f}, so α = 15·σ_atm/VIX spans {lo:.3f}..{hi:.3f}")
        n_days, cells, bad, min_durr = historical_grid(vol)
        print(f"real term structures: {n_days} days (every 5th with VIX3M/VIX6M), {cells} cells,")
        print(f"  cells with a breach: {bad}; min Durrleman g on the strike grid {min_durr:.4f}")
        sweep = durrleman_sweep()
        print("\nDurrleman g, minimum over m in [-1e4, 5]:")
        print(
            fmt(sweep.pivot(index="alpha", columns="sqrt_theta", values="min_g").reset_index(), 4)
        )


# ---------------------------------------------------------------------------------------------
# §2.1 calibration to real SPX quotes (../shared/data/option_chains/, read at run time)
# ---------------------------------------------------------------------------------------------

# Dates kept out of the fit, each for a reason: errors there say how the model does on days it
# has not seen. 2018-02-05: the stress day (VIX 37.3, the Volmageddon close); 2023-09-01: low VIX
# (13.1) in a quote table; 2019-06-26: another format and time (DataShop, 15:45 ET).
HELD_OUT = ("2018-02-05", "2019-06-26", "2023-09-01")
BAND = (0.05, 0.50)  # |delta| of the options the IV target counts: 5Δ to ATM, puts and calls
VIX_BUCKETS = (0.0, 15.0, 30.0, 200.0)
CONDOR_WEIGHT = 0.3  # see alvh.model.calibration.fit_surface
# The defaults before this calibration: atm_ratio 0.85 and the §2.1 reference-point skew.
PREVIOUS = calibration.SurfaceParams(
    0.85, skew=market.SkewParams(-1.8787, 0.2096, 0.70, 0.02, 1.5, 0.0, 0.0, 0.0, 0.0, 0.0)
)


def _errors(options: pd.DataFrame, params: calibration.SurfaceParams) -> np.ndarray:
    return 100.0 * (calibration.surface_vol(options, params) - options["market_iv"].to_numpy())


def _summary_row(name: str, err: np.ndarray, cr: pd.DataFrame) -> dict[str, object]:
    """One row of the error tables: IV errors (vol points) and condor credit errors (%)."""
    buckets = pd.cut(cr["vix"], VIX_BUCKETS, labels=["VIX<15", "15-30", ">30"])
    by_bucket = cr.groupby(buckets, observed=False)["error_pct"].median()
    return {
        "model": name,
        "n_options": len(err),
        "median_abs_iv_err": float(np.median(np.abs(err))),
        "median_iv_err": float(np.median(err)),
        "rmse_iv": float(np.sqrt(np.mean(err**2))),
        "n_condors": len(cr),
        "condor_median_pct": float(cr["error_pct"].median()),
        **{f"condor_{k}_pct": float(v) for k, v in by_bucket.items()},
    }


def _summary(options, credits, params_by_name) -> pd.DataFrame:
    return pd.DataFrame(
        [
            _summary_row(
                name, _errors(options, params), calibration.condor_credits(credits, params)
            )
            for name, params in params_by_name.items()
        ]
    )


TENOR_BUCKETS = (6, 14, 21, 30, 45, 60)  # days to expiry
DELTA_BUCKETS = (-0.5, -0.3, -0.15, -0.05, 0.05, 0.15, 0.3, 0.5)  # market delta, puts < 0 < calls


def _error_table(err: pd.DataFrame, by: pd.Series) -> pd.DataFrame:
    """Count, median |error|, median error and RMSE (vol points) of `err["err"]` per `by`."""
    g = err.groupby(by, observed=True)["err"]
    return pd.DataFrame(
        {
            "n": g.size(),
            "median_abs": g.apply(lambda e: float(np.median(np.abs(e)))),
            "median": g.median(),
            "rmse": g.apply(lambda e: float(np.sqrt(np.mean(e**2)))),
        }
    ).reset_index()


def error_breakdown(band: pd.DataFrame, params: calibration.SurfaceParams) -> None:
    """Where the fit dates' median |IV error| comes from: by source, tenor and delta bucket,
    how much of it is each (day, expiry)'s own level, and what the per-date level error
    correlates with among the day's public VIX-family closes."""
    err = band.assign(
        err=_errors(band, params),
        source_kind=band["source"].str.replace(r"_spx.*|_spxw.*", "", regex=True),
        days=(band["expiry"] - band["as_of"]).dt.days,
    )
    print("\nfit dates, IV error (vol points, model − market) by source:")
    print(fmt(_error_table(err, err["source_kind"]), 2))
    n_days = err.groupby("source_kind")["as_of"].nunique()
    slices = err.drop_duplicates(["as_of", "expiry"])
    n_slices = slices.groupby("source_kind").size()
    print(f"days per source: {n_days.to_dict()}; (day, expiry) slices: {n_slices.to_dict()}")
    print("\nby days to expiry:")
    print(fmt(_error_table(err, pd.cut(err["days"], TENOR_BUCKETS)), 2))
    print("\nby market delta (puts negative):")
    print(fmt(_error_table(err, pd.cut(err["delta"], DELTA_BUCKETS)), 2))
    level = err.groupby(["as_of", "expiry"])["err"].transform("median")
    day_level = err.groupby("as_of")["err"].transform("median")
    print(
        "\nmedian |IV error| with each (day, expiry)'s own median error removed: "
        f"{float(np.median(np.abs(err['err'] - level))):.2f} (each day's: "
        f"{float(np.median(np.abs(err['err'] - day_level))):.2f}; none: "
        f"{float(np.median(np.abs(err['err']))):.2f})"
    )
    per_day = err.groupby("as_of").agg(
        level=("err", "median"),
        skew=("skew", "first"),
        vvix=("vvix", "first"),
        vix=("vix", "first"),
        vix9d=("vix9d", "first"),
        vix3m=("vix3m", "first"),
    )
    keys = {
        "SKEW": per_day["skew"],
        "VVIX": per_day["vvix"],
        "VIX9D/VIX": per_day["vix9d"] / per_day["vix"],
        "VIX3M/VIX": per_day["vix3m"] / per_day["vix"],
        "VIX": per_day["vix"],
    }
    corr = ", ".join(f"{k} {per_day['level'].corr(v):+.2f}" for k, v in keys.items())
    print(f"correlation of the per-date median error ({len(per_day)} dates) with: {corr}")


CV_FOLDS = 6
CV_SEED = 0  # the folds are a seeded permutation of the dates, so reruns print the same table


def cross_validation(band: pd.DataFrame, legs: pd.DataFrame, start) -> pd.DataFrame:
    """Errors of every date priced by a fit that did not see it: the dates in `CV_FOLDS` folds,
    each fold's options and condors priced by `fit_surface` on the others (from `start`)."""
    dates = np.sort(band["as_of"].unique())
    order = np.random.default_rng(CV_SEED).permutation(len(dates))
    errors, credits = [], []
    for fold in range(CV_FOLDS):
        out = band["as_of"].isin(dates[order[fold::CV_FOLDS]])
        out_legs = legs["as_of"].isin(dates[order[fold::CV_FOLDS]])
        fit = calibration.fit_surface(
            band[~out], legs[~out_legs], start=start, condor_weight=CONDOR_WEIGHT
        )
        errors.append(_errors(band[out], fit.params))
        if out_legs.any():
            credits.append(calibration.condor_credits(legs[out_legs], fit.params))
    err, cr = np.concatenate(errors), pd.concat(credits, ignore_index=True)
    return pd.DataFrame([_summary_row(f"{CV_FOLDS}-fold by date", err, cr)])


def calibration_section() -> calibration.SurfaceParams:
    import option_quotes

    with section("§2.1 calibration to real SPX quotes (7–60 days, 5Δ–ATM)"):
        t0 = time.perf_counter()
        options = option_quotes.spx_calibration_options(snapshot_dir())
        legs = calibration.condor_legs(options)
        band = options[options["delta"].abs().between(*BAND)]
        held = band["as_of"].isin(pd.to_datetime(HELD_OUT))
        held_legs = legs["as_of"].isin(pd.to_datetime(HELD_OUT))
        print(
            f"{len(options)} OTM options with a market IV on {options['as_of'].nunique()} days "
            f"({len(band)} at 5Δ–ATM), {legs['condor'].nunique()} one-month 20Δ/5Δ condors; "
            f"read in {time.perf_counter() - t0:.1f} s from {option_quotes.CHAINS}"
        )
        print(f"held out of the fit: {', '.join(HELD_OUT)}")
        t1 = time.perf_counter()
        fit = calibration.fit_surface(band[~held], legs[~held_legs], condor_weight=CONDOR_WEIGHT)
        p = fit.params
        print(
            f"\nfitted on {fit.n_options} options in {fit.n_slices} (day, expiry) slices and "
            f"{fit.n_condors} condors in {time.perf_counter() - t1:.1f} s (cost {fit.cost:.1f}):"
        )
        print(
            f"atm_ratio = {p.atm_ratio:.4f}, atm_ratio_vix = {p.atm_ratio_vix:.4f}, "
            f"atm_ratio_tenor = {p.atm_ratio_tenor:.4f}"
        )
        sk = p.skew
        print(
            f"s = {sk.s:.4f}, c = {sk.c:.4f}, s_tenor = {sk.s_tenor:.4f}, s_vix = {sk.s_vix:.4f}, "
            f"c_tenor = {sk.c_tenor:.4f}, c_vix = {sk.c_vix:.4f}, floor = {sk.floor:.4f}, "
            f"floor_tenor = {sk.floor_tenor:.4f}"
        )
        defaults = calibration.SurfaceParams(
            ModelParams().atm_ratio,
            ModelParams().atm_ratio_vix,
            ModelParams().atm_ratio_tenor,
            ModelParams().skew,
        )
        models = {
            "before (0.85, §2.1 reference skew)": PREVIOUS,
            "this fit": p,
            "shipped defaults": defaults,
        }
        targets = "targets: median |IV err| ≤ 0.4; condor median within ±5 %, buckets ±10 %"
        for label, mask, mask_legs in (
            ("fit dates", ~held, ~held_legs),
            ("held-out dates", held, held_legs),
        ):
            print(f"\n{label} ({targets}):")
            print(fmt(_summary(band[mask], legs[mask_legs], models), 2))
        print("\nper date (IV errors in vol points, condor credit error in %; model − market):")
        band = band.assign(before=_errors(band, PREVIOUS))
        band = band.assign(after=_errors(band, defaults))
        per = band.groupby("as_of").agg(
            source=("source", "first"),
            vix=("vix", "first"),
            n=("strike", "size"),
            abs_err_before=("before", lambda e: float(np.median(np.abs(e)))),
            abs_err_after=("after", lambda e: float(np.median(np.abs(e)))),
            bias_after=("after", "median"),
        )
        before = calibration.condor_credits(legs, PREVIOUS)
        after = calibration.condor_credits(legs, defaults)
        per["condor_before"] = before.groupby("as_of")["error_pct"].median()
        per["condor_after"] = after.groupby("as_of")["error_pct"].median()
        per["role"] = np.where(per.index.isin(pd.to_datetime(HELD_OUT)), "held out", "fit")
        per["source"] = per["source"].str.replace(r"_spx.*|_spxw.*", "", regex=True)
        per = per.reset_index()
        per["as_of"] = per["as_of"].dt.date
        print(fmt(per, 2))
        error_breakdown(band[~held], defaults)
        t2 = time.perf_counter()
        cv = cross_validation(band, legs, defaults)
        print(
            f"\nevery date out of sample ({CV_FOLDS} folds of the {band['as_of'].nunique()} "
            f"dates, each priced by a fit on the others; {time.perf_counter() - t2:.0f} s):"
        )
        print(fmt(cv, 2))
        spread = after["spread"] / after["market_credit"]
        print(f"\ncondor bid-ask / mid credit: median {float(spread.median()):.3f}")
        return p


# ---------------------------------------------------------------------------------------------
# §2.1 the day's own surface (alvh.model.day_surface), out of sample
# ---------------------------------------------------------------------------------------------


def _defaults() -> calibration.SurfaceParams:
    p = ModelParams()
    return calibration.SurfaceParams(p.atm_ratio, p.atm_ratio_vix, p.atm_ratio_tenor, p.skew)


def _pooled(name: str, parts: list[tuple[pd.DataFrame, pd.DataFrame, object]]) -> dict:
    """One summary row over days, each day's options and condor legs priced by its params."""
    err = [_errors(band, params) for band, _, params in parts if len(band)]
    credits = [calibration.condor_credits(legs, params) for _, legs, params in parts if len(legs)]
    return _summary_row(name, np.concatenate(err), pd.concat(credits, ignore_index=True))


def day_fit_section() -> None:
    """(a) within a day: the day's surface fitted on every other strike of each expiry and
    measured on the others; (b) across days: the fit of day D carried to the next session D+1
    (2018 L2 files: consecutive sessions), priced with D+1's own VIX family, against the
    defaults. A refused day (alvh.model.day_surface's rules) is priced with the defaults."""
    import option_quotes

    from alvh.core import calendar
    from alvh.model import day_surface

    with section("§2.1 the day's own surface, out of sample (alvh.model.day_surface)"):
        t0 = time.perf_counter()
        defaults = _defaults()
        options = option_quotes.spx_calibration_options(snapshot_dir())
        days = {day: g for day, g in options.groupby("as_of")}
        fits, halves, statuses = {}, {}, []
        for day, g in days.items():
            fits[day] = day_surface.fit_day_surface(g, defaults, day.date())
            seen = day_surface.every_other_strike(g)
            halves[day] = (seen, day_surface.fit_day_surface(g[seen], defaults, day.date()))
            statuses.append((day.date(), g["source"].iloc[0], fits[day]))
        n_fitted = sum(f.fitted for f in fits.values())
        print(
            f"{len(days)} days; fitted {n_fitted}, refused {len(days) - n_fitted} "
            f"(at least {day_surface.MIN_OPTIONS} 5Δ–ATM options; the fit must lower the "
            f"day's median |IV error| and pass the arbitrage check); "
            f"{time.perf_counter() - t0:.0f} s"
        )
        reasons = pd.Series([f.reason.split(" (")[0] for f in fits.values() if not f.fitted])
        reasons = reasons.str.replace(r"^\d+ ", "N ", regex=True)
        print("refusals:", reasons.value_counts().to_dict())

        def band_and_legs(g: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
            band = day_surface.in_band(g)
            return band, calibration.condor_legs(band)

        print("\n(a) within a day: fitted on every other strike, measured on the others")
        rows = []
        fitted_days = [d for d in days if fits[d].fitted]
        for label, chosen in (("all days", list(days)), ("fitted days", fitted_days)):
            seen, unseen, plain = [], [], []
            for d in chosen:
                mask, half = halves[d]
                legs = band_and_legs(days[d])[1]  # priced under the half fit: partly seen
                seen.append((day_surface.in_band(days[d][mask]), legs, half.params))
                unseen.append((day_surface.in_band(days[d][~mask]), legs, half.params))
                plain.append((day_surface.in_band(days[d][~mask]), legs, defaults))
            rows.append(_pooled(f"{label}: defaults, unseen strikes", plain))
            rows.append(_pooled(f"{label}: day fit, seen strikes", seen))
            rows.append(_pooled(f"{label}: day fit, unseen strikes", unseen))
        print(fmt(pd.DataFrame(rows), 2))

        print("\n(b) across days: day D's fit carried to the next session D+1 (2018 L2)")
        l2 = sorted(d for d in days if days[d]["source"].iloc[0].startswith("hod_l2"))
        pairs = [
            (a, b)
            for a, b in zip(l2[:-1], l2[1:], strict=True)
            if calendar.next_trading_day(a.date()) == b.date()
        ]
        carried, same_day, plain = [], [], []
        for before, after in pairs:
            band, legs = band_and_legs(days[after])
            plain.append((band, legs, defaults))
            carried.append((band, legs, fits[before].params))
            same_day.append((band, legs, fits[after].params))
        n_carried = sum(fits[b].fitted for b, _ in pairs)
        print(f"{len(pairs)} (D, D+1) pairs of consecutive sessions; D fitted in {n_carried}")
        rows = [
            _pooled("defaults on D+1", plain),
            _pooled("D's fit carried to D+1", carried),
            _pooled("D+1's own fit (in sample, for scale)", same_day),
        ]
        fitted_pairs = [i for i, (b, _) in enumerate(pairs) if fits[b].fitted]
        rows.append(_pooled("defaults on D+1, D fitted", [plain[i] for i in fitted_pairs]))
        rows.append(_pooled("D's fit carried, D fitted", [carried[i] for i in fitted_pairs]))
        print(fmt(pd.DataFrame(rows), 2))

        print("\nper day: median |IV error| 5Δ–ATM (vol points), defaults → fit; status")
        per = pd.DataFrame(
            [
                {
                    "as_of": day,
                    "source": source.split("_spx")[0],
                    "status": f.status,
                    "n": f.n_options,
                    "slices": f.n_slices,
                    "defaults": f.error_defaults,
                    "fitted": f.error_fitted if f.fitted else float("nan"),
                    "atm_ratio": f.params.atm_ratio,
                }
                for day, source, f in statuses
            ]
        )
        print(fmt(per, 2))


# ---------------------------------------------------------------------------------------------
# §2.2
# ---------------------------------------------------------------------------------------------


def dvix_check(fut: pd.DataFrame, vix: pd.Series, kappa: float) -> str:
    """Observed day-over-day ΔF/ΔVIX of the same contract, 20–40 days out, vs e^{−κτ} (§4.2)."""
    d = fut[["date", "expiry", "settle"]].sort_values(["expiry", "date"]).copy()
    d["vix"] = d["date"].map(vix)
    d["d_f"] = d.groupby("expiry")["settle"].diff()
    d["d_vix"] = d.groupby("expiry")["vix"].diff()
    d["days"] = (d["expiry"] - d["date"]).dt.days
    d = d[(d["days"] >= 20) & (d["days"] <= 40)].dropna(subset=["d_f", "d_vix"])
    beta = float((d["d_f"] * d["d_vix"]).sum() / (d["d_vix"] ** 2).sum())
    big = d[d["d_vix"].abs() >= 3.0]
    beta_big = float((big["d_f"] * big["d_vix"]).sum() / (big["d_vix"] ** 2).sum())
    return (
        f"observed dF/dVIX, 20–40 days out (regression through 0 of daily changes): "
        f"{beta:.3f} over {len(d)} days, {beta_big:.3f} on the {len(big)} days with |ΔVIX| ≥ 3; "
        f"model e^(-κ·30/365) = {np.exp(-kappa * 30 / 365):.3f}"
    )


def vx_section(vol: pd.DataFrame, fut: pd.DataFrame) -> None:
    vix = vol.set_index("date")["vix"]
    with section("§2.2 VX curve: mean reversion fitted on every (date, contract)"):
        theta, kappa, st = market.fit_vx_mean_reversion(fut, vix)
        print(
            f"theta = {theta:.3f} VIX points, kappa = {kappa:.4f} /year "
            f"(half-life {np.log(2) / kappa * 365:.0f} days)"
        )
        print(f"defaults in VxCurveParams: {market.VxCurveParams()}")
        print(f"{st.n_obs} observations on {st.n_days} days, {st.first_date}..{st.last_date}")
        print(
            f"all contracts: mean error {st.mean_error:.3f}, MAE {st.mae:.3f}, RMSE {st.rmse:.3f}"
        )
        print(
            f"dF/dVIX = exp(-kappa tau): 1 month {np.exp(-kappa * 30 / 365):.3f}, "
            f"2 months {np.exp(-kappa * 61 / 365):.3f}"
        )
        for max_tau in (0.5, 0.25):
            t2, k2, s2 = market.fit_vx_mean_reversion(fut, vix, max_tau=max_tau)
            print(
                f"sensitivity, contracts with tau <= {max_tau}: theta {t2:.3f}, "
                f"kappa {k2:.4f}, RMSE {s2.rmse:.3f}"
            )
        print(dvix_check(fut, vix, kappa))
        k_shock, sst = market.fit_vx_shock_kappa(fut, vix)
        print(
            f"kappa fitted on daily changes (ΔF = e^(-κτ)·ΔVIX, all contracts): {k_shock:.3f} "
            f"/year -> dF/dVIX 1 month {np.exp(-k_shock * 30 / 365):.3f}, "
            f"2 months {np.exp(-k_shock * 61 / 365):.3f}; {sst.n_obs} changes, "
            f"RMSE {sst.rmse:.3f}"
        )
        print("\nModel − observed, VX1 and VX2 (VX points; expiring contract excluded):\n")
        table = market.vx_model_errors(fut, vix, theta, kappa, SPIKE_WINDOWS)
        print(fmt(table))

    with section("§2.2 alternative: per-day forward variance of the VIX term structure"):
        conv, cst = market.fit_vx_term_convexity(fut, vol)
        print(f"convexity factor c = {conv:.4f} (settle ≈ c × forward vol), {cst.n_obs} obs,")
        print(f"{cst.first_date}..{cst.last_date}; all contracts: mean error {cst.mean_error:.3f},")
        print(f"MAE {cst.mae:.3f}, RMSE {cst.rmse:.3f}")
        cols = vol.set_index("date")[["vix9d", "vix3m", "vix6m", "vix1y"]]

        def term_model(d: pd.DataFrame) -> np.ndarray:
            x = cols.reindex(d["date"])
            return market.term_structure_vx_forward(
                d["tau"].to_numpy(),
                d["vix"].to_numpy(),
                **{c: x[c].to_numpy() for c in cols.columns},
                convexity=conv,
            )

        alt = market.vx_model_errors(fut, vix, theta, kappa, SPIKE_WINDOWS, model=term_model)
        print("\nTerm-structure forward vs mean reversion on the days the former exists:\n")
        mr_same = market.vx_model_errors(
            fut,
            vix,
            theta,
            kappa,
            SPIKE_WINDOWS,
            model=lambda d: np.where(
                np.isfinite(term_model(d)),
                market.model_vx_curve(d["vix"].to_numpy(), d["tau"].to_numpy(), theta, kappa),
                np.nan,
            ),
        )
        both = alt.merge(mr_same, on=["window", "contract"], suffixes=("_term", "_meanrev"))
        both = both[
            [
                "window",
                "contract",
                "n_term",
                "mean_error_term",
                "mae_term",
                "rmse_term",
                "mean_error_meanrev",
                "mae_meanrev",
                "rmse_meanrev",
            ]
        ]
        print(fmt(both))


# ---------------------------------------------------------------------------------------------
# §2.3
# ---------------------------------------------------------------------------------------------


def vix_option_section(vol: pd.DataFrame) -> None:
    with section("§2.3 VIX option vol"):
        vv = vol["vvix"].dropna()
        print(
            f"VVIX {vv.index.size} days: mean {vv.mean():.1f}, median {vv.median():.1f}, "
            f"min {vv.min():.1f}, max {vv.max():.1f}"
        )
        print(
            f"level 1.2·VVIX/100 at the median VVIX: {1.2 * vv.median() / 100:.3f}; "
            f"default without VVIX: 0.90"
        )
        skews = {
            "flat": market.VixSkew(slope=0.0),
            "atm": market.VixSkew(),
            "delta30": market.VixSkew(anchor="delta30"),
        }
        print(f"skew (default): {skews['atm']}")
        skew_table = {k: v for k, v in skews.items() if k != "flat"}
        x = np.array([-0.5, -0.25, -0.1, 0.0, 0.1, 0.25, 0.5, 1.0])
        tau = 30 / 365
        rows = {"ln(K/F)": x}
        for vvix in (80.0, 120.0, 160.0):
            for name, sk in skew_table.items():
                rows[f"VVIX {vvix:.0f} {name}"] = market.vix_option_vol(
                    np.exp(x) * 20.0, 20.0, tau, vvix, skew=sk
                )
        print("\nvol (decimal) by log-moneyness, 1 month, both anchors:")
        print(fmt(pd.DataFrame(rows)))
        print("\n~30-delta one-month call (r = 4 %, τ = 30/365), premium in % of F; 'flat' is")
        print("1.2·VVIX/100 at every strike, as the VXTH replication priced it:\n")
        out = []
        for f, vvix in ((14.0, 80.0), (17.0, 90.0), (20.0, 100.0), (30.0, 130.0), (45.0, 150.0)):
            for name, sk in skews.items():
                pick = market.vix_call_strike_for_delta(
                    f,
                    tau,
                    0.04,
                    lambda k, f=f, v=vvix, sk=sk: market.vix_option_vol(k, f, tau, v, skew=sk),
                )
                prem = float(black76_price(f, pick.strike, tau, 0.04, pick.vol, True))
                out.append(
                    {
                        "F": f,
                        "VVIX": vvix,
                        "anchor": name,
                        "strike": pick.strike,
                        "delta": pick.delta,
                        "vol": pick.vol,
                        "vol/(1.2VVIX)": pick.vol / (1.2 * vvix / 100),
                        "premium_%F": 100 * prem / f,
                    }
                )
        print(fmt(pd.DataFrame(out)))
        strikes = market.vix_strike_grid(1.0, 400.0)
        for name, sk in skew_table.items():
            bad = cells = 0
            min_vol = np.inf
            for f in (9.0, 12.0, 15.0, 20.0, 30.0, 45.0, 60.0, 80.0):
                for vvix in (57.0, 80.0, 100.0, 150.0, 210.0):
                    for days in (1, 7, 14, 30, 60, 120, 182, 365):
                        t = days / 365
                        v = market.vix_option_vol(strikes, f, t, vvix, skew=sk)
                        min_vol = min(min_vol, float(v.min()))
                        for is_call in (True, False):
                            px = black76_price(f, strikes, t, 0.04, v, is_call)
                            cells += 1
                            res = market.strike_arbitrage(strikes, px, is_call, 1e-12)
                            bad += res["n_breaches"] > 0
            print(
                f"\nstatic arbitrage ({name}), strikes {strikes[0]}..{strikes[-1]} on the listed"
                f" grid, F 9..80, VVIX 57..210, 1 d..1 y, calls and puts: {cells} cells, "
                f"{bad} with a breach; lowest vol {min_vol:.3f}"
            )


def vix_calibration_section() -> float:
    import option_quotes

    with section("§2.3 VIX option vol by tenor, fitted on real VIX option quotes (2016-06-01)"):
        options = option_quotes.vix_calibration_options(snapshot_dir())
        vvix = float(options["vvix"].iloc[0])
        params = ModelParams()
        gap = (options["forward"] - options["vx_settle"]).abs()
        print(
            f"{len(options)} OTM VIX options, {options['expiry'].nunique()} expiries 7–200 d, "
            f"VVIX {vvix:.2f}; parity forward − VX settlement: max {gap.max():.3f} points "
            f"(where a future is listed)"
        )
        before = replace(params.vix_skew, level_tenor=0.0)
        fitted = calibration.fit_vix_level_tenor(options, vvix, params.vvix_multiplier, before)
        print(
            f"fitted level_tenor = {fitted:.4f} (vvix_multiplier {params.vvix_multiplier} and "
            f"the skew held; shipped default {params.vix_skew.level_tenor})"
        )
        calls = options[options["type"] == "C"]
        rows = []
        for expiry, g in calls.groupby("expiry"):
            days = int(round(g["tau"].iloc[0] * 365))
            errs = {
                name: calibration.vix_option_errors(g, vvix, params.vvix_multiplier, sk)
                for name, sk in (("before", before), ("after", params.vix_skew))
            }
            order = np.argsort(g["delta"].to_numpy())
            market30 = np.interp(
                0.30, g["delta"].to_numpy()[order], g["market_iv"].to_numpy()[order]
            )
            rows.append(
                {
                    "expiry": expiry.date(),
                    "days": days,
                    "forward": float(g["forward"].iloc[0]),
                    "calls": len(g),
                    "market_iv_30d": 100 * market30,
                    "median_err_before": float(np.median(errs["before"])),
                    "median_err_after": float(np.median(errs["after"])),
                }
            )
        print("\nCalls by expiry (vol points, model − market):")
        print(fmt(pd.DataFrame(rows), 2))
        return fitted


# ---------------------------------------------------------------------------------------------
# §2.4
# ---------------------------------------------------------------------------------------------


def response_section(vol: pd.DataFrame, spx: pd.DataFrame) -> None:
    with section("§2.4 VIX response to SPX moves"):
        fit = market.fit_vix_response(spx.set_index("date")["close"], vol.set_index("date")["vix"])
        print(f"sample {fit.first_date}..{fit.last_date}")
        print("| days | slope b | intercept a | R² | n |\n|---|---|---|---|---|")
        print(
            f"| down (r < 0) | {fit.down_slope:.3f} | {fit.down_intercept:.4f} | "
            f"{fit.down_r2:.3f} | {fit.n_down} |"
        )
        print(
            f"| up (r ≥ 0) | {fit.up_slope:.3f} | {fit.up_intercept:.4f} | "
            f"{fit.up_r2:.3f} | {fit.n_up} |"
        )
        moves = np.array([-0.25, -0.20, -0.10, -0.05, -0.03, 0.0, 0.03, 0.05, 0.10])
        after = market.apply_vix_response(15.0, moves, fit)
        print("\nVIX 15 after an SPX move (slopes only):")
        print(fmt(pd.DataFrame({"spx_return": moves, "vix_after": after}), 2))
        uncapped = market.apply_vix_response(82.69, -0.25, fit, cap=np.inf)
        capped = market.apply_vix_response(82.69, -0.25, fit)
        print(
            f"\nVIX 82.69 (2020-03-16) after SPX −25 %: {uncapped:.1f} uncapped, {capped:.1f} "
            f"with the cap VIX_RESPONSE_CAP = {market.VIX_RESPONSE_CAP:g}"
        )


def main() -> None:
    t0 = time.perf_counter()
    vol, fut, spx = load()
    print(
        f"# Market model fit (benchmarks/fit_market_model.py); data load "
        f"{time.perf_counter() - t0:.2f} s"
    )
    if sys.argv[1:] == ["day-fit"]:  # the day-fit section alone
        day_fit_section()
        return
    spx_section(vol)
    calibration_section()
    day_fit_section()
    vx_section(vol, fut)
    vix_option_section(vol)
    vix_calibration_section()
    response_section(vol, spx)
    print(f"\ntotal runtime {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
