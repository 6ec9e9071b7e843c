"""CSV files a spreadsheet can open safely: text cells never start a formula (issue 15).

A cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by
Excel, LibreOffice and Google Sheets ("CSV injection"). As OWASP advises, such text cells are
written with a leading single quote, which the spreadsheet shows as text. Numbers are left as
they are: a negative P&L stays a number.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text value that would start a formula, quoted; anything else unchanged.

    A carriage return inside text becomes a line feed: the CSV writer quotes a cell holding a
    line feed, but not one holding a bare CR, which some readers take as the end of the row.
    """
    if not isinstance(value, str):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if value.startswith(FORMULA_PREFIXES) or value.startswith("\n"):
        return "'" + value
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every text cell neutralised (a copy; numeric columns untouched)."""
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if not text:
        return frame
    safe = frame.copy()
    for column in text:
        safe[column] = safe[column].map(neutralise)
    safe.columns = [neutralise(c) for c in safe.columns]
    return safe


def write_csv(frame: pd.DataFrame, path: Path, **options: object) -> Path:
    """`frame.to_csv(path, index=False, **options)` with text cells neutralised."""
    neutralised(frame).to_csv(path, index=False, **options)
    return path
