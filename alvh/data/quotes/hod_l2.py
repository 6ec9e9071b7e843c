"""historicaloptiondata.com ("DeltaNeutral") L2 end-of-day files: many quote dates in one file.

Columns `underlying, underlying_last, exchange, optionroot, optionext, type, expiration,
quotedate, strike, last, bid, ask, ...` with US month/day/year dates and `call`/`put`; the root
is read from the OCC symbol in `optionroot` (the `underlying` column says SPXW for SPX too).
Quotes are the vendor's closing quotes; no time of day is given.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alvh.data.quotes.base import QuoteFile, numbers, single_session, split_occ_symbols, text_frame
from alvh.data.quotes.tables import days, option_types, read_table

FORMAT = "hod-l2"
REQUIRED = ("optionroot", "type", "expiration", "quotedate", "strike", "bid", "ask")


def looks_like(columns: set[str]) -> bool:
    return set(REQUIRED) <= columns


def read_hod_l2(content: bytes, origin: str, digest: str) -> QuoteFile:
    """An L2 file as quote rows, each dated by its own `quotedate`."""
    table = read_table(content, origin, REQUIRED)
    occ = split_occ_symbols(table["optionroot"])
    as_of = days(table["quotedate"], "%m/%d/%Y")
    underlying = (
        numbers(table["underlying_last"])
        if "underlying_last" in table.columns
        else np.full(len(table), np.nan)
    )
    frame = pd.DataFrame(
        {
            "as_of": as_of,
            "quote_time": pd.NaT,
            "root": occ["root"],
            "expiry": days(table["expiration"], "%m/%d/%Y"),
            "strike": numbers(table["strike"]),
            "type": option_types(table["type"]),
            "bid": numbers(table["bid"]),
            "ask": numbers(table["ask"]),
            "underlying": underlying,
            "line": table["line"],
        }
    ).reset_index(drop=True)
    text = text_frame(
        as_of=table["quotedate"],
        root=table["optionroot"],
        expiry=table["expiration"],
        strike=table["strike"],
        type=table["type"],
        bid=table["bid"],
        ask=table["ask"],
        underlying=table.get("underlying_last", ""),
    ).reset_index(drop=True)
    return QuoteFile(
        frame=frame,
        text=text,
        origin=origin,
        format=FORMAT,
        digest=digest,
        timing="close",
        session=single_session(as_of),
    )
