"""FRED series through the no-key `fredgraph.csv` download.

The file is `<date header>,<SERIES_ID>` with ISO dates. The date header was `DATE` until late
2024 and is `observation_date` since; both are accepted. A missing observation is published as
`.` (sometimes as an empty cell); both are kept as the text they are, and `alvh.data.validation`
treats
them as missing.

Output: a `RawTable` with columns `date` and `value` (the series column, matched without regard
to case), every cell a `str`. Other columns, should a multi-series URL be configured, are kept
under their lower-case names.
"""

from __future__ import annotations

import urllib.parse

import pandas as pd

from alvh.core.settings import Settings
from alvh.data.sources.base import BadFile, RawTable, digest_of
from alvh.data.sources.http import csv_frame, fetch_text, require_rows

PUBLISHER = "fred"

DATE_HEADERS = ("observation_date", "date")


def fred_url(series_id: str, settings: Settings) -> str:
    """The URL of `series_id` under `settings.fred_url_template`."""
    return settings.fred_url_template.format(series=urllib.parse.quote(series_id, safe=""))


def read_fred(series_id: str, settings: Settings) -> RawTable:
    """Fetch and normalise FRED's CSV for `series_id` (one HTTP attempt).

    Raises `SourceUnavailable` when the file cannot be fetched and `BadFile` when what arrives
    is not the expected CSV (rules "not_csv", "empty", "missing_column").
    """
    url = fred_url(series_id, settings)
    text = fetch_text(url, settings.http_timeout_seconds, settings.http_transfer_timeout_seconds)
    frame = parse_fred_csv(text, series_id, url)
    return RawTable(frame=frame, origin=url, publisher=PUBLISHER, digest=digest_of(text))


def parse_fred_csv(text: str, series_id: str, origin: str) -> pd.DataFrame:
    """Normalise the text of a fredgraph CSV for `series_id`; `origin` names it in errors."""
    frame = csv_frame(text, origin)
    found = ", ".join(frame.columns) or "no columns"
    date_column = next((name for name in DATE_HEADERS if name in frame.columns), None)
    if date_column is None:
        raise BadFile(
            origin,
            "missing_column",
            f"no observation_date or DATE column (found: {found})",
            column="date",
        )
    value_column = series_id.strip().lower()
    if value_column not in frame.columns or value_column in DATE_HEADERS:
        raise BadFile(
            origin,
            "missing_column",
            f"no {series_id.strip().upper()} column (found: {found})",
            column="value",
        )
    frame = frame.rename(columns={date_column: "date", value_column: "value"})
    require_rows(frame, origin)
    return frame
