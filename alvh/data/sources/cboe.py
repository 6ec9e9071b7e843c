"""Cboe's daily index price files (`{symbol}_History.csv` on cdn.cboe.com).

Two layouts are published, both with US dates (`MM/DD/YYYY`) in a `DATE` column:

* OHLC: `DATE,OPEN,HIGH,LOW,CLOSE` (VIX, VIX9D, VIX3M, VIX6M, ...), values like `17.240000`;
* one value column named after the index: `DATE,VVIX`, `DATE,SKEW`, `DATE,SPX`.

Both come out as a `RawTable` with lower-case columns, `date` as published and the close in
`close` (the one-value column renamed), every cell a `str`. Parsing the dates and numbers is left
to `alvh.data.validation`.
"""

from __future__ import annotations

import urllib.parse

import pandas as pd

from alvh.core.settings import Settings
from alvh.data.sources.base import BadFile, RawTable, digest_of
from alvh.data.sources.http import csv_frame, fetch_text, require_rows

PUBLISHER = "cboe"


def cboe_url(symbol: str, settings: Settings) -> str:
    """The URL of `symbol`'s history file under `settings.cboe_url_template`."""
    return settings.cboe_url_template.format(symbol=urllib.parse.quote(symbol, safe=""))


def read_cboe(symbol: str, settings: Settings) -> RawTable:
    """Fetch and normalise Cboe's `{symbol}_History.csv` (one HTTP attempt).

    Raises `SourceUnavailable` when the file cannot be fetched and `BadFile` when what arrives
    is not the expected CSV (rules "not_csv", "empty", "missing_column").
    """
    url = cboe_url(symbol, settings)
    text = fetch_text(url, settings.http_timeout_seconds, settings.http_transfer_timeout_seconds)
    frame = parse_cboe_csv(text, symbol, url)
    return RawTable(frame=frame, origin=url, publisher=PUBLISHER, digest=digest_of(text))


def parse_cboe_csv(text: str, symbol: str, origin: str) -> pd.DataFrame:
    """Normalise the text of a Cboe history file for `symbol`; `origin` names it in errors."""
    frame = csv_frame(text, origin)
    found = ", ".join(frame.columns) or "no columns"
    if "date" not in frame.columns:
        raise BadFile(origin, "missing_column", f"no DATE column (found: {found})", column="date")
    if "close" not in frame.columns:
        value_column = symbol.strip().lower()
        if value_column in frame.columns and value_column != "date":
            frame = frame.rename(columns={value_column: "close"})
        else:
            raise BadFile(
                origin,
                "missing_column",
                f"no CLOSE column and no {symbol.strip().upper()} column (found: {found})",
                column="close",
            )
    require_rows(frame, origin)
    return frame
