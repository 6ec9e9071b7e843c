"""The condor book (method §3): positions from a CSV file, validated, stored, and read back.

A book file (interface.md) has one row per position. One bad row refuses the whole file: the
message names the row, the column and the rule, every broken rule is recorded in
`rejected_rows`, and the warehouse keeps the book it had. Position ids are stored verbatim,
whatever they contain; every place that shows them escapes them.
"""

from __future__ import annotations

import csv
import io
import math
import re
import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from alvh.book.id_rules import position_id_problem
from alvh.book.limits import (
    FileTooLarge,
    parse_quantity,
    read_book_bytes,
    recorded_problems,
    value_problem,
)
from alvh.core import calendar
from alvh.core.errors import BadInputError
from alvh.core.resources import bundled_dir, read_sql_statements
from alvh.store.warehouse import transaction

BOOK_COLUMNS = (
    "position_id",
    "kind",
    "expiry",
    "quantity",
    "entry_date",
    "entry_price",
    "put_long",
    "put_short",
    "call_short",
    "call_long",
    "strike",
)
KINDS = ("iron_condor", "vix_call")
CONDOR_STRIKES = ("put_long", "put_short", "call_short", "call_long")
SPX_STRIKE_GRID = 5.0  # method §1
VIX_STRIKE_GRID = 0.5  # method §1: 1-point grid, 0.5 below 20 where listed
MAX_ID_LENGTH = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Position:
    """One position as the book file describes it (prices per unit, in index points)."""

    position_id: str
    kind: str
    expiry: date
    quantity: int
    entry_date: date
    entry_price: float
    put_long: float | None = None
    put_short: float | None = None
    call_short: float | None = None
    call_long: float | None = None
    strike: float | None = None

    @property
    def is_condor(self) -> bool:
        return self.kind == "iron_condor"

    def max_loss(self) -> float | None:
        """Method §3.1: (widest wing − credit) · 100 · q; None for a VIX call."""
        if not self.is_condor:
            return None
        widest = max(self.put_short - self.put_long, self.call_long - self.call_short)
        return (widest - self.entry_price) * 100.0 * self.quantity

    def breakevens(self) -> tuple[float, float] | None:
        """Method §3.1: expiry break-evens K_sp − credit and K_sc + credit."""
        if not self.is_condor:
            return None
        return (self.put_short - self.entry_price, self.call_short + self.entry_price)


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    rule: str
    raw_value: str
    message: str


@dataclass(frozen=True)
class ImportReport:
    import_id: str
    file: str
    inserted: int
    unchanged: int


def _is_on_grid(value: float, grid: float) -> bool:
    return math.isclose(value / grid, round(value / grid), abs_tol=1e-9)


