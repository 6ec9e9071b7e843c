"""S2 macro surprise (method §5): on each CPI / PPI release, z = (MoM − trailing 12-month mean
MoM) / trailing 24-month std of MoM; a surprise when |z| ≥ 1.5, *confirmed* when CPI and PPI
agree in sign for the same month or S3 fires within ±5 sessions. With no public consensus,
the expectation is the trailing trend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alvh.hedge.signals.common import _Context, _finish, _reasons, _rolling, _yes
from alvh.hedge.signals.config import SignalConfig
from alvh.hedge.signals.inputs import SignalInputs

if TYPE_CHECKING:  # only an annotation here: signal_history imports this module at run time
    from alvh.hedge.signals.signal_history import SignalHistory


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


class ReleaseIndex:
    """The S2 release table indexed for the daily detail text: the releases registering on
    each day, the latest reference month of each kind known by a day, and each release's text
    (built once: a backfill reads every day's detail)."""

    def __init__(self, releases: pd.DataFrame) -> None:
        self._today: dict[pd.Timestamp, list[tuple[str, pd.Timestamp]]] = {}
        self._text: dict[tuple[str, pd.Timestamp], str] = {}
        self._known: dict[str, tuple[np.ndarray, list[pd.Timestamp]]] = {}
        rows = releases.to_dict("records")
        for r in rows:  # in the table's order: the last row of a month speaks for it
            month = _key(r["obs_date"])
            self._today.setdefault(_key(r["release_day"]), []).append((r["kind"], month))
            self._text[(r["kind"], month)] = _row_text(r)
        for kind in ("CPI", "PPI"):
            mine = sorted(
                (_key(r["release_day"]), _key(r["obs_date"])) for r in rows if r["kind"] == kind
            )
            latest, months = None, []
            for _, month in mine:
                latest = month if latest is None or month > latest else latest
                months.append(latest)
            days = np.array([day.to_datetime64() for day, _ in mine], dtype="datetime64[ns]")
            self._known[kind] = (days, months)

    def today(self, when: pd.Timestamp) -> list[tuple[str, pd.Timestamp]]:
        """(kind, reference month) of the releases registering on `when`, in table order."""
        return self._today.get(_key(when), [])

    def latest_month(self, kind: str, when: pd.Timestamp) -> pd.Timestamp | None:
        """The latest reference month of `kind` released by `when` (None before the first)."""
        days, months = self._known.get(kind, (np.array([], dtype="datetime64[ns]"), []))
        at = int(np.searchsorted(days, _key(when).to_datetime64(), side="right")) - 1
        return months[at] if at >= 0 else None

    def text(self, kind: str, month: pd.Timestamp | None) -> str:
        """The release of `kind` for `month`, described (or that none is known)."""
        found = self._text.get((kind, _key(month))) if month is not None else None
        return found if found is not None else f"no {kind} release known"


def _key(when) -> pd.Timestamp:
    """A day as one hashable form (the table's dates come in more than one unit)."""
    return pd.Timestamp(when).as_unit("ns")


def _row_text(r: dict) -> str:
    when = r["release_day"].date()
    z = "n/a" if not np.isfinite(r["z"]) else f"{r['z']:+.2f}"
    return (
        f"{r['kind']} {r['obs_date']:%Y-%m} ({r['series']}) released {when}: MoM "
        f"{r['mom']:+.2f}% vs trend {r['trend']:+.2f}% (sd {r['std']:.2f}) → z {z}"
    )


def _detail_s2(h: SignalHistory, row, when: pd.Timestamp) -> str:
    releases = h.releases_by_day
    today = releases.today(when)
    parts = []
    if not today:
        parts.append("no CPI/PPI release today")
        for kind in ("CPI", "PPI"):
            parts.append("latest " + releases.text(kind, releases.latest_month(kind, when)))
    else:
        for kind, month in today:
            parts.append(releases.text(kind, month) + " (today)")
        parts.append(f"surprise when |z| >= {h.config.s2_z:g}: {_yes(bool(row['active']))}")
    if row["confirmed"]:
        parts.append(f"confirmed today: {row['confirmation']}")
    return "; ".join(parts) + "; expectation = trailing trend (no public consensus)"
