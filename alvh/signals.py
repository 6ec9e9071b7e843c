"""Signals S1–S6 as time series over the whole history (method §5).

Each signal is computed for every NYSE trading day from `start` to `as_of` in one vectorised
pass over a `history.daily_panel` (values as known at each close, so nothing looks ahead), the
monthly release tables and the FOMC calendar. Every day carries the §5 quadruple — value,
threshold, active, available — plus the inputs used; `SignalHistory.on(day)` turns one row of
each signal into `SignalReading`s with a readable detail, the shape `alvh layers --json` prints.

A missing or stale input makes a signal *unavailable* (value None, active False, a reason in the
detail), never silently inactive. docs/signals.md states every definition and default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from alvh import calendar, history
from alvh.errors import UsageError

SIGNALS = ("S1", "S2", "S3", "S4", "S5", "S6")
TITLES = {
    "S1": "complacency",
    "S2": "macro surprise",
    "S3": "rate-differential / carry spike",
    "S4": "volatility momentum",
    "S5": "breadth divergence",
    "S6": "equity risk premium",
}

DAILY_SERIES = ("SPX", "VIX", "DGS2", "DGS10", "DFF", "DEXJPUS", "NYSE_ADVANCERS", "NYSE_DECLINERS")
MONTHLY_SERIES = ("CAPE", "CPIAUCSL", "PPIFIS", "PPIACO")
DEFAULT_START = date(1990, 1, 2)
# Rows read before `start` so every trailing window is full on the first reported day: S6's
# 10-year percentile needs 2,520 sessions, S3 252 + 5, S5 a 52-week high and settled EMAs.
WARMUP_YEARS = 12
CORE_COLUMNS = ("value", "threshold", "active", "available")


class SignalConfigError(UsageError, ValueError):
    """A signal setting that does not exist or has an impossible value (exit 2)."""


@dataclass(frozen=True)
class SignalConfig:
    """Every threshold and window of method §5, with its default (docs/signals.md)."""

    # Staleness: beyond these, an input is stale and its signal unavailable.
    daily_max_stale_sessions: int = 5
    monthly_max_lag_months: int = 3
    # S1 complacency
    s1_vix_max: float = 25.0
    s1_valuation_percentile: float = 0.70
    s1_valuation_window_years: int = 30
    # S2 macro surprise
    s2_z: float = 1.5
    s2_trend_months: int = 12
    s2_std_months: int = 24
    s2_min_trend_months: int = 10
    s2_min_std_months: int = 20
    s2_confirm_sessions: int = 5
    # S3 rate-differential / carry spike
    s3_z: float = 2.0
    s3_z_near_fomc: float = 1.5
    s3_fomc_sessions: int = 2
    s3_change_sessions: int = 5
    s3_z_window: int = 252
    # S4 volatility momentum
    s4_rsi_period: int = 14
    s4_rsi_threshold: float = 70.0
    s4_min_window: int = 20
    s4_min_multiple: float = 1.5
    # S5 breadth divergence
    s5_fast: int = 12
    s5_slow: int = 26
    s5_signal: int = 9
    s5_high_window: int = 63
    s5_near_high_window: int = 252
    s5_near_high_pct: float = 0.03
    s5_hold_sessions: int = 10
    s5_breadth_warmup_sessions: int = 60
    # S6 equity risk premium
    s6_percentile: float = 0.20
    s6_window_sessions: int = 2520

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SignalConfigError(f"signal setting {f.name} must be a number, got {value!r}")
            if f.type == "int":
                if int(value) != value:
                    raise SignalConfigError(
                        f"signal setting {f.name} must be an integer: {value!r}"
                    )
                object.__setattr__(self, f.name, int(value))
            else:
                object.__setattr__(self, f.name, float(value))
            if value <= 0 and f.name != "daily_max_stale_sessions":
                raise SignalConfigError(f"signal setting {f.name} must be > 0, got {value!r}")
            if value < 0:
                raise SignalConfigError(f"signal setting {f.name} must be >= 0, got {value!r}")
        for name in ("s1_valuation_percentile", "s6_percentile", "s5_near_high_pct"):
            if not 0 < getattr(self, name) < 1:
                raise SignalConfigError(f"signal setting {name} must lie in (0, 1)")
        if self.s5_fast >= self.s5_slow:
            raise SignalConfigError("s5_fast must be shorter than s5_slow")
        if self.s3_z_near_fomc > self.s3_z:
            raise SignalConfigError("s3_z_near_fomc must not exceed s3_z")
        if self.s2_min_trend_months > self.s2_trend_months:
            raise SignalConfigError("s2_min_trend_months must not exceed s2_trend_months")
        if self.s2_min_std_months > self.s2_std_months or self.s2_min_std_months < 2:
            raise SignalConfigError("s2_min_std_months must lie in [2, s2_std_months]")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> SignalConfig:
        """Defaults overridden by `values`; an unknown key is an error naming the known ones."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise SignalConfigError(
                f"unknown signal setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return cls(**dict(values))

    def as_dict(self) -> dict[str, float | int]:
        """The values in force, for reports."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class SignalInputs:
    """Everything the signals read, as known by `as_of` (warm-up rows before `start` included)."""

    as_of: date
    start: date
    panel: history.KnownPanel
    releases: Mapping[str, pd.DataFrame]
    fomc: pd.DataFrame


@dataclass(frozen=True)
class SignalReading:
    """One signal on one day (interface.md `layers` JSON plus the inputs used)."""

    value: float | None
    threshold: float | None
    active: bool
    available: bool
    detail: str
    inputs: dict[str, float | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def load_signal_inputs(
    con: duckdb.DuckDBPyConnection, as_of: date, start: date = DEFAULT_START
) -> SignalInputs:
    """Read the signals' inputs through `alvh.history`, so publication dates are respected."""
    as_of = calendar.latest_trading_day(as_of)
    start = calendar.as_date(start)
    if start > as_of:
        raise UsageError(f"signal start {start} is after as_of {as_of}")
    warmup_start = date(start.year - WARMUP_YEARS, start.month, 1)
    panel = history.daily_panel(con, [*DAILY_SERIES, *MONTHLY_SERIES], as_of, start=warmup_start)
    releases = {s: history.monthly_releases(con, s, as_of) for s in MONTHLY_SERIES}
    fomc = history.events(con, ["FOMC"])[["event_date", "unscheduled", "status"]]
    return SignalInputs(as_of, start, panel, releases, fomc.reset_index(drop=True))


