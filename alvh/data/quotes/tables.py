"""Reading a one-header-line CSV quote file into text cells: what the tabular formats share."""

from __future__ import annotations

import csv
import io

import pandas as pd

from alvh.data.quotes.base import QuoteFileError


def read_table(content: bytes, origin: str, required: tuple[str, ...]) -> pd.DataFrame:
    """Every cell as text, column names stripped and lower-cased, `line` = the file line."""
    try:
        frame = pd.read_csv(
            io.BytesIO(content),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8-sig",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, csv.Error) as exc:
        raise QuoteFileError(origin, "not_csv", f"cannot be read as CSV: {exc}") from exc
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    for column in required:
        if column not in frame.columns:
            raise QuoteFileError(origin, "missing_column", f"no '{column}' column")
    frame["line"] = range(2, len(frame) + 2)
    return frame


def header_columns(head: str) -> set[str]:
    """The lower-cased names of a CSV file's first line."""
    first = head.lstrip("\ufeff").splitlines()[0] if head else ""
    return {c.strip().lower() for c in next(csv.reader([first]), [])}


def option_types(text: pd.Series) -> pd.Series:
    """C / P from `C`, `P`, `call`, `put` in any case; "" for anything else."""
    lowered = text.str.strip().str.lower()
    return lowered.map({"c": "C", "call": "C", "p": "P", "put": "P"}).fillna("")


def days(text: pd.Series, pattern: str) -> pd.Series:
    """Dates in `pattern` (e.g. `%Y-%m-%d`); NaT where a cell is not one."""
    return pd.to_datetime(text.str.strip(), format=pattern, errors="coerce")
