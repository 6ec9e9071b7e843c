"""`read_quotes`: one quote file in any supported format, read into a `QuoteFile`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from alvh.data.quotes import cboe_quote_table, datashop, generic, hod_l2, side_by_side
from alvh.data.quotes.base import QuoteFile, QuoteFileError
from alvh.data.quotes.tables import header_columns
from alvh.data.sources.base import digest_of

FORMATS = (
    "auto",
    cboe_quote_table.FORMAT,
    datashop.FORMAT,
    hod_l2.FORMAT,
    side_by_side.FORMAT,
    generic.FORMAT,
)
# Until February 2015 a monthly SPX option formally expired on the Saturday after its last
# trading day; the book, the calendar and method §1 count the Friday, so the Saturday maps to it.
SATURDAY_EXPIRY_UNTIL = pd.Timestamp("2015-02-01")


def detect_format(content: bytes) -> str | None:
    """The format a file's first lines show, or None."""
    head = content[:4096].decode("utf-8-sig", errors="replace")
    if cboe_quote_table.looks_like(head):
        return cboe_quote_table.FORMAT
    columns = header_columns(head)
    for module in (datashop, hod_l2, side_by_side, generic):
        if module.looks_like(columns):
            return module.FORMAT
    return None


def read_quotes(path: Path | str, format: str = "auto", root: str | None = None) -> QuoteFile:
    """Read one quote file (formats: `FORMATS`); `root` names the root of files without one.

    Raises `QuoteFileError` when the file cannot be read as that format at all; row-level
    problems are left to `alvh.data.quotes.rules`.
    """
    path = Path(path)
    origin = str(path)
    if format not in FORMATS:
        raise ValueError(f"unknown quote format {format!r}; expected one of {FORMATS}")
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise QuoteFileError(origin, "unreadable_file", f"cannot read the file: {exc}") from exc
    chosen = detect_format(content) if format == "auto" else format
    if chosen is None:
        raise QuoteFileError(
            origin,
            "unknown_format",
            "not a quote format this version reads (cboe-quote-table, datashop, hod-l2, "
            "side-by-side, generic); pass --format to say which",
        )
    digest = digest_of(content)
    if chosen == cboe_quote_table.FORMAT:
        quotes = cboe_quote_table.read_quote_table(content, origin, digest)
    elif chosen == datashop.FORMAT:
        quotes = datashop.read_datashop(content, origin, digest, root)
    elif chosen == hod_l2.FORMAT:
        quotes = hod_l2.read_hod_l2(content, origin, digest)
    elif chosen == side_by_side.FORMAT:
        quotes = side_by_side.read_side_by_side(content, origin, digest, root)
    else:
        quotes = generic.read_generic(content, origin, digest)
    _saturday_to_friday(quotes.frame)
    return quotes


def _saturday_to_friday(frame: pd.DataFrame) -> None:
    expiry = frame["expiry"]
    saturday = (expiry.dt.day_of_week == 5) & (expiry < SATURDAY_EXPIRY_UNTIL)
    if saturday.any():
        frame.loc[saturday, "expiry"] = expiry[saturday] - pd.Timedelta(days=1)
    frame["expiry"] = frame["expiry"].astype("datetime64[ns]")
    frame["as_of"] = frame["as_of"].astype("datetime64[ns]")
    frame["quote_time"] = pd.to_datetime(frame["quote_time"])
    frame["strike"] = frame["strike"].astype(np.float64)
