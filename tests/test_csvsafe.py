"""CSV outputs neutralise spreadsheet formulas in text cells (issue 15, OWASP CSV injection)."""

from __future__ import annotations

import csv
from datetime import date

import pandas as pd
import pytest

from alvh.core.csvsafe import FORMULA_PREFIXES, neutralise, write_csv

HOSTILE = [
    '=HYPERLINK("http://evil","x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1",
    "\r=1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_text_cell_that_would_start_a_formula_is_written_as_text(tmp_path, text):
    frame = pd.DataFrame(
        {
            "date": [date(2026, 8, 21)],
            "variant": [text],
            "equity": [-1234.5],
            "note": ["plain"],
        }
    )
    path = write_csv(frame, tmp_path / "out.csv", float_format="%.6f")
    with path.open(newline="", encoding="utf-8") as handle:
        (header, row) = list(csv.reader(handle))
    assert header == ["date", "variant", "equity", "note"]
    assert row == ["2026-08-21", "'" + text.replace("\r", "\n"), "-1234.500000", "plain"]
    assert not row[1].startswith(FORMULA_PREFIXES)


def test_numbers_dates_and_harmless_text_are_left_as_they_are():
    assert [neutralise(v) for v in (-1.5, 0, None, "alvh", "a=b", date(2026, 1, 2))] == [
        -1.5,
        0,
        None,
        "alvh",
        "a=b",
        date(2026, 1, 2),
    ]


def test_a_hostile_column_name_is_neutralised_too(tmp_path):
    path = write_csv(pd.DataFrame({"=cmd()": ["x"], "ok": [1]}), tmp_path / "h.csv")
    assert path.read_text().splitlines()[0] == "'=cmd(),ok"


def test_backtest_outputs_go_through_the_neutraliser():
    """Every CSV the backtest and the sweep write is written by write_csv (no bare to_csv)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "alvh"
    bare = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if ".to_csv(" in path.read_text("utf-8") and path.name != "csvsafe.py"
    ]
    assert bare == []
