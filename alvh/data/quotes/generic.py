"""The documented generic CSV for broker exports.

Columns `as_of,root,expiry,strike,type,bid,ask[,underlying]`, one row per option quote.
Dates are ISO (YYYY-MM-DD); `type` is C/P (or call/put); prices per unit in index points;
`underlying` (optional) the index level the quotes were taken against. Rows are the closing
quotes of their `as_of` (README, "Generic quote CSV"): a broker export of intraday quotes must
be imported with `--intraday`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alvh.data.quotes.base import QuoteFile, numbers, single_session, text_frame
from alvh.data.quotes.tables import days, option_types, read_table

FORMAT = "generic"
REQUIRED = ("as_of", "root", "expiry", "strike", "type", "bid", "ask")


def looks_like(columns: set[str]) -> bool:
    return set(REQUIRED) <= columns


def read_generic(content: bytes, origin: str, digest: str) -> QuoteFile:
    """A generic quote CSV as quote rows."""
    table = read_table(content, origin, REQUIRED)
    as_of = days(table["as_of"], "%Y-%m-%d")
    has_underlying = "underlying" in table.columns
    frame = pd.DataFrame(
        {
            "as_of": as_of,
            "quote_time": pd.NaT,
            "root": table["root"].str.strip().str.upper(),
            "expiry": days(table["expiry"], "%Y-%m-%d"),
            "strike": numbers(table["strike"]),
            "type": option_types(table["type"]),
            "bid": numbers(table["bid"]),
            "ask": numbers(table["ask"]),
            "underlying": numbers(table["underlying"]) if has_underlying else np.nan,
            "line": table["line"],
        }
    ).reset_index(drop=True)
    text = text_frame(
        **{c: table[c] for c in (*REQUIRED, "underlying") if c in table.columns}
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