# ---------------------------------------------------------------------------------------------
# Shared helpers


def _reasons(
    n: int,
    inputs: list[tuple[np.ndarray, str]],
    history: list[tuple[np.ndarray, str]] | None = None,
) -> np.ndarray:
    """Per row, why the signal is unavailable ('' when it is available).

    Every failing input check is named; a short-history check only when the inputs are fine
    (a missing series trivially has no history). Built per distinct failure pattern, so the
    cost does not grow with the number of rows.
    """
    history = history or []
    checks = [*inputs, *history]
    code = np.zeros(n, dtype=np.int64)
    for bit, (failed, _) in enumerate(checks):
        code |= np.asarray(failed, dtype=bool).astype(np.int64) << bit
    patterns, where = np.unique(code, return_inverse=True)
    messages = []
    for pattern in patterns.tolist():
        bad_inputs = [m for bit, (_, m) in enumerate(inputs) if pattern >> bit & 1]
        short = [m for bit, (_, m) in enumerate(history, len(inputs)) if pattern >> bit & 1]
        messages.append("; ".join(bad_inputs or short[:1]))
    return np.asarray(messages, dtype=object)[where.reshape(-1)]


def _daily_checks(ctx: _Context, series: tuple[str, ...]) -> list[tuple[np.ndarray, str]]:
    checks = []
    for s in series:
        checks.append((np.isnan(ctx.values[s]), f"{s} missing"))
        stale = np.isfinite(ctx.stale[s]) & (ctx.stale[s] > ctx.config.daily_max_stale_sessions)
        checks.append((stale, f"{s} stale"))
    return checks


def _monthly_checks(ctx: _Context, series: str, label: str) -> list[tuple[np.ndarray, str]]:
    lag = ctx.month_lag[series]
    return [
        (np.isnan(ctx.values[series]), f"{label} missing"),
        (np.isfinite(lag) & (lag > ctx.config.monthly_max_lag_months), f"{label} stale"),
    ]


@dataclass
class _Context:
    """Arrays shared by the signal functions (warm-up rows included)."""

    config: SignalConfig
    index: pd.DatetimeIndex
    values: dict[str, np.ndarray]
    value_dates: dict[str, np.ndarray]
    stale: dict[str, np.ndarray]
    month_lag: dict[str, np.ndarray]


def _context(inputs: SignalInputs, config: SignalConfig) -> _Context:
    panel = inputs.panel
    index = panel.values.index
    rows = index.to_numpy(dtype="datetime64[ns]")
    values = {c: panel.values[c].to_numpy(dtype=float) for c in panel.values.columns}
    dates = {c: panel.value_dates[c].to_numpy(dtype="datetime64[ns]") for c in panel.values.columns}
    sessions = rows.astype("datetime64[D]")
    position = np.arange(len(rows))
    stale, lag = {}, {}
    for s in DAILY_SERIES:
        # Sessions after the value's own date up to the row: the row's position minus the
        # position of the last session on or before the value date (the panel is every session).
        d = dates[s].astype("datetime64[D]")
        have = ~np.isnat(d)
        at = np.searchsorted(sessions, np.where(have, d, sessions[0]), side="right") - 1
        stale[s] = np.where(have, position - at, np.inf)
    row_month = _month_number(rows)
    for s in MONTHLY_SERIES:
        have = ~np.isnat(dates[s])
        lag[s] = np.where(have, row_month - _month_number(dates[s]), np.inf)
    return _Context(config, index, values, dates, stale, lag)


def _month_number(dates: np.ndarray) -> np.ndarray:
    months = dates.astype("datetime64[M]").astype("int64")
    return np.where(np.isnat(dates), 0, months).astype(float)


def _rolling(values: np.ndarray, window: int, min_periods: int | None = None):
    return pd.Series(values).rolling(window, min_periods=min_periods or window)


def _finish(
    available: np.ndarray, value: np.ndarray, threshold: np.ndarray, active: np.ndarray
) -> dict[str, np.ndarray]:
    """Apply the unavailability rule: no value, no threshold, never active."""
    return {
        "value": np.where(available, value, np.nan),
        "threshold": np.where(available, threshold, np.nan),
        "active": available & active,
        "available": available,
    }


# ---------------------------------------------------------------------------------------------
# S1 complacency (method §5)


def _cape_percentiles(cape: pd.DataFrame, window_months: int) -> pd.Series:
    """Per CAPE month, the share of the trailing `window_months` months (itself included) with a
    CAPE at or below it. NaN until a full window of consecutive months exists."""
    monthly = cape.set_index("obs_date")["value"].sort_index()
    if monthly.empty:
        return monthly
    grid = pd.date_range(monthly.index[0], monthly.index[-1], freq="MS")
    values = monthly.reindex(grid).to_numpy(dtype=float)
    out = np.full(len(values), np.nan)
    if len(values) >= window_months:
        windows = np.lib.stride_tricks.sliding_window_view(values, window_months)
        current = windows[:, -1:]
        share = (windows <= current).sum(axis=1) / window_months
        share[np.isnan(windows).any(axis=1)] = np.nan
        out[window_months - 1 :] = share
    return pd.Series(out, index=grid)


