"""The model's parameters for one day (method §2.1; issue 11): the day's §2.1 surface fitted to
its own stored SPX/SPXW quotes (`alvh.model.day_surface`) where it has them, else the defaults.

Every model price of the day — the model column beside the market marks, every leg without a
quote, the VIX ±1 bumps, the scenarios and the model delta — uses `day_model(...).params`.
`mark_day` marks a day with them, and the day before with that day's own, so the day P&L is
the change between two days each priced as it was marked; `day_surface_row` is what
`day_surfaces` (migration 0012) keeps of it. Intraday snapshots are not fitted: the surface is
keyed to the day's closing VIX family.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd

from alvh.book.costs import CostModel
from alvh.book.marks import BookMarks, mark_book
from alvh.book.valuation import ModelParams
from alvh.core import calendar
from alvh.core.errors import UsageError
from alvh.core.resources import read_sql_statements
from alvh.data.market_day import MarketSnapshot, load_market
from alvh.model import market as mm
from alvh.model.calibration import SurfaceParams, market_options
from alvh.model.day_surface import DaySurface, fit_day_surface, fit_quotes

FIT_ROOTS = ("SPX", "SPXW")  # the condor book's roots; SPXPM (retired in 2017) is not fitted


@dataclass(frozen=True)
class DayModel:
    """The parameters a day is priced with; `surface` None when no SPX quotes are stored."""

    as_of: date
    params: ModelParams
    surface: DaySurface | None
    sources: str = ""

    @property
    def fitted(self) -> bool:
        return self.surface is not None and self.surface.fitted

    @property
    def text(self) -> str:
        """What the report says of the surface the day was priced with."""
        s = self.surface
        if s is None:
            return f"defaults (no quotes stored for {self.as_of})"
        if not s.fitted:
            return f"defaults (the quotes of {self.as_of} were not fitted: {s.reason})"
        return (
            f"surface fitted to {s.n_options} quotes of {self.as_of} (median |IV err| "
            f"defaults {s.error_defaults:.2f} → fitted {s.error_fitted:.2f} vol pts)"
        )

    def summary(self) -> dict[str, object]:
        """JSON-ready: the marks' `assumptions["surface"]` and `quotes residuals`' day fit."""
        s = self.surface
        out: dict[str, object] = {"status": "defaults" if s is None else s.status}
        out["text"] = self.text
        if s is not None:
            out.update(
                sources=self.sources,
                n_options=s.n_options,
                n_slices=s.n_slices,
                n_condors=s.n_condors,
                median_abs_iv_err_defaults=_rounded(s.error_defaults),
                median_abs_iv_err_fitted=_rounded(s.error_fitted),
                reason=s.reason,
                params=fitted_values(s.params),
            )
        return out


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def fitted_values(params: SurfaceParams) -> dict[str, float]:
    """The surface's values a day fit may change (and those it holds), flat."""
    return {
        "atm_ratio": params.atm_ratio,
        "atm_ratio_vix": params.atm_ratio_vix,
        "atm_ratio_tenor": params.atm_ratio_tenor,
        **{k: v for k, v in asdict(params.skew).items()},
    }


def surface_params(params: ModelParams) -> SurfaceParams:
    """The §2.1 surface part of the model's parameters."""
    return SurfaceParams(
        params.atm_ratio, params.atm_ratio_vix, params.atm_ratio_tenor, params.skew
    )


def with_surface(params: ModelParams, surface: SurfaceParams) -> ModelParams:
    """`params` with its §2.1 surface replaced (the VIX-family and VIX-option settings kept)."""
    return replace(
        params,
        atm_ratio=surface.atm_ratio,
        atm_ratio_vix=surface.atm_ratio_vix,
        atm_ratio_tenor=surface.atm_ratio_tenor,
        skew=surface.skew,
    )


def day_model(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    defaults: ModelParams,
    snapshot: MarketSnapshot | None = None,
    quote_days: frozenset[date] | None = None,
) -> DayModel:
    """The parameters `as_of` is priced with: `defaults` with the surface fitted to the day's
    stored SPX/SPXW close quotes, or `defaults` as they are (no quotes, or a refused fit).
    `quote_days`: the dates with stored quotes, read once for a range of days."""
    if quote_days is not None and as_of not in quote_days:
        return DayModel(as_of, defaults, None)
    quotes = _day_quotes(con, as_of)
    if not len(quotes):
        return DayModel(as_of, defaults, None)
    if snapshot is None:
        snapshot = load_market(con, as_of)
    options = market_options(fit_quotes(_fit_frame(quotes, snapshot)))
    surface = fit_day_surface(options, surface_params(defaults), as_of)
    sources = ", ".join(sorted(quotes["source_file"].unique()))
    return DayModel(as_of, with_surface(defaults, surface.params), surface, sources)


def _day_quotes(con: duckdb.DuckDBPyConnection, as_of: date) -> pd.DataFrame:
    sql = read_sql_statements("quotes/read.sql")
    if not con.execute(sql["has_quotes"]).fetchall()[0][0]:
        return pd.DataFrame()
    quotes = con.execute(sql["day"], {"as_of": as_of, "roots": list(FIT_ROOTS)}).df()
    return quotes[quotes["timing"] != "intraday"]


