"""Cboe's delayed-quote table download (`spx_quotedata.csv`, `quotedata.dat`), both generations.

Two or three header lines — the index and its last price, then the download time — then one
row per expiry and strike with the call and the put side by side. The current generation has an
`Expiration Date` column, OCC symbols (`SPXW200323C01500000`) and a `Strike` column; the older
one (before about 2012) names each option `11 Feb 1300.00 (SPX1119B1300-E)`: root, year, day,
a month letter (A–L calls, M–X puts for January–December) and the strike. Column names differ
between downloads (`Vol`/`Volume`, `Open Int`/`Open Interest`), so sides are found by position
around the `Calls` and `Puts` columns. The quote date is the session the download time holds
(`alvh.data.quotes.session_time`), never the date printed in a row.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd

from alvh.core.calendar import NEW_YORK
from alvh.data.quotes.base import QuoteFile, QuoteFileError, numbers, split_occ_symbols, text_frame
from alvh.data.quotes.session_time import quote_session

FORMAT = "cboe-quote-table"

_OLD_NAME = re.compile(
    r"^\s*\d{2}\s+[A-Za-z]{3}\s+(?P<strike>[\d.]+)\s*"
    r"\((?P<root>[A-Z]+?)(?P<yy>\d{2})(?P<dd>\d{2})(?P<code>[A-X])[\d.]+(?:-\w+)?\)\s*$"
)
_ZONE = re.compile(r"\s*(?:ET|EST|EDT|UTC\s*(?P<offset>[+\-−]\s*\d{1,2}))\s*$")
_TIME_FORMATS = (
    "%b %d %Y %H:%M",  # Sep 04 2020 20:49
    "%B %d %Y %I:%M %p",  # January 9 2022 3:11 AM
    "%d %B %Y %I:%M %p",  # 6 May 2023 8:40 PM
    "%d %B %Y %H:%M",  # 14 April 2023 19:12
    "%B %d %Y %H:%M",
    "%b %d %Y %I:%M %p",
)


def looks_like(head: str) -> bool:
    """True when the file's first lines are a quote table's header and column line."""
    return bool(re.search(r"^(Expiration Date,)?Calls,Last Sale,", head, re.MULTILINE))


def parse_download_time(text: str, origin: str, line: int) -> datetime:
    """The header's download time as New York wall-clock time, e.g. from
    `Date: September 4, 2023 at 2:56 PM EDT`, `Jan 24 2011 @ 14:03 ET`, `14 April 2023, 19:12
    UTC−4`."""
    cleaned = text.strip().removeprefix("Date:").strip()
    zone = _ZONE.search(cleaned)
    if not zone:
        raise QuoteFileError(
            origin, "unparseable_quote_time", f"no time zone in the download time {text!r}", line
        )
    body = cleaned[: zone.start()].replace(",", " ").replace(" @ ", " ").replace(" at ", " ")
    body = " ".join(body.split())
    for pattern in _TIME_FORMATS:
        try:
            moment = datetime.strptime(body, pattern)
        except ValueError:
            continue
        if zone.group("offset"):
            hours = int(zone.group("offset").replace("−", "-").replace(" ", ""))
            aware = moment.replace(tzinfo=timezone(timedelta(hours=hours)))
            return aware.astimezone(NEW_YORK).replace(tzinfo=None)
        return moment  # ET / EST / EDT: already New York time
    raise QuoteFileError(
        origin, "unparseable_quote_time", f"cannot read the download time {text!r}", line
    )


def read_quote_table(content: bytes, origin: str, digest: str) -> QuoteFile:
    """One quote-table download as quote rows (calls and puts), dated by its header."""
    text = content.decode("utf-8-sig", errors="replace")
    lines = text.splitlines()
    column_line = next(
        (i for i, line in enumerate(lines) if re.match(r"(Expiration Date,)?Calls,", line)), None
    )
    if column_line is None:
        raise QuoteFileError(origin, "not_a_quote_table", "no 'Calls,...,Puts' column line")
    header = [
        (i, cells)
        for i, cells in enumerate(csv.reader(lines[:column_line]))
        if any(c.strip() for c in cells)
    ]
    if len(header) < 2:
        raise QuoteFileError(
            origin, "not_a_quote_table", "expected the index line and the download-time line"
        )
    (_, index_cells), (time_index, time_cells) = header[0], header[1]
    # An unquoted time (`Date: 14 April 2023, 19:12 UTC−4`) spans cells up to the `Bid` one.
    time_parts = []
    for cell in time_cells:
        if cell.strip().startswith("Bid"):
            break
        time_parts.append(cell)
    download_time = ",".join(time_parts).strip().rstrip(",")
    quote_time = parse_download_time(download_time, origin, time_index + 1)
    timing, session = quote_session(quote_time)
    last = _index_last(index_cells)

    columns = next(csv.reader([lines[column_line]]))
    if "Calls" not in columns or "Puts" not in columns:
        raise QuoteFileError(origin, "not_a_quote_table", "no 'Calls' and 'Puts' columns")
    body = pd.read_csv(
        io.StringIO("\n".join(lines[column_line + 1 :])),
        header=None,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        names=range(len(columns)),
        usecols=range(len(columns)),
        engine="c",
    )
    body["line"] = np.arange(len(body)) + column_line + 2
    body = body[body[columns.index("Calls")].str.strip() != ""]
    sides = [
        _side(body, columns, "Calls", "C", session, quote_time, last),
        _side(body, columns, "Puts", "P", session, quote_time, last),
    ]
    frame = pd.concat([s[0] for s in sides], ignore_index=True)
    text_cells = pd.concat([s[1] for s in sides], ignore_index=True)
    return QuoteFile(
        frame=frame,
        text=text_cells,
        origin=origin,
        format=FORMAT,
        digest=digest,
        timing=timing,
        session=session,
        quote_time=quote_time,
        underlying_last=last,
        header={"index": index_cells[0].strip(), "download_time": download_time.strip()},
    )


def _index_last(cells: list[str]) -> float | None:
    """The index's last price from `Name,Last: 4677.03,...` or `Name,1290.59,...`."""
    for cell in cells[1:]:
        try:
            return float(cell.replace("Last:", "").strip())
        except ValueError:
            continue
    return None