def _s1(ctx: _Context, inputs: SignalInputs) -> dict[str, np.ndarray]:
    cfg = ctx.config
    vix, cape = ctx.values["VIX"], ctx.values["CAPE"]
    percentiles = _cape_percentiles(inputs.releases["CAPE"], 12 * cfg.s1_valuation_window_years)
    cape_month = ctx.value_dates["CAPE"]
    pct = percentiles.reindex(pd.DatetimeIndex(cape_month)).to_numpy(dtype=float)
    reason = _reasons(
        len(vix),
        [
            *_daily_checks(ctx, ("VIX",)),
            *_monthly_checks(ctx, "CAPE", "CAPE"),
        ],
        [(np.isnan(pct), f"CAPE history shorter than {cfg.s1_valuation_window_years} years")],
    )
    available = reason == ""
    active = (vix < cfg.s1_vix_max) & (pct >= cfg.s1_valuation_percentile)
    out = _finish(available, pct, np.full(len(vix), cfg.s1_valuation_percentile), active)
    out |= {"vix": vix, "cape": cape, "cape_month": cape_month, "reason": reason}
    return out


# ---------------------------------------------------------------------------------------------
# S3 rate-differential / carry spike (method §5); computed before S2, which it can confirm


def _trailing_z(change: np.ndarray, window: int) -> np.ndarray:
    """z of each value against the `window` values before it (itself excluded)."""
    prior = _rolling(np.r_[np.nan, change[:-1]], window)
    mean, std = prior.mean().to_numpy(), prior.std(ddof=1).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(std > 0, (change - mean) / std, np.nan)


def _near_fomc(ctx: _Context, fomc: pd.DataFrame) -> np.ndarray:
    """Days within ±k sessions of a scheduled FOMC decision, or 0..k after an unscheduled one
    (an inter-meeting move is not known before it happens)."""
    k = ctx.config.s3_fomc_sessions
    n = len(ctx.index)
    if fomc.empty or n == 0:
        return np.zeros(n, dtype=bool)
    last = calendar.add_trading_days(ctx.index[-1], k + 1)
    sessions = calendar.trading_days(ctx.index[0], last).to_numpy(dtype="datetime64[ns]")
    when = fomc["event_date"].to_numpy(dtype="datetime64[ns]")
    at = np.searchsorted(sessions, when, side="left")
    inside = (when >= sessions[0]) & (at < len(sessions))
    unscheduled = fomc["unscheduled"].fillna(False).to_numpy(dtype=bool)
    lo = np.where(unscheduled, at, at - k)[inside]
    hi = (at + k)[inside]
    marks = np.zeros(len(sessions) + 1, dtype=int)
    np.add.at(marks, np.clip(lo, 0, len(sessions)), 1)
    np.add.at(marks, np.clip(hi + 1, 0, len(sessions)), -1)
    return (np.cumsum(marks)[:n]) > 0


def _s3(ctx: _Context, inputs: SignalInputs) -> dict[str, np.ndarray]:
    cfg = ctx.config
    h = cfg.s3_change_sessions
    spread = ctx.values["DGS2"] - ctx.values["DFF"]
    usdjpy = ctx.values["DEXJPUS"]
    with np.errstate(invalid="ignore", divide="ignore"):
        log_fx = np.log(usdjpy)
    d_spread = spread - np.r_[np.full(h, np.nan), spread[:-h]]
    d_fx = log_fx - np.r_[np.full(h, np.nan), log_fx[:-h]]
    z_rate = _trailing_z(d_spread, cfg.s3_z_window)
    z_fx = _trailing_z(d_fx, cfg.s3_z_window)
    near = _near_fomc(ctx, inputs.fomc)
    short = f"fewer than {cfg.s3_z_window} sessions of 5-day changes for the z-score"
    reason = _reasons(
        len(spread),
        [
            *_daily_checks(ctx, ("DGS2", "DFF", "DEXJPUS")),
        ],
        [(np.isnan(z_rate) | np.isnan(z_fx), short)],
    )
    available = reason == ""
    value = np.fmax(np.abs(z_rate), np.abs(z_fx))
    threshold = np.where(near, cfg.s3_z_near_fomc, cfg.s3_z)
    out = _finish(available, value, threshold, value >= threshold)
    out |= {
        "near_fomc": near,
        "z_rate": z_rate,
        "z_fx": z_fx,
        "spread": spread,
        "spread_change_bp": 100 * d_spread,
        "usdjpy": usdjpy,
        "usdjpy_log_change": d_fx,
        "reason": reason,
    }
    return out


# ---------------------------------------------------------------------------------------------
# S2 macro surprise (method §5)


def release_surprises(releases: pd.DataFrame, config: SignalConfig) -> pd.DataFrame:
    """Per reference month of one monthly index: MoM %, its trailing trend and std, and z.

    `releases` has obs_date, value, known_date. The trend is the mean of the `s2_trend_months`
    MoM values before the month, the scale the std of the `s2_std_months` before it (the month
    itself excluded: it is the surprise being measured). A month whose predecessor is missing
    has no MoM; windows need `s2_min_*_months` values. A window holding a month that became
    known after this one (never in the bundled data) voids the z.
    """
    cols = ["obs_date", "known_date", "value", "mom", "trend", "std", "z"]
    if releases.empty:
        return pd.DataFrame(columns=cols)
    monthly = releases.set_index("obs_date").sort_index()
    grid = pd.date_range(monthly.index[0], monthly.index[-1], freq="MS")
    monthly = monthly.reindex(grid)
    value = monthly["value"].to_numpy(dtype=float)
    mom = 100.0 * (value / np.r_[np.nan, value[:-1]] - 1.0)
    prior = np.r_[np.nan, mom[:-1]]
    trend = _rolling(prior, config.s2_trend_months, config.s2_min_trend_months).mean()
    std = _rolling(prior, config.s2_std_months, config.s2_min_std_months).std(ddof=1)
    trend, std = trend.to_numpy(), std.to_numpy()
    known = monthly["known_date"].to_numpy(dtype="datetime64[ns]")
    known_int = np.where(np.isnat(known), np.iinfo("int64").min, known.astype("int64"))
    window = max(config.s2_trend_months, config.s2_std_months) + 1
    latest_known = _rolling(known_int.astype(float), window, 1).max().to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(std > 0, (mom - trend) / std, np.nan)
    z[latest_known > known_int] = np.nan
    out = pd.DataFrame(
        {"obs_date": grid, "known_date": known, "value": value, "mom": mom}
        | {"trend": trend, "std": std, "z": z}
    )
    return out[~np.isnat(known)].reset_index(drop=True)


