"""Model vs market: on a day with stored option quotes, each position's market mark beside the
model's with the residual, and the day's IV residuals by delta bucket and tenor (issue 11)."""

from __future__ import annotations

from datetime import date

import duckdb

from alvh.book.residuals import quote_residuals
from alvh.book.valuation import ModelParams
from alvh.core.resources import read_sql_statements
from alvh.report.day import DayBook
from alvh.report.formatting import number

MULTIPLIER = 100.0


def model_vs_market_section(
    con: duckdb.DuckDBPyConnection, as_of: date, book: DayBook, params: ModelParams
) -> dict:
    """The section's rows; `available` False (and nothing else) on a day without quotes.

    The positions' marks are the day's book as the report shows it (stored by the daily run,
    else computed for the report), so this table and the positions table agree; their model
    column is priced with the day's surface (`surface`), while the IV residuals are the
    defaults' ("how far the model was off"), the day-fitted surface's beside them.
    """
    sql = read_sql_statements("quotes/read.sql")
    has_table = con.execute(sql["has_quotes"]).fetchall()[0][0]
    if not has_table or not con.execute(sql["count_day"], {"as_of": as_of}).fetchall()[0][0]:
        return {"available": False, "positions": [], "buckets": [], "surface": book.surface_text}
    # a day computed for the report is priced with a fit made now: show that fit beside
    residuals = quote_residuals(con, as_of, params, fit_unmarked=book.source == "computed")
    rows = []
    for p in book.positions:
        market, model = float(p["mark"]), float(p["model_mark"])
        rows.append(
            {
                "id": p["position_id"],
                "source": p["mark_source"],
                "legs": f"{p['legs_at_market']}/{p['legs_marked']}",
                "market": number(market),
                "model": number(model),
                "residual": number(model - market, 2, True),
                "residual_usd": number((model - market) * MULTIPLIER * p["quantity"], 0, True),
            }
        )
    spx = residuals.summary["SPX"]
    buckets = [
        {
            "side": b["side"],
            "delta": b["delta"],
            "tenor": b["tenor_days"],
            "n": str(b["n"]),
            "median": number(b["median_error"], 2, True),
            "rmse": number(b["rmse"], 2),
        }
        for b in spx["buckets"]
    ]
    day_fit = residuals.summary["day_fit"]
    return {
        "available": True,
        "surface": book.surface_text,
        "day_fit": None
        if day_fit is None
        else {"n": str(day_fit["n"]), "median_abs": number(day_fit["median_abs_iv_err"], 2)},
        "source": residuals.source,
        "forward": number(residuals.forward),
        "overall": {
            "n": str(spx["n"]),
            "median": number(spx["median_error"], 2, True),
            "median_abs": number(spx["median_abs_error"], 2),
            "rmse": number(spx["rmse"], 2),
        },
        "positions": rows,
        "buckets": buckets,
    }