def _parse_row(line: int, row: dict[str, str], today: date, origin: str):
    """A Position from one CSV row, or the list of problems that row has."""
    problems: list[Problem] = []

    def problem(column: str, rule: str, explain: str) -> None:
        raw = row.get(column, "") or ""
        problems.append(
            Problem(
                line,
                column,
                rule,
                raw,
                f"{origin}: row {line}, column '{column}': {explain} (rule: {rule}; value {raw!r})",
            )
        )

    def text(column: str) -> str:
        return (row.get(column) or "").strip()

    def number(column: str, required: bool) -> float | None:
        raw = text(column)
        if not raw:
            if required:
                problem(column, "required", "a value is required")
            return None
        try:
            value = float(raw)
        except ValueError:
            problem(column, "not_a_number", "not a number")
            return None
        if not math.isfinite(value):
            problem(column, "not_finite", "not a finite number")
            return None
        if broken := value_problem(column, value):
            problem(column, *broken)
            return None
        return value

    def day(column: str) -> date | None:
        raw = text(column)
        try:
            return date.fromisoformat(raw)
        except ValueError:
            problem(column, "unparseable_date", "not a date in the form YYYY-MM-DD")
            return None

    position_id = row.get("position_id") or ""
    if not position_id.strip():
        problem("position_id", "required", "a position id is required")
    elif len(position_id) > MAX_ID_LENGTH:
        problem("position_id", "too_long", f"longer than {MAX_ID_LENGTH} characters")
    elif _CONTROL.search(position_id):
        problem("position_id", "control_character", "contains a control character")
    elif broken := position_id_problem(position_id):
        problem("position_id", *broken)

    kind = text("kind")
    if kind not in KINDS:
        problem("kind", "unknown_kind", f"must be one of {', '.join(KINDS)}")

    quantity, broken = parse_quantity(text("quantity"))
    if broken:
        problem("quantity", *broken)

    expiry, entry_date = day("expiry"), day("entry_date")
    entry_price = number("entry_price", required=True)
    if entry_price is not None and entry_price <= 0:
        problem("entry_price", "positive", "must be greater than zero (per unit, index points)")
    if entry_date is not None:
        if entry_date > today:
            problem("entry_date", "future_date", f"is after today ({today})")
        elif not calendar.is_trading_day(entry_date):
            problem("entry_date", "not_a_trading_day", "is not an NYSE trading day")
    if expiry is not None and entry_date is not None and expiry <= entry_date:
        problem("expiry", "expiry_before_entry", "is not after the entry date")

    strikes = {}
    if kind == "iron_condor":
        for column in CONDOR_STRIKES:
            strikes[column] = number(column, required=True)
            value = strikes[column]
            if value is not None and (value <= 0 or not _is_on_grid(value, SPX_STRIKE_GRID)):
                problem(column, "strike_grid", "SPX strikes are positive multiples of 5")
        if text("strike"):
            problem("strike", "must_be_empty", "an iron condor uses the four wing strikes")
        if None not in strikes.values():
            ordered = [strikes[c] for c in CONDOR_STRIKES]
            if not all(a < b for a, b in zip(ordered, ordered[1:], strict=False)):
                problem(
                    "put_short",
                    "strike_order",
                    "strikes must rise: put_long < put_short < call_short < call_long",
                )
            elif entry_price is not None:
                widest = max(ordered[1] - ordered[0], ordered[3] - ordered[2])
                if entry_price >= widest:
                    problem(
                        "entry_price",
                        "credit_below_width",
                        f"a condor's credit must be below its widest wing ({widest:g})",
                    )
        if expiry is not None and not calendar.is_trading_day(expiry):
            problem("expiry", "not_an_spx_expiry", "SPX options expire on NYSE trading days only")
    elif kind == "vix_call":
        strike = number("strike", required=True)
        if strike is not None and (strike <= 0 or not _is_on_grid(strike, VIX_STRIKE_GRID)):
            problem("strike", "strike_grid", "VIX strikes are positive multiples of 0.5")
        strikes["strike"] = strike
        for column in CONDOR_STRIKES:
            if text(column):
                problem(column, "must_be_empty", "a VIX call has one strike, in 'strike'")
        if expiry is not None and expiry != calendar.vix_expiry(expiry.year, expiry.month):
            problem(
                "expiry",
                "not_a_vix_expiry",
                f"the VIX expiry of {expiry:%Y-%m} is "
                f"{calendar.vix_expiry(expiry.year, expiry.month)} (method §1)",
            )
        if entry_price is not None and entry_price >= 100:
            problem("entry_price", "implausible", "a VIX call premium of 100 points or more")

    if problems:
        return problems
    return Position(
        position_id=position_id,
        kind=kind,
        expiry=expiry,
        quantity=quantity,
        entry_date=entry_date,
        entry_price=entry_price,
        **strikes,
    )


def parse_book_file(path: Path, today: date) -> tuple[list[Position], list[Problem]]:
    """All positions of a book file, or the problems that refuse it (never half of it)."""
    origin = str(path)
    try:
        content = read_book_bytes(path).decode("utf-8-sig")
    except FileNotFoundError as exc:
        raise BadInputError(f"{origin}: no such file") from exc
    except FileTooLarge as exc:
        return [], [Problem(0, "", "file_too_large", "", f"{origin}: {exc} (rule: file_too_large)")]
    except OSError as exc:
        raise BadInputError(f"{origin}: cannot be read as a book file ({exc.strerror})") from exc
    except UnicodeDecodeError:
        return [], [
            Problem(0, "", "not_utf8", "", f"{origin}: not a UTF-8 text file (rule: not_utf8)")
        ]
    try:
        reader = csv.DictReader(io.StringIO(content, newline=""), strict=True)
        header = [name.strip() for name in (reader.fieldnames or [])]
        reader.fieldnames = header
        missing = [c for c in BOOK_COLUMNS if c not in header]
        if missing:
            return [], [
                Problem(
                    1,
                    missing[0],
                    "missing_column",
                    "",
                    f"{origin}: row 1: missing column(s) {', '.join(missing)} "
                    "(rule: missing_column)",
                )
            ]
        rows = list(reader)
    except csv.Error as exc:
        return [], [
            Problem(0, "", "not_csv", "", f"{origin}: not a CSV file: {exc} (rule: not_csv)")
        ]
    positions, problems = [], []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        line = index + 2
        if None in row:  # more cells than the header names
            problems.append(
                Problem(
                    line,
                    "",
                    "extra_cells",
                    "",
                    f"{origin}: row {line}: more "
                    "cells than the header has columns (rule: extra_cells)",
                )
            )
            continue
        parsed = _parse_row(line, row, today, origin)
        if isinstance(parsed, list):
            problems.extend(parsed)
            continue
        if parsed.position_id in seen:
            problems.append(
                Problem(
                    line,
                    "position_id",
                    "duplicate_id",
                    parsed.position_id,
                    f"{origin}: row {line}, column 'position_id': the id also "
                    f"appears on row {seen[parsed.position_id]} "
                    f"(rule: duplicate_id; value {parsed.position_id!r})",
                )
            )
            continue
        seen[parsed.position_id] = line
        positions.append(parsed)
    if not rows and not problems:
        problems.append(Problem(1, "", "empty", "", f"{origin}: no positions (rule: empty)"))
    return positions, problems


