"""Market marks of the book's legs from the day's stored quotes (issue 11, item 2).

A leg with a two-sided quote (bid > 0, ask ≥ bid) on `as_of` is marked at its mid, with its
market implied vol and greeks computed from that mid on the marks' own inputs (SPX legs:
Black–Scholes on the SPX close, rate and dividend yield; VIX calls: Black-76 on the leg's VX
forward); a hedge's liquidation value is its bid. A leg without one keeps the model's price and
greeks. The root a leg is looked up under: an SPX condor leg first as SPX (the AM monthly the
book settles at the open, method §1), then SPXW, SPXPM; a VIX call as VIX, then VIXW.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from alvh.book.valuation import LegGreeks, Legs
from alvh.core.resources import read_sql_statements
from alvh.data.market_day import MarketSnapshot
from alvh.model.market import DAYS_PER_YEAR
from alvh.model.pricing import (
    Greeks,
    black76_greeks,
    bsm_greeks,
    implied_vol_black76,
    implied_vol_bsm,
)

SPX_LOOKUP = ("SPX", "SPXW", "SPXPM")
VIX_LOOKUP = ("VIX", "VIXW")


@dataclass(frozen=True)
class MarketLegs:
    """Leg greeks with market marks where quoted; `source` "market" | "model" per leg,
    `model_price` and `model_vol` the model's price and vol of every leg, `bid` the quoted
    bid (NaN: none)."""

    greeks: LegGreeks
    source: np.ndarray
    model_price: np.ndarray
    model_vol: np.ndarray
    bid: np.ndarray
    root: list[str]


def market_legs(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    legs: Legs,
    snapshot: MarketSnapshot,
    model: LegGreeks,
    quote_days: frozenset[date] | None = None,
) -> MarketLegs:
    """`model` with every leg that has a two-sided quote on `as_of` marked at market.
    `quote_days`: the dates with stored quotes (`quote_days`), read once for a range of days, so
    a day outside them is not looked up."""
    n = len(legs)
    source = np.full(n, "model", dtype=object)
    bid = np.full(n, np.nan)
    root = [""] * n
    unquoted = quote_days is not None and as_of not in quote_days
    quotes = _NO_QUOTES if unquoted else _quotes(con, as_of, legs)
    if not len(quotes):
        return MarketLegs(model, source, model.greeks.price.copy(), model.vol.copy(), bid, root)
    at = quotes["leg"].to_numpy()
    mid = 0.5 * (quotes["bid"].to_numpy() + quotes["ask"].to_numpy())
    tau = (legs.expiry[at] - np.datetime64(as_of, "D")).astype(float) / DAYS_PER_YEAR
    strike, call, spx = legs.strike[at], legs.is_call[at], legs.is_spx[at]
    vol = np.full(len(at), np.nan)
    s, r, q = snapshot.spx, snapshot.rate, snapshot.dividend_yield
    if spx.any():
        vol[spx] = implied_vol_bsm(mid[spx], s, strike[spx], tau[spx], r, q, call[spx]).vol
    forward = model.underlying[at]
    if (~spx).any():
        vol[~spx] = implied_vol_black76(
            mid[~spx], forward[~spx], strike[~spx], tau[~spx], snapshot.rate, call[~spx]
        ).vol
    # A mid outside the no-arbitrage bounds has no vol: the leg keeps the model's mark.
    ok = np.isfinite(vol)
    at, mid, tau, strike, call, spx, vol = (a[ok] for a in (at, mid, tau, strike, call, spx, vol))
    fields = ("price", "delta", "gamma", "vega", "theta")
    arrays = {k: getattr(model.greeks, k).copy() for k in fields}
    vols = model.vol.copy()
    if spx.any():
        g = bsm_greeks(s, strike[spx], tau[spx], r, q, vol[spx], call[spx])
        for k in fields:
            arrays[k][at[spx]] = getattr(g, k)
    if (~spx).any():
        g = black76_greeks(
            model.underlying[at[~spx]], strike[~spx], tau[~spx], snapshot.rate, vol[~spx], True
        )
        for k in fields:
            arrays[k][at[~spx]] = getattr(g, k)
    arrays["price"][at] = mid  # the mid itself, not its round trip through the vol
    vols[at] = vol
    source[at] = "market"
    bid[at] = quotes["bid"].to_numpy()[ok]
    for leg, r in zip(at, quotes["root"].to_numpy()[ok], strict=True):
        root[leg] = r
    marked = LegGreeks(Greeks(**arrays), model.underlying, vols, model.forwards)
    return MarketLegs(marked, source, model.greeks.price.copy(), model.vol.copy(), bid, root)


_NO_QUOTES = pd.DataFrame(columns=["leg", "root", "bid", "ask"])


def quote_days(con: duckdb.DuckDBPyConnection) -> frozenset[date]:
    """The dates with at least one stored option quote."""
    sql = read_sql_statements("quotes/read.sql")
    if not con.execute(sql["has_quotes"]).fetchall()[0][0]:
        return frozenset()
    rows = con.execute(sql["quote_days"]).fetchall()
    return frozenset(pd.Timestamp(day).date() for (day,) in rows)


def _quotes(con: duckdb.DuckDBPyConnection, as_of: date, legs: Legs) -> pd.DataFrame:
    sql = read_sql_statements("quotes/read.sql")
    if not len(legs) or not con.execute(sql["has_quotes"]).fetchall()[0][0]:
        return _NO_QUOTES
    rows = []
    for i in range(len(legs)):
        lookup = SPX_LOOKUP if legs.is_spx[i] else VIX_LOOKUP
        for preference, r in enumerate(lookup):
            rows.append(
                (
                    i,
                    preference,
                    r,
                    pd.Timestamp(legs.expiry[i]),
                    float(legs.strike[i]),
                    "C" if legs.is_call[i] else "P",
                )
            )
    wanted = pd.DataFrame(
        rows, columns=["leg", "preference", "root", "expiry", "strike", "option_type"]
    )
    con.register("wanted", wanted)
    try:
        return con.execute(sql["leg_quotes"], {"as_of": as_of}).df()
    finally:
        con.unregister("wanted")