def _fit_frame(quotes: pd.DataFrame, snapshot: MarketSnapshot) -> pd.DataFrame:
    """The columns `market_options` and `surface_vol` read, on the day's own market inputs."""
    return pd.DataFrame(
        {
            "as_of": pd.to_datetime(quotes["as_of"]),
            "root": quotes["root"],
            "expiry": pd.to_datetime(quotes["expiry"]),
            "strike": quotes["strike"].astype(float),
            "type": quotes["option_type"],
            "bid": quotes["bid"].astype(float),
            "ask": quotes["ask"].astype(float),
            "tau": quotes["days_to_expiry"].astype(float) / mm.DAYS_PER_YEAR,
            "rate": snapshot.rate,
            "vix": snapshot.vix,
            "vix9d": snapshot.vix9d,
            "vix3m": snapshot.vix3m,
            "vix6m": snapshot.vix6m,
        }
    )


def mark_day(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    defaults: ModelParams,
    costs: CostModel,
    *,
    previous: BookMarks | None = None,
    with_day_pnl: bool = True,
    snapshot: MarketSnapshot | None = None,
    quote_days: frozenset[date] | None = None,
    **known: object,
) -> tuple[BookMarks, DayModel]:
    """`mark_book` of `as_of` with the day's parameters (`day_model`), its assumptions saying
    which surface was used. The day P&L's marks of the day before (`previous`, else marked
    here) are priced with that day's own parameters. `known`: `mark_book`'s other inputs."""
    model = day_model(con, as_of, defaults, snapshot, quote_days)
    if with_day_pnl and previous is None:
        previous = _previous_marks(con, as_of, defaults, costs, quote_days)
    marks = mark_book(
        con,
        as_of,
        model.params,
        costs,
        with_day_pnl=with_day_pnl,
        previous=previous,
        snapshot=snapshot,
        quote_days=quote_days,
        **known,
    )
    marks.assumptions["surface"] = model.summary()
    return marks, model


def _previous_marks(con, as_of: date, defaults, costs, quote_days) -> BookMarks | None:
    day = calendar.previous_trading_day(as_of)
    try:
        model = day_model(con, day, defaults, quote_days=quote_days)
        return mark_book(con, day, model.params, costs, with_day_pnl=False, with_model_delta=False)
    except UsageError:  # nothing to mark the day before (a data gap): no day P&L to show
        return None


DAY_SURFACE_COLUMNS = (
    "as_of",
    "status",
    "sources",
    "n_options",
    "n_slices",
    "n_condors",
    "params",
    "median_abs_iv_err_defaults",
    "median_abs_iv_err_fitted",
    "reason",
    "run_id",
    "recorded_at",
)


def day_surface_row(model: DayModel, run_id: str | None) -> dict[str, object] | None:
    """The `day_surfaces` row of a day with quotes (None without: no row, the defaults)."""
    s = model.surface
    if s is None:
        return None
    return {
        "as_of": model.as_of,
        "status": s.status,
        "sources": model.sources,
        "n_options": s.n_options,
        "n_slices": s.n_slices,
        "n_condors": s.n_condors,
        "params": json.dumps(fitted_values(s.params), sort_keys=True),
        "median_abs_iv_err_defaults": s.error_defaults,
        "median_abs_iv_err_fitted": s.error_fitted,
        "reason": s.reason,
        "run_id": run_id,
        "recorded_at": datetime.now(),
    }


def save_day_surface(con: duckdb.DuckDBPyConnection, model: DayModel, run_id: str | None) -> int:
    """Replace the day's `day_surfaces` row (removed for a day no longer quoted); rows written.
    Inside the caller's transaction, with the day's marks."""
    sql = read_sql_statements("book/day_surfaces.sql")
    con.execute(sql["delete_day"], {"as_of": model.as_of})
    row = day_surface_row(model, run_id)
    if row is None:
        return 0
    con.execute(sql["insert_day"], row)
    return 1


def save_day_surfaces(
    con: duckdb.DuckDBPyConnection, first: date, last: date, rows: list[dict[str, object]]
) -> int:
    """Replace the rows of [first, last] with `rows` (a backfill chunk's), set-based."""
    sql = read_sql_statements("book/day_surfaces.sql")
    con.execute(sql["delete_days"], {"first": first, "last": last})
    if not rows:
        return 0
    frame = pd.DataFrame(rows, columns=list(DAY_SURFACE_COLUMNS))
    frame = frame.astype({"median_abs_iv_err_defaults": float, "median_abs_iv_err_fitted": float})
    con.register("surfaces", frame)
    try:
        con.execute(sql["insert_days"])
    finally:
        con.unregister("surfaces")
    return len(rows)


def stored_day_surface(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, object] | None:
    """The day's `day_surfaces` row, `params` decoded; None for a day without one."""
    cursor = con.execute(
        read_sql_statements("book/day_surfaces.sql")["stored_day"], {"as_of": as_of}
    )
    row = cursor.fetchone()
    if row is None:
        return None
    record = dict(zip([d[0] for d in cursor.description], row, strict=True))
    record["params"] = json.loads(record["params"])
    for key in ("median_abs_iv_err_defaults", "median_abs_iv_err_fitted"):
        value = record[key]
        record[key] = None if value is None or not np.isfinite(value) else float(value)
    return record


def stored_day_params(con: duckdb.DuckDBPyConnection, as_of: date, defaults: ModelParams):
    """`defaults` with the surface `day_surfaces` holds for `as_of` (what its stored marks were
    priced with); `defaults` as they are for a day without a fitted row."""
    row = stored_day_surface(con, as_of)
    if row is None or row["status"] != "fitted":
        return defaults
    values = dict(row["params"])
    ratio = [values.pop(k) for k in ("atm_ratio", "atm_ratio_vix", "atm_ratio_tenor")]
    return with_surface(defaults, SurfaceParams(*ratio, mm.SkewParams(**values)))
