"""What every quote importer returns: one `QuoteFile`, one row per option quote (issue 11).

Each format's reader turns its file into the same long table — `as_of, quote_time, root, expiry,
strike, type, bid, ask, underlying` — plus `line` (the file line the quote came from, for
messages) and the facts its header states (when the quotes were taken, the index level). Cells
that do not parse become NaN / NaT in the typed columns; their text stays in `text`, so the
validation rules (`alvh.data.quotes.rules`) can name the cell a user would find in an editor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

QUOTE_COLUMNS = (
    "as_of",
    "quote_time",
    "root",
    "expiry",
    "strike",
    "type",
    "bid",
    "ask",
    "underlying",
)
# The cells a rule can name, kept as the file wrote them.
TEXT_COLUMNS = ("as_of", "root", "expiry", "strike", "type", "bid", "ask", "underlying")
TIMINGS = ("close", "intraday", "overnight")


@dataclass(frozen=True)
class QuoteFile:
    """One quote file read into rows, with what its header says about when they were taken.

    `frame` has `QUOTE_COLUMNS` and `line`; `as_of`/`expiry` are datetime64 days, `quote_time`
    New York wall-clock time (NaT where the file states none), `type` "C" or "P". `text` holds
    the same rows' cells as written (index-aligned). `timing` is "close", "intraday" or
    "overnight" and `session` the trading day whose quotes these are (None for a file that
    spans several days, whose rows carry their own `as_of`).
    """

    frame: pd.DataFrame
    text: pd.DataFrame
    origin: str
    format: str
    digest: str
    timing: str
    session: date | None = None
    quote_time: datetime | None = None
    underlying_last: float | None = None
    header: dict[str, str] = field(default_factory=dict)

    @property
    def as_of_dates(self) -> list[date]:
        """The quote dates the rows carry (parsed ones only), ascending."""
        days = self.frame["as_of"].dropna().unique()
        return sorted(pd.Timestamp(d).date() for d in days)


class QuoteFileError(Exception):
    """The file cannot be read as the format at all (wrong layout, missing column, no header).

    Nothing from it is stored; `rule` names the rule broken, `line` the line (None: the file).
    """

    def __init__(self, origin: str, rule: str, detail: str, line: int | None = None):
        where = f"{origin}: line {line}: " if line is not None else f"{origin}: "
        super().__init__(f"{where}{detail} (rule: {rule})")
        self.origin = origin
        self.rule = rule
        self.detail = detail
        self.line = line


def numbers(text: pd.Series) -> np.ndarray:
    """Cells as floats; NaN where a cell is blank or not a number."""
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, copy=True)
    failed = np.isnan(values)
    if failed.any():  # only those pay for stripping blanks around a number
        values[failed] = pd.to_numeric(text[failed].str.strip(), errors="coerce")
    return values


# OCC-style option symbols as Cboe and most vendors write them: root, YYMMDD, C/P, strike×1000.
_OCC = r"[A-Z]{1,6}\d{6}[CP]\d{8}"


def split_occ_symbols(symbols: pd.Series) -> pd.DataFrame:
    """`root`, `expiry` (datetime64), `type`, `strike` of OCC symbols like SPXW200323C01500000.

    NaN / NaT / "" where a symbol does not have that shape.
    """
    text = symbols.astype(str).str.strip()
    shaped = text.str.fullmatch(_OCC).fillna(False)
    # The shape is fixed from the right: YYMMDD, C/P, eight strike digits; the root before.
    tail = text.str.slice(-15).where(shaped, "")
    expiry = pd.to_datetime(tail.str.slice(0, 6), format="%y%m%d", errors="coerce")
    strike = pd.to_numeric(tail.str.slice(7), errors="coerce") / 1000.0
    return pd.DataFrame(
        {
            "root": text.str.slice(0, -15).where(shaped, ""),
            "expiry": expiry,
            "type": tail.str.slice(6, 7),
            "strike": strike,
        },
        index=symbols.index,
    )


def text_frame(**columns: pd.Series | str) -> pd.DataFrame:
    """A `text` table with every `TEXT_COLUMNS` column (a plain string fills a whole column)."""
    index = next(c.index for c in columns.values() if isinstance(c, pd.Series))
    out = {}
    for name in TEXT_COLUMNS:
        value = columns.get(name, "")
        out[name] = value.astype(str) if isinstance(value, pd.Series) else value
    return pd.DataFrame(out, index=index)


def single_session(as_of: pd.Series) -> date | None:
    """The one quote date a file's rows share, or None when they span several (or none)."""
    quote_days = as_of.dropna().unique()
    return pd.Timestamp(quote_days[0]).date() if len(quote_days) == 1 else None