def _positions_frame(positions: list[Position]) -> pd.DataFrame:
    return pd.DataFrame([asdict(p) for p in positions], columns=list(BOOK_COLUMNS))


def import_book(
    con: duckdb.DuckDBPyConnection, path: Path, today: date, source: str | None = None
) -> ImportReport:
    """Validate and store a book file, all or nothing; raises BadInputError when refused.

    A position already in the warehouse with the same id must be identical (importing the same
    file twice changes nothing); a different position under a known id is refused, since
    rewriting a position would rewrite its history.
    """
    import_id = f"book-{datetime.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    sql = read_sql_statements("book/import.sql")
    positions, problems = parse_book_file(path, today)
    if not problems:
        problems = _conflicts(con, positions, str(path), sql)
    frame = _positions_frame(positions)
    if problems:
        _record_refusal(con, import_id, str(path), recorded_problems(problems), sql)
        shown = "\n  ".join(p.message for p in recorded_problems(problems[:20]))
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise BadInputError(
            f"book file refused, nothing imported ({len(problems)} problem(s)):\n  {shown}{more}"
        )
    con.register("incoming_positions", frame)
    try:
        with transaction(con):
            new_ids = {r[0] for r in con.execute(sql["new_ids"]).fetchall()}
            con.execute(
                sql["insert_positions"], {"source": source or str(path), "import_id": import_id}
            )
            con.execute(sql["insert_premiums"], {"import_id": import_id})
            con.execute(
                sql["record_import"],
                {
                    "import_id": import_id,
                    "file": str(path),
                    "imported_at": datetime.now(),
                    "status": "imported",
                    "inserted": len(new_ids),
                    "unchanged": len(positions) - len(new_ids),
                    "rejected": 0,
                },
            )
    finally:
        con.unregister("incoming_positions")
    return ImportReport(import_id, str(path), len(new_ids), len(positions) - len(new_ids))


def _conflicts(con, positions: list[Position], origin: str, sql: dict[str, str]) -> list[Problem]:
    if not positions:
        return []
    con.register("incoming_positions", _positions_frame(positions))
    try:
        rows = con.execute(sql["conflicts"]).fetchall()
    finally:
        con.unregister("incoming_positions")
    lines = {p.position_id: i + 2 for i, p in enumerate(positions)}
    return [
        Problem(
            lines[pid],
            "position_id",
            "conflicts_with_book",
            pid,
            f"{origin}: row {lines[pid]}, column 'position_id': a different position with "
            f"this id is already in the book (rule: conflicts_with_book; value {pid!r})",
        )
        for (pid,) in rows
    ]


def _record_refusal(con, import_id: str, origin: str, problems: list[Problem], sql) -> None:
    rejects = pd.DataFrame(
        [
            {
                "line": p.line or None,
                "column_name": p.column or None,
                "rule": p.rule,
                "raw_value": p.raw_value,
                "message": p.message,
            }
            for p in problems
        ]
    )
    con.register("rejects", rejects)
    try:
        with transaction(con):
            con.execute(
                sql["record_rejects"],
                {"run_id": import_id, "origin": origin, "rejected_at": datetime.now()},
            )
            con.execute(
                sql["record_import"],
                {
                    "import_id": import_id,
                    "file": origin,
                    "imported_at": datetime.now(),
                    "status": "refused",
                    "inserted": 0,
                    "unchanged": 0,
                    "rejected": len(problems),
                },
            )
    finally:
        con.unregister("rejects")


def open_positions(con: duckdb.DuckDBPyConnection, as_of: date) -> list[Position]:
    """Positions open at `as_of`'s close: entered on or before it, not yet expired or closed."""
    rows = con.execute(
        read_sql_statements("book/import.sql")["open_positions"], {"as_of": as_of}
    ).df()
    positions = []
    for row in rows.to_dict("records"):
        values = {
            k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()
        }
        for key in ("expiry", "entry_date"):
            values[key] = pd.Timestamp(values[key]).date()
        values["quantity"] = int(values["quantity"])
        positions.append(Position(**values))
    return positions


SAMPLE_BOOK_DEPOSIT = 1_000_000.0  # starting cash of the sample book, about 10× its risk capital


def sample_book_path() -> Path:
    return bundled_dir() / "sample_book.csv"


def load_sample_book(con: duckdb.DuckDBPyConnection, today: date) -> ImportReport | None:
    """Load the shipped sample book into an empty book (never into a user's own book).

    The sample's cash account starts with a deposit on its entry date; returns None when the
    book already holds positions.
    """
    if con.execute("SELECT count(*) FROM positions").fetchall()[0][0]:
        return None
    path = sample_book_path()
    report = import_book(con, path, today, source="sample book")
    first_entry = con.execute("SELECT min(entry_date) FROM positions").fetchall()[0][0]
    with transaction(con):
        con.execute(
            read_sql_statements("book/import.sql")["deposit"],
            {
                "entry_id": "deposit:sample-book",
                "entry_date": first_entry,
                "amount": SAMPLE_BOOK_DEPOSIT,
                "note": "starting cash of the sample book",
            },
        )
    return report