def _side(body, columns, side, option_type, session, quote_time, last):
    """The rows of one side (calls or puts): typed quotes and their cells as written."""
    start = columns.index(side)
    end = columns.index("Puts") if side == "Calls" else len(columns)
    fields = {name: start + 1 + i for i, name in enumerate(columns[start + 1 : end])}
    symbol = body[start]
    bid_text, ask_text = body[fields["Bid"]], body[fields["Ask"]]
    if "Expiration Date" in columns:
        occ = split_occ_symbols(symbol)
        expiry_text = body[columns.index("Expiration Date")]
        expiry = _expiry_dates(expiry_text)
        strike_text = body[columns.index("Strike")]
        root = occ["root"]
        # The symbol says which side it is; a row whose symbol disagrees is left unparsed.
        kind = np.where(occ["type"] == option_type, option_type, "")
    else:
        old = symbol.str.extract(_OLD_NAME)
        code = old["code"].fillna("")
        month = code.map(lambda c: (ord(c) - ord("A")) % 12 + 1 if c else np.nan)
        expiry_text = (
            "20"
            + old["yy"].fillna("")
            + "-"
            + month.map(lambda m: "" if pd.isna(m) else f"{int(m):02d}")
            + "-"
            + old["dd"].fillna("")
        )
        expiry = pd.to_datetime(expiry_text, format="%Y-%m-%d", errors="coerce")
        strike_text = old["strike"].fillna(symbol)
        root = old["root"].fillna("")
        is_call = code.str.match(r"[A-L]")
        kind = np.where((code != "") & (is_call == (option_type == "C")), option_type, "")
    typed = pd.DataFrame(
        {
            "as_of": pd.Timestamp(session),
            "quote_time": pd.Timestamp(quote_time),
            "root": root.to_numpy(),
            "expiry": expiry.to_numpy(),
            "strike": numbers(strike_text),
            "type": kind,
            "bid": numbers(bid_text),
            "ask": numbers(ask_text),
            "underlying": np.nan if last is None else last,
            "line": body["line"].to_numpy(),
        }
    )
    cells = text_frame(
        as_of=pd.Series(str(session), index=body.index),
        root=symbol,
        expiry=expiry_text,
        strike=strike_text,
        type=symbol,
        bid=bid_text,
        ask=ask_text,
    ).reset_index(drop=True)
    return typed, cells


def _expiry_dates(text: pd.Series) -> pd.Series:
    """`Fri Mar 20 2020` (current downloads) or `03/23/2020` (2020-era `.dat` files)."""
    stripped = text.str.strip()
    named = pd.to_datetime(stripped, format="%a %b %d %Y", errors="coerce")
    if named.isna().any():
        named = named.fillna(pd.to_datetime(stripped, format="%m/%d/%Y", errors="coerce"))
    return named
