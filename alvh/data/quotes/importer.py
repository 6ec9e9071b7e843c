"""`import_quotes`: read a quote file, decide which day it is, check it and store it.

The quote date comes from the file. A close (a download between a session's close and the next
overnight open, or an end-of-day file) is stored under that session. An intraday or overnight
download holds no close: it is refused (exit 3) unless the caller says `intraday=True` and names
the day with `as_of` — the session under way, or for an overnight download the session it
belongs to or the close before it — and is then stored marked as such. A file that states no
time at all (a side-by-side chain) is stored only when the caller names its day with `as_of`:
as that day's close, or with `intraday=True` as an intraday snapshot.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from alvh.core import calendar
from alvh.core.errors import BadInputError, UsageError
from alvh.data.quotes.base import QuoteFile, QuoteFileError
from alvh.data.quotes.reader import read_quotes
from alvh.data.quotes.rules import check_quotes
from alvh.data.quotes.side_by_side import UNSTATED
from alvh.data.quotes.store import QuoteImport, store_quotes


def import_quotes(
    con: duckdb.DuckDBPyConnection,
    path: Path | str,
    today: date,
    *,
    format: str = "auto",
    as_of: date | None = None,
    intraday: bool = False,
    root: str | None = None,
) -> QuoteImport:
    """Import one quote file (see the module docstring); `today` is New York's date."""
    started = time.perf_counter()
    try:
        quotes = read_quotes(path, format, root)
    except QuoteFileError as exc:
        raise BadInputError(str(exc)) from exc
    quotes = _dated(quotes, as_of, intraday)
    checked = check_quotes(quotes, today)
    return store_quotes(con, quotes, checked, quotes.timing, started)


def _dated(quotes: QuoteFile, as_of: date | None, intraday: bool) -> QuoteFile:
    """`quotes` with every row under the day it is stored as, or the reason it cannot be."""
    taken = f"taken {quotes.quote_time:%Y-%m-%d %H:%M} ET" if quotes.quote_time else "taken"
    if quotes.timing == UNSTATED:
        return _confirmed(quotes, as_of, intraday)
    if quotes.timing != "close":
        if not intraday:
            raise BadInputError(
                f"{quotes.origin}: the quotes were {taken}, during the {quotes.timing} session "
                f"of {quotes.session}, not after a close (rule: not_a_close); to store them "
                "anyway pass --intraday and --as-of DATE"
            )
        if as_of is None:
            raise UsageError("--intraday needs --as-of: the day these quotes stand for")
        allowed = {quotes.session}
        if quotes.timing == "overnight" and quotes.session:
            allowed.add(calendar.previous_trading_day(quotes.session))
        if as_of not in allowed:
            raise UsageError(
                f"--as-of {as_of} does not match {quotes.origin}: the quotes were {taken} "
                f"({quotes.timing}, {', '.join(str(d) for d in sorted(allowed))})"
            )
        return _with_as_of(quotes, as_of)
    if as_of is None:
        return quotes
    if quotes.session is not None:
        if as_of != quotes.session:
            raise UsageError(
                f"--as-of {as_of} does not match {quotes.origin}: it holds the close of "
                f"{quotes.session} ({taken})"
            )
        return quotes
    # A file of many days: --as-of picks one of them.
    keep = (quotes.frame["as_of"] == pd.Timestamp(as_of)).to_numpy()
    if not keep.any():
        raise UsageError(f"{quotes.origin} holds no quotes dated {as_of}")
    return QuoteFile(
        **{
            **quotes.__dict__,
            "frame": quotes.frame[keep].reset_index(drop=True),
            "text": quotes.text[keep].reset_index(drop=True),
            "session": as_of,
        }
    )


def _confirmed(quotes: QuoteFile, as_of: date | None, intraday: bool) -> QuoteFile:
    """A file that does not say when its quotes were taken, stored as the caller says: the
    close of `as_of` (the file's own day), or with `intraday` an intraday snapshot of it."""
    if as_of is None:
        raise BadInputError(
            f"{quotes.origin}: the file does not say when its quotes were taken, so it cannot "
            "be told from an intraday snapshot (rule: quote_time_not_stated); pass --as-of DATE "
            "to store them as that day's close, or --intraday --as-of DATE"
        )
    if quotes.session is None or as_of != quotes.session:
        held = quotes.session or ", ".join(str(d) for d in quotes.as_of_dates) or "no date"
        raise UsageError(
            f"--as-of {as_of} does not match {quotes.origin}: its quotes are of {held}"
        )
    timing = "intraday" if intraday else "close"
    return QuoteFile(**{**quotes.__dict__, "timing": timing})


def _with_as_of(quotes: QuoteFile, as_of: date) -> QuoteFile:
    frame = quotes.frame.assign(as_of=pd.Timestamp(as_of))
    text = quotes.text.assign(as_of=str(as_of))
    return QuoteFile(**{**quotes.__dict__, "frame": frame, "text": text, "session": as_of})
