"""How large a book file and its values may be (issue 15): refused at import, exit 3.

A book file is a few hundred rows; `book import /dev/zero` read without a cap exhausted memory.
Values are bounded by what an SPX or VIX position can be, so an absurd number (a quantity beyond
int64, a strike of 1e308) is refused with its row and column at import instead of failing later
inside the warehouse, the model or the report. A refused file is recorded in `rejected_rows` as
at most `MAX_RECORDED_PROBLEMS` rows and a summary, each message cut to `MAX_MESSAGE_CHARS`.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import TypeVar

MAX_BOOK_FILE_BYTES = 5_000_000  # ~60,000 positions; the sample book is 300 bytes
MAX_QUANTITY = 1_000_000  # contracts per position
# upper bounds per column, in index points: SPX has never traded above 10,000 and VIX above 90
MAX_VALUE = {
    "put_long": 100_000.0,
    "put_short": 100_000.0,
    "call_short": 100_000.0,
    "call_long": 100_000.0,
    "strike": 1_000.0,
    "entry_price": 10_000.0,
}
MAX_RECORDED_PROBLEMS = 100
MAX_MESSAGE_CHARS = 500

_WHOLE_NUMBER = re.compile(r"\+?\d+")

Problem = TypeVar("Problem")


class FileTooLarge(ValueError):
    """A book file beyond `MAX_BOOK_FILE_BYTES` (or an endless one such as /dev/zero)."""


def read_book_bytes(path: Path, limit: int = MAX_BOOK_FILE_BYTES) -> bytes:
    """The file's bytes, reading at most `limit` + 1 so an endless file cannot fill memory."""
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(
            f"larger than {limit:,} bytes, the limit for a book file (one row per position)"
        )
    return data


def parse_quantity(text: str) -> tuple[int | None, tuple[str, str] | None]:
    """A quantity cell as (count, None), or (None, (rule, explanation))."""
    if not _WHOLE_NUMBER.fullmatch(text) or not text.strip("+0"):
        return None, ("positive_integer", "must be a positive whole number of contracts")
    digits = text.lstrip("+").lstrip("0")
    if len(digits) > len(str(MAX_QUANTITY)) or int(digits) > MAX_QUANTITY:
        return None, ("quantity_limit", f"more than {MAX_QUANTITY:,} contracts in one position")
    return int(digits), None


def value_problem(column: str, value: float) -> tuple[str, str] | None:
    """(rule, explanation) when a price or strike is beyond what the product can be."""
    bound = MAX_VALUE.get(column)
    if bound is not None and abs(value) > bound:
        return "implausible_value", f"beyond {bound:,.0f} index points"
    return None


def recorded_problems(problems: list[Problem]) -> list[Problem]:
    """What a refusal writes to `rejected_rows`: at most `MAX_RECORDED_PROBLEMS` problems and
    one summary row, every raw value and message cut to `MAX_MESSAGE_CHARS`."""
    kept = [_shortened(p) for p in problems[:MAX_RECORDED_PROBLEMS]]
    if len(problems) > MAX_RECORDED_PROBLEMS:
        more = len(problems) - MAX_RECORDED_PROBLEMS
        kept.append(
            dataclasses.replace(
                kept[-1],
                line=0,
                column="",
                rule="more_problems",
                raw_value="",
                message=f"... and {more:,} more problem(s) in the same file, not recorded one "
                "by one (rule: more_problems)",
            )
        )
    return kept


def _shortened(problem: Problem) -> Problem:
    def cut(text: str) -> str:
        return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"

    return dataclasses.replace(
        problem, raw_value=cut(problem.raw_value), message=cut(problem.message)
    )
