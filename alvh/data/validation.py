"""Validation on every load: the same rules for every publisher (foundation issue, item 5).

A row is rejected, with the rule it broke, when its date does not parse, lies after `as_of`,
appears twice in the file, or its value is not a finite number inside the series' plausible
range. Empty cells and FRED's "." mean "not published" and are skipped, not rejected.

For a daily series of positive levels (an index, a volatility index), a new or revised value
is also checked against its neighbour in the stored history: a one-day move beyond a factor of
`MAX_DAILY_MOVE_FACTOR` either way is refused (rule `implausible_move`). The largest in the
bundled history is VIX9D's ×3.15 on 2018-02-05 (SPX's: −20.5 % on 1987-10-19); a close cut from
7674.37 to 76 by a broken transfer is ×1/100.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from alvh.data.sources.base import RawTable

MISSING_MARKERS = frozenset({"", "."})
NON_FINITE_TEXT = frozenset(
    {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
)

REJECT_COLUMNS = ["line", "column_name", "rule", "raw_value", "message"]
MAX_DAILY_MOVE_FACTOR = 5.0
# More broken rows than this and the file is refused as a whole, in one rejected row: a garbage
# body of 16 M lines once became 16 M rows of rejected_rows.
MAX_REJECTED_ROWS_PER_FILE = 1000


@dataclass(frozen=True)
class Validated:
    """The rows that passed (`date`, `value`), the rejected rows, and what was skipped."""

    good: pd.DataFrame
    rejected: pd.DataFrame
    missing: int
    withheld: int


def parse_dates(text: pd.Series) -> pd.Series:
    """ISO dates (snapshot, FRED) or US month/day/year dates (Cboe); NaT where neither parses."""
    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    if not iso.isna().any():
        return iso
    # Only the rows that failed pay for stripping and the second format.
    failed = iso.isna()
    rest = text[failed].astype(str).str.strip()
    retry = pd.to_datetime(rest, format="%Y-%m-%d", errors="coerce")
    retry = retry.fillna(pd.to_datetime(rest, format="%m/%d/%Y", errors="coerce"))
    return iso.fillna(retry)


def _reject(
    raw: RawTable, positions: np.ndarray, column: str, rule: str, values: pd.Series, explain: str
) -> pd.DataFrame:
    lines = raw.first_line + positions
    values = values.astype(str).str.slice(0, 200)
    messages = [
        f"{raw.origin}: row {line}, column '{column}': {explain} (rule: {rule}; value {v!r})"
        for line, v in zip(lines, values, strict=True)
    ]
    return pd.DataFrame(
        {
            "line": lines,
            "column_name": column,
            "rule": rule,
            "raw_value": values.to_numpy(),
            "message": messages,
        }
    )


def validate_dated_rows(
    raw: RawTable,
    as_of: date,
    key_columns: tuple[str, ...] = (),
    future_allowed: pd.Series | None = None,
) -> tuple[pd.Series, pd.DataFrame]:
    """Dates of `raw` checked for parse, future and duplicates; returns (dates, rejects).

    A row is a duplicate when its date (and `key_columns`, e.g. the futures contract) appears
    more than once: every copy is rejected, since nothing says which one is right. Rows where
    `future_allowed` is True (scheduled events) may lie after `as_of`. `dates` is NaT on every
    rejected row, so callers keep only rows with a date.
    """
    frame = raw.frame
    text = frame["date"].astype(str)
    dates = parse_dates(text)
    positions = np.arange(len(frame))
    rejects = []

    unparsed = dates.isna().to_numpy()
    if unparsed.any():
        rejects.append(
            _reject(
                raw,
                positions[unparsed],
                "date",
                "unparseable_date",
                text[unparsed],
                "not a date (YYYY-MM-DD or MM/DD/YYYY)",
            )
        )

    future = (dates > pd.Timestamp(as_of)).to_numpy()
    if future_allowed is not None:
        future = future & ~future_allowed.to_numpy(dtype=bool)
    if future.any():
        rejects.append(
            _reject(
                raw,
                positions[future],
                "date",
                "future_date",
                text[future],
                f"dated after as_of {as_of.isoformat()}",
            )
        )

    keys = pd.DataFrame({"date": dates, **{c: frame[c] for c in key_columns}})
    duplicated = (keys.duplicated(keep=False) & dates.notna()).to_numpy() & ~future
    if duplicated.any():
        rejects.append(
            _reject(
                raw,
                positions[duplicated],
                "date",
                "duplicate_date",
                text[duplicated],
                "the same date appears more than once",
            )
        )

    bad = unparsed | future | duplicated
    dates = dates.mask(bad)
    rejected = pd.concat(rejects, ignore_index=True) if rejects else _empty_rejects()
    return dates, rejected


def validate_values(
    raw: RawTable,
    dates: pd.Series,
    column: str,
    low: float,
    high: float,
    withhold: pd.Series | None = None,
    stored: pd.Series | None = None,
) -> Validated:
    """Values of `column` on rows whose date passed: finite and within [low, high]; with
    `stored` (the series' stored values by date), no implausible one-day move either."""
    text = raw.frame[column].astype(str)
    positions = np.arange(len(text))
    has_date = dates.notna().to_numpy()
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    # Only cells that did not parse as numbers need a closer look (blank, ".", "nan", text).
    unparsed = np.isnan(numbers)
    looked_at = text[unparsed].str.strip()
    missing = np.zeros(len(text), dtype=bool)
    missing[unparsed] = looked_at.isin(MISSING_MARKERS).to_numpy()
    missing &= has_date
    non_finite_text = np.zeros(len(text), dtype=bool)
    non_finite_text[unparsed] = looked_at.str.lower().isin(NON_FINITE_TEXT).to_numpy()
    withheld = np.zeros(len(text), dtype=bool)
    if withhold is not None:
        withheld = withhold.to_numpy() & has_date & ~missing
    candidate = has_date & ~missing & ~withheld

    not_number = candidate & unparsed & ~non_finite_text
    not_finite = candidate & (non_finite_text | np.isinf(numbers))
    checked = candidate & ~not_number & ~not_finite
    with np.errstate(invalid="ignore"):
        out_of_range = checked & ((numbers < low) | (numbers > high))

    rejects = []
    if not_number.any():
        rejects.append(
            _reject(
                raw, positions[not_number], column, "not_a_number", text[not_number], "not a number"
            )
        )
    if not_finite.any():
        rejects.append(
            _reject(
                raw,
                positions[not_finite],
                column,
                "not_finite",
                text[not_finite],
                "not a finite number",
            )
        )
    if out_of_range.any():
        rejects.append(
            _reject(
                raw,
                positions[out_of_range],
                column,
                "out_of_range",
                text[out_of_range],
                f"outside the plausible range [{low:g}, {high:g}]",
            )
        )

    ok = checked & ~out_of_range
    if stored is not None and ok.any():
        jumps = np.zeros(len(text), dtype=bool)
        jumps[ok] = implausible_moves(dates[ok], numbers[ok], stored)
        if jumps.any():
            rejects.append(
                _reject(
                    raw,
                    positions[jumps],
                    column,
                    "implausible_move",
                    text[jumps],
                    f"a one-day move beyond ×{MAX_DAILY_MOVE_FACTOR:g} or "
                    f"÷{MAX_DAILY_MOVE_FACTOR:g} against the previous value",
                )
            )
            ok &= ~jumps
    good = pd.DataFrame({"date": dates[ok].to_numpy(), "value": numbers[ok]})
    rejected = pd.concat(rejects, ignore_index=True) if rejects else _empty_rejects()
    return Validated(good, rejected, int(missing.sum()), int(withheld.sum()))


def implausible_moves(dates: pd.Series, values: np.ndarray, stored: pd.Series) -> np.ndarray:
    """Which of the incoming (date, value) rows, new or different from `stored`, move beyond
    `MAX_DAILY_MOVE_FACTOR` from the previous value of the stored history merged with them."""
    incoming = pd.Series(values, index=pd.DatetimeIndex(dates))
    stored = stored[stored.index.notna()]
    before = stored.reindex(incoming.index)
    touched = (before.isna() | (before.to_numpy() != incoming.to_numpy())).to_numpy()
    if not touched.any():
        return np.zeros(len(incoming), dtype=bool)
    bound = math.log(MAX_DAILY_MOVE_FACTOR)

    def jump(previous: float, value: float) -> bool:
        return previous > 0 and value > 0 and abs(math.log(value / previous)) > bound

    merged = pd.concat([stored[~stored.index.isin(incoming.index)], incoming]).sort_index()
    levels = merged.to_numpy(dtype=float)
    new_here = merged.index.isin(incoming.index[touched])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.abs(np.log(levels[1:] / levels[:-1]))
    candidates = np.flatnonzero(np.nan_to_num(ratio, nan=0.0) > bound) + 1
    refused: set[int] = set()
    for i in candidates:  # few: judge each against the last value that stands before it
        j = i - 1
        while j in refused:
            j -= 1
        if new_here[i] and j >= 0 and jump(levels[j], levels[i]):
            refused.add(int(i))
    dates_refused = merged.index[sorted(refused)]
    return incoming.index.isin(dates_refused) & touched


def require_columns(raw: RawTable, columns: list[str]) -> str | None:
    """The first required column missing from `raw`, or None."""
    for column in columns:
        if column not in raw.frame.columns:
            return column
    return None


def _empty_rejects() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in REJECT_COLUMNS}).astype(
        {"line": "int64"}
    )


def reject_where(raw: RawTable, mask: np.ndarray, column: str, rule: str, explain: str):
    """Rejected-row records for the rows of `raw` where `mask` holds, naming `column`."""
    positions = np.flatnonzero(mask)
    return _reject(raw, positions, column, rule, raw.frame[column].iloc[positions], explain)


def validate_secondary_dates(
    raw: RawTable, dates: pd.Series, column: str, month_only: bool = False
) -> tuple[pd.Series, pd.DataFrame]:
    """Parse another date column (an expiry, a reference month) on rows whose date passed.

    Returns the parsed values and the rejects; callers drop rows where the value is NaT.
    """
    text = raw.frame[column].astype(str).str.strip()
    if month_only:
        parsed = pd.to_datetime(text, format="%Y-%m", errors="coerce")
        rule, explain = "unparseable_month", "not a YYYY-MM month"
    else:
        parsed = parse_dates(text)
        rule, explain = "unparseable_date", "not a date (YYYY-MM-DD or MM/DD/YYYY)"
    bad = (dates.notna() & parsed.isna()).to_numpy()
    rejects = reject_where(raw, bad, column, rule, explain) if bad.any() else _empty_rejects()
    return parsed, rejects
