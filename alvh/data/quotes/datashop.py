"""Cboe DataShop option files: "Option EOD Summary" (Quotes and Calcs) and 15:45 snapshots.

One row per option (`quote_date, root, expiration, strike, option_type, ...`). EOD files carry
the closing quotes in `bid_eod`/`ask_eod` (and the 15:45 ones beside them): those are used, and
the file is a close. A file with only `bid_1545`/`ask_1545` holds the 15:45 ET snapshot, a
quarter hour before the options close, so it is intraday. The underlying is the mid of the
file's `underlying_bid`/`underlying_ask` at the same time (spot VIX for VIX options, not the
future). Some trimmed samples have no `root` column: the caller must then name the root.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alvh.data.quotes.base import QuoteFile, QuoteFileError, numbers, single_session, text_frame
from alvh.data.quotes.tables import days, option_types, read_table

FORMAT = "datashop"
REQUIRED = ("quote_date", "expiration", "strike", "option_type")


def looks_like(columns: set[str]) -> bool:
    return set(REQUIRED) <= columns and bool({"bid_eod", "bid_1545"} & columns)


def read_datashop(
    content: bytes, origin: str, digest: str, default_root: str | None = None
) -> QuoteFile:
    """A DataShop file as quote rows; `default_root` for files without a `root` column."""
    table = read_table(content, origin, REQUIRED)
    suffix = "eod" if "bid_eod" in table.columns else "1545"
    for column in (f"bid_{suffix}", f"ask_{suffix}"):
        if column not in table.columns:
            raise QuoteFileError(origin, "missing_column", f"no '{column}' column")
    if "root" in table.columns:
        root_text = table["root"]
    elif default_root:
        root_text = pd.Series(default_root, index=table.index)
    else:
        raise QuoteFileError(
            origin, "missing_column", "no 'root' column: name the root (e.g. --root SPXW)"
        )
    as_of = days(table["quote_date"], "%Y-%m-%d")
    clock = "16:15" if suffix == "eod" else "15:45"
    underlying = np.full(len(table), np.nan)
    if {f"underlying_bid_{suffix}", f"underlying_ask_{suffix}"} <= set(table.columns):
        bid_u = numbers(table[f"underlying_bid_{suffix}"])
        ask_u = numbers(table[f"underlying_ask_{suffix}"])
        underlying = np.where((bid_u > 0) & (ask_u > 0), 0.5 * (bid_u + ask_u), np.nan)
    frame = pd.DataFrame(
        {
            "as_of": as_of,
            "quote_time": as_of + pd.Timedelta(clock + ":00"),
            "root": root_text.str.strip().str.upper(),
            "expiry": days(table["expiration"], "%Y-%m-%d"),
            "strike": numbers(table["strike"]),
            "type": option_types(table["option_type"]),
            "bid": numbers(table[f"bid_{suffix}"]),
            "ask": numbers(table[f"ask_{suffix}"]),
            "underlying": underlying,
            "line": table["line"],
        }
    ).reset_index(drop=True)
    text = text_frame(
        as_of=table["quote_date"],
        root=root_text,
        expiry=table["expiration"],
        strike=table["strike"],
        type=table["option_type"],
        bid=table[f"bid_{suffix}"],
        ask=table[f"ask_{suffix}"],
    ).reset_index(drop=True)
    return QuoteFile(
        frame=frame,
        text=text,
        origin=origin,
        format=FORMAT,
        digest=digest,
        timing="close" if suffix == "eod" else "intraday",
        session=single_session(as_of),
        header={"quotes": f"{suffix} ({clock} ET)"},
    )