def _ppi_surprises(inputs: SignalInputs, config: SignalConfig) -> pd.DataFrame:
    """PPI final demand (PPIFIS) where its z exists, else PPI all commodities (PPIACO)."""
    fis = release_surprises(inputs.releases["PPIFIS"], config).assign(series="PPIFIS")
    aco = release_surprises(inputs.releases["PPIACO"], config).assign(series="PPIACO")
    use_fis = fis[np.isfinite(fis["z"].to_numpy(dtype=float))]
    rest = aco[~aco["obs_date"].isin(use_fis["obs_date"])]
    fis_rest = fis[
        ~fis["obs_date"].isin(use_fis["obs_date"]) & ~fis["obs_date"].isin(rest["obs_date"])
    ]
    both = pd.concat([use_fis, rest, fis_rest], ignore_index=True)
    return both.sort_values("obs_date").reset_index(drop=True)


def _on_days(table: pd.DataFrame, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Attach the session each release registers on (first session on or after known_date)."""
    rows = index.to_numpy(dtype="datetime64[ns]")
    at = np.searchsorted(rows, table["known_date"].to_numpy(dtype="datetime64[ns]"), side="left")
    table = table.assign(day=at, release_day=rows[np.minimum(at, len(rows) - 1)])
    return table[at < len(rows)].reset_index(drop=True)


def _s2(ctx: _Context, inputs: SignalInputs, s3_active: np.ndarray) -> tuple[dict, pd.DataFrame]:
    cfg = ctx.config
    n = len(ctx.index)
    cpi = _on_days(release_surprises(inputs.releases["CPIAUCSL"], cfg), ctx.index)
    cpi["series"] = "CPIAUCSL"
    ppi = _on_days(_ppi_surprises(inputs, cfg), ctx.index)
    table = pd.concat([cpi.assign(kind="CPI"), ppi.assign(kind="PPI")], ignore_index=True)
    table["surprise"] = np.abs(table["z"].to_numpy(dtype=float)) >= cfg.s2_z
    table = _confirm(table, s3_active, cfg, ctx.index)

    per_kind = {}
    for kind, rows in table.groupby("kind"):
        rows = rows.sort_values(["day", "obs_date"])
        today_z = np.full(n, np.nan)
        today = np.zeros(n, dtype=bool)
        # Two releases of one index on one day (a backlog): the larger |z| speaks for the day.
        strongest = rows.assign(a=np.abs(rows["z"]).fillna(-1)).sort_values(["day", "a"])
        last_of_day = strongest.drop_duplicates("day", keep="last")
        today[last_of_day["day"]] = True
        today_z[last_of_day["day"]] = last_of_day["z"]
        latest = rows.drop_duplicates("day", keep="last")
        carried = np.full(n, -1)
        carried[latest["day"]] = np.arange(len(latest))
        carried = np.maximum.accumulate(carried)
        latest_z = np.where(carried >= 0, latest["z"].to_numpy(dtype=float)[carried], np.nan)
        latest_series = np.where(carried >= 0, latest["series"].to_numpy()[carried], "")
        per_kind[kind] = (today, today_z, latest_z, latest_series)
    empty = (np.zeros(n, dtype=bool), np.full(n, np.nan), np.full(n, np.nan), np.full(n, ""))
    cpi_today, cpi_z, cpi_latest, _ = per_kind.get("CPI", empty)
    ppi_today, ppi_z, ppi_latest, ppi_series = per_kind.get("PPI", empty)

    ppi_lag = np.fmin(ctx.month_lag["PPIFIS"], ctx.month_lag["PPIACO"])
    limit = cfg.monthly_max_lag_months
    reason = _reasons(
        n,
        [
            (np.isnan(ctx.values["CPIAUCSL"]), "CPI missing"),
            (
                np.isfinite(ctx.month_lag["CPIAUCSL"]) & (ctx.month_lag["CPIAUCSL"] > limit),
                "CPI stale",
            ),
            (np.isnan(ctx.values["PPIFIS"]) & np.isnan(ctx.values["PPIACO"]), "PPI missing"),
            (np.isfinite(ppi_lag) & (ppi_lag > limit), "PPI stale"),
            (cpi_today & np.isnan(cpi_z), "CPI released today but its z cannot be computed"),
            (ppi_today & np.isnan(ppi_z), "PPI released today but its z cannot be computed"),
        ],
    )
    available = reason == ""
    # The day's value: the z of today's release with the larger |z| (none on other days).
    cpi_size = np.where(cpi_today, np.nan_to_num(np.abs(cpi_z), nan=-1.0), -2.0)
    ppi_size = np.where(ppi_today, np.nan_to_num(np.abs(ppi_z), nan=-1.0), -2.0)
    value = np.where(cpi_size >= ppi_size, cpi_z, ppi_z)
    value = np.where(cpi_today | ppi_today, value, np.nan)
    out = _finish(available, value, np.full(n, cfg.s2_z), np.abs(value) >= cfg.s2_z)

    confirmed = np.zeros(n, dtype=bool)
    confirmation = np.full(n, "", dtype=object)
    hits = table[table["confirmed_day"] >= 0].sort_values(["confirmed_day", "kind"])
    per_day = hits.groupby("confirmed_day")["confirmation"].agg("; ".join)  # keeps kind order
    confirmed[per_day.index.to_numpy(dtype=int)] = True
    confirmation[per_day.index.to_numpy(dtype=int)] = per_day.to_numpy()
    out |= {
        "confirmed": confirmed,
        "confirmation": confirmation,
        "release": cpi_today | ppi_today,
        "cpi_z": cpi_latest,
        "ppi_z": ppi_latest,
        "ppi_series": ppi_series,
        "cpi_month": ctx.value_dates["CPIAUCSL"],
        "reason": reason,
    }
    rows = ctx.index.to_numpy(dtype="datetime64[ns]")
    on = table["confirmed_day"].to_numpy()
    table["confirmed_on"] = np.where(on >= 0, rows[np.maximum(on, 0)], np.datetime64("NaT"))
    return out, table.drop(columns=["day", "confirmed_day"])


def _confirm(
    table: pd.DataFrame, s3_active: np.ndarray, cfg: SignalConfig, index: pd.DatetimeIndex
) -> pd.DataFrame:
    """Day each surprise became confirmed: the other index's same-month z has the same sign
    (once both are known), or S3 fires within ±`s2_confirm_sessions` (once it has fired)."""
    confirmed_day = np.full(len(table), -1)
    text = np.full(len(table), "", dtype=object)
    s3_days = np.flatnonzero(s3_active)
    other = {"CPI": "PPI", "PPI": "CPI"}
    # plain arrays: this loop runs on every signal computation, and pandas row access is slow
    kinds, months = table["kind"].to_numpy(), list(table["obs_date"])
    days, zs = table["day"].to_numpy(dtype=int), table["z"].to_numpy(dtype=float)
    by_key = {(kind, month): at for at, (kind, month) in enumerate(zip(kinds, months, strict=True))}
    k = cfg.s2_confirm_sessions
    for i in np.flatnonzero(table["surprise"].to_numpy(dtype=bool)):
        kind, day, z = kinds[i], int(days[i]), zs[i]
        sign, month = np.sign(z), months[i].strftime("%Y-%m")
        candidates = []
        j = by_key.get((other[kind], months[i]))
        if j is not None and np.sign(zs[j]) == sign:
            candidates.append(
                (max(day, int(days[j])),
                 f"{kind} {month} z {z:+.2f} agrees in sign with {other[kind]} z {zs[j]:+.2f}")
            )  # fmt: skip
        near = s3_days[(s3_days >= day - k) & (s3_days <= day + k)]
        if len(near):
            s3_day = near[0]
            candidates.append(
                (max(day, int(s3_day)),
                 f"{kind} {month} z {z:+.2f} with S3 firing on {index[s3_day].date()}")
            )  # fmt: skip
        if candidates:
            confirmed_day[i], text[i] = min(candidates, key=lambda c: c[0])
    return table.assign(confirmed_day=confirmed_day, confirmation=text)


# ---------------------------------------------------------------------------------------------
# S4 volatility momentum (method §5)


def wilder_rsi(values: np.ndarray, period: int = 14) -> np.ndarray:
    """Wilder's RSI: averages seeded with the simple mean of the first `period` changes, then
    smoothed with weight 1/period (Wilder 1978, "New Concepts in Technical Trading Systems").

    Leading NaNs are skipped; values must have no NaN after the first finite one. RSI is 100
    when the average loss is 0 (and 50 when both averages are 0).
    """
    x = np.asarray(values, dtype=float)
    out = np.full(len(x), np.nan)
    finite = np.flatnonzero(np.isfinite(x))
    if len(finite) == 0 or len(x) - finite[0] <= period:
        return out
    first = finite[0]
    change = np.diff(x[first:])
    gain, loss = np.clip(change, 0, None), np.clip(-change, 0, None)

    def smooth(series: np.ndarray) -> np.ndarray:
        seeded = np.r_[series[:period].mean(), series[period:]]
        return pd.Series(seeded).ewm(alpha=1.0 / period, adjust=False).mean().to_numpy()

    avg_gain, avg_loss = smooth(gain), smooth(loss)
    with np.errstate(invalid="ignore", divide="ignore"):
        rsi = 100.0 - 100.0 / (1.0 + avg_gain / avg_loss)
    rsi = np.where(avg_loss == 0, np.where(avg_gain == 0, 50.0, 100.0), rsi)
    out[first + period :] = rsi
    return out


def _s4(ctx: _Context) -> dict[str, np.ndarray]:
    cfg = ctx.config
    vix = ctx.values["VIX"]
    rsi = wilder_rsi(vix, cfg.s4_rsi_period)
    vix_min = _rolling(vix, cfg.s4_min_window).min().to_numpy()
    ratio = vix / vix_min
    reason = _reasons(
        len(vix),
        [
            *_daily_checks(ctx, ("VIX",)),
        ],
        [
            (np.isnan(rsi), f"fewer than {cfg.s4_rsi_period + 1} VIX closes for RSI"),
            (np.isnan(vix_min), f"fewer than {cfg.s4_min_window} VIX closes for the minimum"),
        ],
    )
    available = reason == ""
    active = (rsi >= cfg.s4_rsi_threshold) | (ratio >= cfg.s4_min_multiple)
    out = _finish(available, rsi, np.full(len(vix), cfg.s4_rsi_threshold), active)
    out |= {"vix": vix, "vix_min": vix_min, "vix_ratio": ratio, "reason": reason}
    return out


# ---------------------------------------------------------------------------------------------
# S5 breadth divergence (method §5)


def macd(values: np.ndarray, fast: int = 12, slow: int = 26, signal: int = 9):
    """MACD line (EMA_fast − EMA_slow), signal line (EMA of the MACD) and histogram."""
    x = pd.Series(values, dtype=float)
    line = x.ewm(span=fast, adjust=False).mean() - x.ewm(span=slow, adjust=False).mean()
    sig = line.ewm(span=signal, adjust=False).mean()
    return line.to_numpy(), sig.to_numpy(), (line - sig).to_numpy()


def bearish_divergence(
    values: np.ndarray, config: SignalConfig, near_high: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days of MACD bearish divergence: the series makes a new `s5_high_window`-session closing
    high above its previous high while its MACD line sits below the MACD at that previous high.

    The previous high is the last new-high day before the latest day with a negative MACD
    histogram (so the two highs are separated by a momentum dip), no more than `s5_high_window`
    sessions back. Returns (divergence, MACD gap vs the previous high, index of that high).
    """
    cfg = config
    x = np.asarray(values, dtype=float)
    n = len(x)
    line, _, hist = macd(x, cfg.s5_fast, cfg.s5_slow, cfg.s5_signal)
    prior_max = _rolling(np.r_[np.nan, x[:-1]], cfg.s5_high_window).max().to_numpy()
    is_high = x >= prior_max
    idx = np.arange(n)
    last_neg = np.maximum.accumulate(np.where(hist < 0, idx, -1))
    last_high = np.maximum.accumulate(np.where(is_high, idx, -1))
    high_before = np.r_[-1, last_high[:-1]]  # last new-high day strictly before each day
    prev = np.where(last_neg >= 0, high_before[np.maximum(last_neg, 0)], -1)
    valid = (prev >= 0) & (idx - prev <= cfg.s5_high_window)
    gap = np.where(valid, line - line[np.maximum(prev, 0)], np.nan)
    higher = np.where(valid, x > x[np.maximum(prev, 0)], False)
    divergence = is_high & valid & higher & (gap < 0)
    if near_high is not None:
        divergence &= near_high
    return divergence, gap, np.where(valid, prev, -1)


def _s5(ctx: _Context) -> dict[str, np.ndarray]:
    cfg = ctx.config
    n = len(ctx.index)
    spx = ctx.values["SPX"]
    high_52w = _rolling(spx, cfg.s5_near_high_window).max().to_numpy()
    near = spx >= (1 - cfg.s5_near_high_pct) * high_52w
    spx_div, spx_gap, spx_prev = bearish_divergence(spx, cfg, near)

    # Advance-decline line: cumulative net advances, counting only days with a fresh print.
    rows = ctx.index.to_numpy(dtype="datetime64[ns]")
    fresh = (ctx.value_dates["NYSE_ADVANCERS"] == rows) & (
        ctx.value_dates["NYSE_DECLINERS"] == rows
    )
    net = np.where(fresh, ctx.values["NYSE_ADVANCERS"] - ctx.values["NYSE_DECLINERS"], 0.0)
    started = np.cumsum(fresh) > 0
    ad_line = np.where(started, np.cumsum(np.nan_to_num(net)), np.nan)
    seen = np.cumsum(fresh)
    breadth_ok = (
        (seen >= cfg.s5_breadth_warmup_sessions)
        & (ctx.stale["NYSE_ADVANCERS"] <= cfg.daily_max_stale_sessions)
        & (ctx.stale["NYSE_DECLINERS"] <= cfg.daily_max_stale_sessions)
    )
    ad_div, ad_gap, ad_prev = np.zeros(n, bool), np.full(n, np.nan), np.full(n, -1)
    if started.any():
        first = int(np.argmax(started))
        d, g, p = bearish_divergence(ad_line[first:], cfg)
        ad_div[first:], ad_gap[first:], ad_prev[first:] = d, g, np.where(p >= 0, p + first, -1)

    proxy = ~breadth_ok
    divergence = np.where(proxy, spx_div, ad_div)
    gap = np.where(proxy, spx_gap, ad_gap)
    prev = np.where(proxy, spx_prev, ad_prev)
    level = np.where(proxy, spx, ad_line)
    line = macd(spx, cfg.s5_fast, cfg.s5_slow, cfg.s5_signal)[0]
    if started.any():
        ad_macd = np.full(n, np.nan)
        ad_macd[first:] = macd(ad_line[first:], cfg.s5_fast, cfg.s5_slow, cfg.s5_signal)[0]
        line = np.where(proxy, line, ad_macd)
    reason = _reasons(
        n,
        [
            *[(failed & proxy, message) for failed, message in _daily_checks(ctx, ("SPX",))],
        ],
        [(proxy & np.isnan(high_52w), "SPX history shorter than the 52-week window")],
    )
    available = reason == ""
    divergence &= available
    # Active for `s5_hold_sessions` from a divergence day: an early warning, not a one-day blip.
    idx = np.arange(n)
    last_div = np.maximum.accumulate(np.where(divergence, idx, -1))
    recent = (last_div >= 0) & (idx - last_div < cfg.s5_hold_sessions)
    out = _finish(available, gap, np.zeros(n), recent)
    nat = np.datetime64("NaT")
    out |= {
        "proxy": proxy,
        "divergence": divergence,
        "last_divergence": np.where(recent, rows[np.maximum(last_div, 0)], nat),
        "level": level,
        "macd": line,
        "macd_previous_high": np.where(prev >= 0, line[np.maximum(prev, 0)], np.nan),
        "previous_high": np.where(prev >= 0, rows[np.maximum(prev, 0)], nat),
        "reason": reason,
    }
    return out


# ---------------------------------------------------------------------------------------------
# S6 equity risk premium (method §5)


def _s6(ctx: _Context) -> dict[str, np.ndarray]:
    cfg = ctx.config
    cape, dgs10 = ctx.values["CAPE"], ctx.values["DGS10"]
    earnings_yield = 1.0 / cape
    erp = earnings_yield - dgs10 / 100.0
    prior = _rolling(np.r_[np.nan, erp[:-1]], cfg.s6_window_sessions)
    low = prior.quantile(cfg.s6_percentile, interpolation="linear").to_numpy()
    reason = _reasons(
        len(erp),
        [
            *_daily_checks(ctx, ("DGS10",)),
            *_monthly_checks(ctx, "CAPE", "CAPE"),
        ],
        [(np.isnan(low), f"fewer than {cfg.s6_window_sessions} sessions of ERP history")],
    )
    available = reason == ""
    out = _finish(available, erp, low, erp < low)
    out |= {"earnings_yield": earnings_yield, "dgs10": dgs10, "cape": cape, "reason": reason}
    return out


# ---------------------------------------------------------------------------------------------
# Assembly


@dataclass(frozen=True)
class SignalHistory:
    """S1–S6 for every trading day `start`..`as_of`; one DataFrame per signal."""

    as_of: date
    start: date
    config: SignalConfig
    frames: Mapping[str, pd.DataFrame]
    releases: pd.DataFrame
    inputs: SignalInputs

    @property
    def index(self) -> pd.DatetimeIndex:
        return self.frames["S1"].index

    def frame(self, name: str) -> pd.DataFrame:
        """The signal's columns by date: value, threshold, active, available and its extras."""
        if name not in self.frames:
            raise KeyError(f"unknown signal {name!r}; signals are {', '.join(SIGNALS)}")
        return self.frames[name].copy()

    def on(self, day: calendar.DateLike) -> dict[str, SignalReading]:
        """Each signal's reading on one trading day (interface.md `layers`)."""
        when = pd.Timestamp(calendar.as_date(day))
        if when not in self.index:
            raise UsageError(
                f"{when.date()} is not a trading day in the signal history "
                f"({self.index[0].date()} to {self.index[-1].date()})"
            )
        return {name: self._reading(name, when) for name in SIGNALS}

    def summary(self) -> pd.DataFrame:
        """Per signal: sessions, share available, share active (of all and of available), and
        the number of separate active spells."""
        rows = []
        for name in SIGNALS:
            f = self.frames[name]
            active = f["active"].to_numpy(dtype=bool)
            available = f["available"].to_numpy(dtype=bool)
            spells = int(np.sum(active & ~np.r_[False, active[:-1]]))
            rows.append(
                {
                    "signal": name,
                    "title": TITLES[name],
                    "sessions": len(f),
                    "available": float(available.mean()) if len(f) else np.nan,
                    "active": float(active.mean()) if len(f) else np.nan,
                    "active_of_available": float(active.sum() / max(available.sum(), 1)),
                    "active_days": int(active.sum()),
                    "spells": spells,
                }
            )
        return pd.DataFrame(rows).set_index("signal")

    # -- readings --------------------------------------------------------------------------

    def _reading(self, name: str, when: pd.Timestamp) -> SignalReading:
        row = self.frames[name].loc[when]
        available = bool(row["available"])
        inputs = {k: _num(row[k]) for k in _INPUTS[name]}
        if available:
            detail = _DETAILS[name](self, row, when)
        else:
            detail = f"unavailable: {row['reason']}{self._staleness_note(name, when)}"
        return SignalReading(
            value=_num(row["value"]),
            threshold=_num(row["threshold"]),
            active=bool(row["active"]),
            available=available,
            detail=detail,
            inputs=inputs,
        )

    def _staleness_note(self, name: str, when: pd.Timestamp) -> str:
        notes = []
        dates = self.inputs.panel.value_dates.loc[when]
        for series in _REQUIRED[name]:
            d = dates.get(series)
            seen = "none known" if pd.isna(d) else f"latest {pd.Timestamp(d).date()}"
            notes.append(f"{series} {seen}")
        limits = (
            f"limits: {self.config.daily_max_stale_sessions} sessions for daily series, "
            f"{self.config.monthly_max_lag_months} months for monthly"
        )
        return f" ({'; '.join(notes)}; {limits})"


def _num(x: Any) -> float | None:
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _detail_s1(h: SignalHistory, row: pd.Series, when: pd.Timestamp) -> str:
    c = h.config
    vix_ok = row["vix"] < c.s1_vix_max
    pct_ok = row["value"] >= c.s1_valuation_percentile
    month = pd.Timestamp(row["cape_month"]).strftime("%Y-%m")
    return (
        f"VIX {row['vix']:.2f} (< {c.s1_vix_max:g}: {_yes(vix_ok)}); CAPE {row['cape']:.2f} "
        f"({month}) at percentile {row['value']:.2f} of its trailing "
        f"{c.s1_valuation_window_years} years (>= {c.s1_valuation_percentile:.2f}: "
        f"{_yes(pct_ok)}); P/CF not modelled (no public data)"
    )


def _release_text(h: SignalHistory, kind: str, month: pd.Timestamp | None) -> str:
    t = h.releases
    rows = t[(t["kind"] == kind) & (t["obs_date"] == month)] if month is not None else t[:0]
    if rows.empty:
        return f"no {kind} release known"
    r = rows.iloc[-1]
    when = r["release_day"].date()
    z = "n/a" if not np.isfinite(r["z"]) else f"{r['z']:+.2f}"
    return (
        f"{kind} {r['obs_date']:%Y-%m} ({r['series']}) released {when}: MoM {r['mom']:+.2f}% vs "
        f"trend {r['trend']:+.2f}% (sd {r['std']:.2f}) → z {z}"
    )


def _detail_s2(h: SignalHistory, row: pd.Series, when: pd.Timestamp) -> str:
    t = h.releases
    today = t[t["release_day"] == when]
    parts = []
    if today.empty:
        parts.append("no CPI/PPI release today")
        for kind in ("CPI", "PPI"):
            known = t[(t["kind"] == kind) & (t["release_day"] <= when)]
            parts.append(
                "latest " + _release_text(h, kind, known["obs_date"].max() if len(known) else None)
            )
    else:
        for _, r in today.iterrows():
            parts.append(_release_text(h, r["kind"], r["obs_date"]) + " (today)")
        parts.append(f"surprise when |z| >= {h.config.s2_z:g}: {_yes(bool(row['active']))}")
    if row["confirmed"]:
        parts.append(f"confirmed today: {row['confirmation']}")
    return "; ".join(parts) + "; expectation = trailing trend (no public consensus)"


def _detail_s3(h: SignalHistory, row: pd.Series, when: pd.Timestamp) -> str:
    c = h.config
    fomc = f"within ±{c.s3_fomc_sessions} sessions of an FOMC decision" if row["near_fomc"] else ""
    return (
        f"5-day change of DGS2−DFF {row['spread_change_bp']:+.1f} bp (z {row['z_rate']:+.2f}); "
        f"5-day log change of USD/JPY {100 * row['usdjpy_log_change']:+.2f}% "
        f"(z {row['z_fx']:+.2f}); max |z| {row['value']:.2f} vs {row['threshold']:.1f}"
        + (f" ({fomc})" if fomc else "")
    )


def _detail_s4(h: SignalHistory, row: pd.Series, when: pd.Timestamp) -> str:
    c = h.config
    return (
        f"VIX {row['vix']:.2f}; RSI({c.s4_rsi_period}) {row['value']:.1f} "
        f"(>= {c.s4_rsi_threshold:g}: {_yes(row['value'] >= c.s4_rsi_threshold)}); "
        f"VIX / {c.s4_min_window}-day min {row['vix_min']:.2f} = {row['vix_ratio']:.2f} "
        f"(>= {c.s4_min_multiple:g}: {_yes(row['vix_ratio'] >= c.s4_min_multiple)})"
    )


def _detail_s5(h: SignalHistory, row: pd.Series, when: pd.Timestamp) -> str:
    c = h.config
    if row["proxy"]:
        series, unit = "SPX (proxy: no breadth data covers the day)", "SPX points"
    else:
        series = "the NYSE advance-decline line (proxy universe, not official NYSE)"
        unit = "issues"
    parts = [f"MACD({c.s5_fast},{c.s5_slow},{c.s5_signal}) on {series}"]
    if np.isfinite(row["value"]):
        prev = pd.Timestamp(row["previous_high"]).date()
        parts.append(
            f"MACD {row['macd']:.2f} vs {row['macd_previous_high']:.2f} at the previous "
            f"{c.s5_high_window}-session high ({prev}): {row['value']:+.2f} {unit}"
        )
    else:
        parts.append("no earlier high within the window to compare with")
    if row["divergence"]:
        parts.append("bearish divergence today (new high, lower MACD)")
    elif row["active"]:
        since = pd.Timestamp(row["last_divergence"]).date()
        parts.append(f"bearish divergence on {since}, active for {c.s5_hold_sessions} sessions")
    else:
        parts.append(f"no bearish divergence in the last {c.s5_hold_sessions} sessions")
    return "; ".join(parts)


def _detail_s6(h: SignalHistory, row: pd.Series, when: pd.Timestamp) -> str:
    c = h.config
    years = c.s6_window_sessions / 252
    return (
        f"ERP = 1/CAPE {100 * row['earnings_yield']:.2f}% − DGS10 {row['dgs10']:.2f}% = "
        f"{100 * row['value']:+.2f}%; trailing {years:g}-year {100 * c.s6_percentile:g}th "
        f"percentile {100 * row['threshold']:+.2f}% (below: {_yes(bool(row['active']))})"
    )


_DETAILS = {
    "S1": _detail_s1,
    "S2": _detail_s2,
    "S3": _detail_s3,
    "S4": _detail_s4,
    "S5": _detail_s5,
    "S6": _detail_s6,
}
_INPUTS = {
    "S1": ("vix", "cape"),
    "S2": ("cpi_z", "ppi_z"),
    "S3": ("z_rate", "z_fx", "spread_change_bp", "usdjpy_log_change", "usdjpy"),
    "S4": ("vix", "vix_min", "vix_ratio"),
    "S5": ("level", "macd", "macd_previous_high"),
    "S6": ("earnings_yield", "dgs10", "cape"),
}
_REQUIRED = {
    "S1": ("VIX", "CAPE"),
    "S2": ("CPIAUCSL", "PPIFIS", "PPIACO"),
    "S3": ("DGS2", "DFF", "DEXJPUS"),
    "S4": ("VIX",),
    "S5": ("SPX", "NYSE_ADVANCERS", "NYSE_DECLINERS"),
    "S6": ("DGS10", "CAPE"),
}


def compute_signals(inputs: SignalInputs, config: SignalConfig | None = None) -> SignalHistory:
    """S1–S6 over every trading day `inputs.start`..`inputs.as_of` (method §5)."""
    config = config or SignalConfig()
    ctx = _context(inputs, config)
    s3 = _s3(ctx, inputs)
    s2, releases = _s2(ctx, inputs, s3["active"])
    columns = {"S1": _s1(ctx, inputs), "S2": s2, "S3": s3, "S4": _s4(ctx), "S5": _s5(ctx)}
    columns["S6"] = _s6(ctx)
    keep = ctx.index >= pd.Timestamp(inputs.start)
    index = ctx.index[keep]
    frames = {}
    for name in SIGNALS:
        frame = pd.DataFrame(
            {k: np.asarray(v)[keep] for k, v in columns[name].items()}, index=index
        )
        frames[name] = frame
    return SignalHistory(inputs.as_of, inputs.start, config, frames, releases, inputs)
