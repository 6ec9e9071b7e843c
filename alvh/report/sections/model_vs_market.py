"""Model vs market: on a day with stored option quotes, each position's market mark beside the
model's with the residual, and the day's IV residuals by delta bucket and tenor (issue 11)."""

from __future__ import annotations

from datetime import date

import duckdb

from alvh.book.market_quotes import market_legs
from alvh.book.positions import open_positions
from alvh.book.residuals import quote_residuals
from alvh.book.valuation import ModelParams, build_legs, leg_greeks
from alvh.core.resources import read_sql_statements
from alvh.data.market_day import load_market
from alvh.report.formatting import number

MULTIPLIER = 100.0


def model_vs_market_section(con: duckdb.DuckDBPyConnection, as_of: date) -> dict:
    """The section's rows; `available` False (and nothing else) on a day without quotes."""
    sql = read_sql_statements("quotes/read.sql")
    has_table = con.execute(sql["has_quotes"]).fetchall()[0][0]
    if not has_table or not con.execute(sql["count_day"], {"as_of": as_of}).fetchall()[0][0]:
        return {"available": False, "positions": [], "buckets": []}
    params = ModelParams()
    residuals = quote_residuals(con, as_of, params)
    snapshot = load_market(con, as_of)
    positions = open_positions(con, as_of)
    legs = build_legs(positions)
    marked = market_legs(con, as_of, legs, snapshot, leg_greeks(legs, snapshot, params))
    rows = []
    for index, p in enumerate(positions):
        mine = legs.position == index
        units = legs.units[mine]
        market = float((units * marked.greeks.greeks.price[mine]).sum())
        model = float((units * marked.model_price[mine]).sum())
        if p.is_condor:  # what it costs to close one condor
            market, model = -market, -model
        sources = set(marked.source[mine])
        quoted = int((marked.source[mine] == "market").sum())
        rows.append(
            {
                "id": p.position_id,
                "source": sources.pop() if len(sources) == 1 else "mixed",
                "legs": f"{quoted}/{int(mine.sum())}",
                "market": number(market),
                "model": number(model),
                "residual": number(model - market, 2, True),
                "residual_usd": number((model - market) * MULTIPLIER * p.quantity, 0, True),
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
    return {
        "available": True,
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
