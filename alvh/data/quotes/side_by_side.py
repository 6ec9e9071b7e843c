"""Side-by-side option chains: one row per (expiry, strike), the call's and the put's quotes beside
each other (`Date,ExpDate,Strike,CallBid,CallAsk,...,PutBid,PutAsk,...`), as some data vendors
and charting tools export them.

The layout names no root, no underlying and no time: the caller names the root (`--root SPXW`),
the forward comes from put–call parity downstream (`alvh.model.calibration.parity_forward`),
and the file is stored as a close only when the caller confirms its day with `--as-of` (see
`alvh.data.quotes.importer`): a chain saved at noon looks exactly like one saved after the bell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alvh.data.quotes.base import QuoteFile, QuoteFileError, numbers, single_session, text_frame
from alvh.data.quotes.tables import days, read_table

FORMAT = "side-by-side"
REQUIRED = ("date", "expdate", "strike", "callbid", "callask", "putbid", "putask")
# The one timing a file can have that says nothing about its timing.
UNSTATED = "unstated"


def looks_like(columns: set[str]) -> bool:
    return set(REQUIRED) <= columns


def read_side_by_side(
    content: bytes, origin: str, digest: str, default_root: str | None = None
) -> QuoteFile:
    """A side-by-side chain as quote rows (a call and a put per line); `default_root` names
    the options' root, which the layout does not carry."""
    table = read_table(content, origin, REQUIRED)
    if not default_root:
        raise QuoteFileError(
            origin,
            "missing_column",
            "a side-by-side chain names no root: say which options these are (e.g. --root SPXW)",
        )
    as_of = days(table["date"], "%Y-%m-%d")
    expiry = days(table["expdate"], "%Y-%m-%d")
    strike = numbers(table["strike"])
    root = default_root.strip().upper()
    frames, texts = [], []
    for option_type, side in (("C", "call"), ("P", "put")):
        frames.append(
            pd.DataFrame(
                {
                    "as_of": as_of,
                    "quote_time": pd.NaT,
                    "root": root,
                    "expiry": expiry,
                    "strike": strike,
                    "type": option_type,
                    "bid": numbers(table[f"{side}bid"]),
                    "ask": numbers(table[f"{side}ask"]),
                    "underlying": np.nan,
                    "line": table["line"],
                }
            )
        )
        texts.append(
            text_frame(
                as_of=table["date"],
                root=root,
                expiry=table["expdate"],
                strike=table["strike"],
                type=option_type,
                bid=table[f"{side}bid"],
                ask=table[f"{side}ask"],
            )
        )
    # the file's order: each line's call, then its put
    order = np.argsort(np.r_[np.arange(len(table)) * 2, np.arange(len(table)) * 2 + 1])
    frame = pd.concat(frames, ignore_index=True).iloc[order].reset_index(drop=True)
    text = pd.concat(texts, ignore_index=True).iloc[order].reset_index(drop=True)
    return QuoteFile(
        frame=frame,
        text=text,
        origin=origin,
        format=FORMAT,
        digest=digest,
        timing=UNSTATED,
        session=single_session(as_of),
        header={"quote time": "not stated in the file"},
    )
