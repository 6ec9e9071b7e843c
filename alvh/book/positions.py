"""The book (method §3, issue 12): positions from a book file, validated, stored, read back.

Two file formats (interface.md), told apart by their header: the positions file, one row per
iron condor or VIX call (the original format, unchanged), and the legs file, one row per option
leg of any SPX/SPXW or VIX structure, `position_id` grouping the legs of a position. One bad row
refuses the whole file: the message names the row, the column and the rule, every broken rule
is recorded in `rejected_rows`, and the warehouse keeps the book it had. Each new position is
stored with its opening trade and the premium's cash (`alvh.book.journal`). Position ids are
stored verbatim, whatever they contain; every place that shows them escapes them.
"""

from __future__ import annotations

import csv
import io
import math
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from alvh.book.id_rules import position_id_problem
from alvh.book.journal import Trade, cash_kind, write_open, write_trade
from alvh.book.legs import ROOTS, Leg, Position, recognise_kind, units_and_quantity
from alvh.book.limits import (
    MAX_QUANTITY,
    FileTooLarge,
    parse_quantity,
    read_book_bytes,
    recorded_problems,
    value_problem,
)
from alvh.core import calendar
from alvh.core.errors import BadInputError, UsageError
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
LEGS_COLUMNS = (
    "position_id",
    "root",
    "type",
    "strike",
    "expiry",
    "quantity",
    "entry_date",
    "price",
)  # and optionally `fees`, dollars for the leg
KINDS = ("iron_condor", "vix_call")  # the positions file's kinds; the legs file has any
CONDOR_STRIKES = ("put_long", "put_short", "call_short", "call_long")
SPX_STRIKE_GRID = 5.0  # method §1
VIX_STRIKE_GRID = 0.5  # method §1: 1-point grid, 0.5 below 20 where listed
MAX_ID_LENGTH = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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

    cash_deposited: float | None = None


def _is_on_grid(value: float, grid: float) -> bool:
    return math.isclose(value / grid, round(value / grid), abs_tol=1e-9)


class _Row:
    """One CSV row being read: typed values, and the problems found on the way."""

    def __init__(self, line: int, row: dict[str, str], origin: str) -> None:
        self.line, self.row, self.origin = line, row, origin
        self.problems: list[Problem] = []

    def problem(self, column: str, rule: str, explain: str) -> None:
        raw = self.row.get(column, "") or ""
        self.problems.append(
            Problem(
                self.line,
                column,
                rule,
                raw,
                f"{self.origin}: row {self.line}, column '{column}': {explain} "
                f"(rule: {rule}; value {raw!r})",
            )
        )

    def text(self, column: str) -> str:
        return (self.row.get(column) or "").strip()

    def number(self, column: str, required: bool, bound_as: str | None = None) -> float | None:
        """A finite number within the bound of `bound_as` (default: the column's own)."""
        raw = self.text(column)
        if not raw:
            if required:
                self.problem(column, "required", "a value is required")
            return None
        try:
            value = float(raw)
        except ValueError:
            self.problem(column, "not_a_number", "not a number")
            return None
        if not math.isfinite(value):
            self.problem(column, "not_finite", "not a finite number")
            return None
        if broken := value_problem(bound_as or column, value):
            self.problem(column, *broken)
            return None
        return value

    def day(self, column: str) -> date | None:
        try:
            return date.fromisoformat(self.text(column))
        except ValueError:
            self.problem(column, "unparseable_date", "not a date in the form YYYY-MM-DD")
            return None

    def position_id(self) -> str:
        position_id = self.row.get("position_id") or ""
        if not position_id.strip():
            self.problem("position_id", "required", "a position id is required")
        elif len(position_id) > MAX_ID_LENGTH:
            self.problem("position_id", "too_long", f"longer than {MAX_ID_LENGTH} characters")
        elif _CONTROL.search(position_id):
            self.problem("position_id", "control_character", "contains a control character")
        elif broken := position_id_problem(position_id):
            self.problem("position_id", *broken)
        return position_id

    def entry_date(self, today: date) -> date | None:
        entry_date = self.day("entry_date")
        if entry_date is not None:
            if entry_date > today:
                self.problem("entry_date", "future_date", f"is after today ({today})")
            elif not calendar.is_trading_day(entry_date):
                self.problem("entry_date", "not_a_trading_day", "is not an NYSE trading day")
        return entry_date


def _parse_row(line: int, row: dict[str, str], today: date, origin: str):
    """A Position from one row of a positions file, or the list of problems that row has."""
    r = _Row(line, row, origin)
    position_id = r.position_id()
    kind = r.text("kind")
    if kind not in KINDS:
        r.problem("kind", "unknown_kind", f"must be one of {', '.join(KINDS)}")

    quantity, broken = parse_quantity(r.text("quantity"))
    if broken:
        r.problem("quantity", *broken)

    expiry, entry_date = r.day("expiry"), r.entry_date(today)
    entry_price = r.number("entry_price", required=True)
    if entry_price is not None and entry_price <= 0:
        r.problem("entry_price", "positive", "must be greater than zero (per unit, index points)")
    if expiry is not None and entry_date is not None and expiry <= entry_date:
        r.problem("expiry", "expiry_before_entry", "is not after the entry date")

    strikes = {}
    if kind == "iron_condor":
        for column in CONDOR_STRIKES:
            strikes[column] = r.number(column, required=True)
            value = strikes[column]
            if value is not None and (value <= 0 or not _is_on_grid(value, SPX_STRIKE_GRID)):
                r.problem(column, "strike_grid", "SPX strikes are positive multiples of 5")
        if r.text("strike"):
            r.problem("strike", "must_be_empty", "an iron condor uses the four wing strikes")
        if None not in strikes.values():
            ordered = [strikes[c] for c in CONDOR_STRIKES]
            if not all(a < b for a, b in zip(ordered, ordered[1:], strict=False)):
                r.problem(
                    "put_short",
                    "strike_order",
                    "strikes must rise: put_long < put_short < call_short < call_long",
                )
            elif entry_price is not None:
                widest = max(ordered[1] - ordered[0], ordered[3] - ordered[2])
                if entry_price >= widest:
                    r.problem(
                        "entry_price",
                        "credit_below_width",
                        f"a condor's credit must be below its widest wing ({widest:g})",
                    )
        if expiry is not None and not calendar.is_trading_day(expiry):
            r.problem("expiry", "not_an_spx_expiry", "SPX options expire on NYSE trading days only")
    elif kind == "vix_call":
        strike = r.number("strike", required=True)
        if strike is not None and (strike <= 0 or not _is_on_grid(strike, VIX_STRIKE_GRID)):
            r.problem("strike", "strike_grid", "VIX strikes are positive multiples of 0.5")
        strikes["strike"] = strike
        for column in CONDOR_STRIKES:
            if r.text(column):
                r.problem(column, "must_be_empty", "a VIX call has one strike, in 'strike'")
        _check_vix_expiry(r, expiry)
        if entry_price is not None and entry_price >= 100:
            r.problem("entry_price", "implausible", "a VIX call premium of 100 points or more")

    if r.problems:
        return r.problems
    return Position(
        position_id=position_id,
        kind=kind,
        expiry=expiry,
        quantity=quantity,
        entry_date=entry_date,
        entry_price=entry_price,
        **strikes,
    )


def _check_vix_expiry(r: _Row, expiry: date | None) -> None:
    if expiry is not None and expiry != calendar.vix_expiry(expiry.year, expiry.month):
        r.problem(
            "expiry",
            "not_a_vix_expiry",
            f"the VIX expiry of {expiry:%Y-%m} is "
            f"{calendar.vix_expiry(expiry.year, expiry.month)} (method §1)",
        )


_OPTION_TYPES = {"C": "C", "CALL": "C", "P": "P", "PUT": "P"}


@dataclass(frozen=True)
class _LegRow:
    line: int
    position_id: str
    leg: Leg
    contracts: int
    entry_date: date
    fees: float


def parse_leg_row(line: int, row: dict[str, str], today: date, origin: str):
    """One leg from a row of a legs file, or the list of problems that row has."""
    r = _Row(line, row, origin)
    position_id = r.position_id()
    root = r.text("root").upper()
    if root not in ROOTS:
        r.problem("root", "unknown_root", f"must be one of {', '.join(ROOTS)}")
    option_type = _OPTION_TYPES.get(r.text("type").upper())
    if option_type is None:
        r.problem("type", "unknown_type", "must be C (call) or P (put)")
    # a legs file's strike is an SPX or a VIX strike: bounded as the positions file bounds each
    strike = r.number("strike", required=True, bound_as="strike" if root == "VIX" else "put_long")
    grid = VIX_STRIKE_GRID if root == "VIX" else SPX_STRIKE_GRID
    if strike is not None and (strike <= 0 or not _is_on_grid(strike, grid)):
        r.problem(
            "strike", "strike_grid", f"{root or 'the'} strikes are positive multiples of {grid:g}"
        )
    expiry, entry_date = r.day("expiry"), r.entry_date(today)
    if expiry is not None:
        if root == "VIX":
            _check_vix_expiry(r, expiry)
        elif root == "SPX" and expiry != calendar.spx_monthly_expiry(expiry.year, expiry.month):
            r.problem(
                "expiry",
                "not_an_spx_monthly_expiry",
                f"SPX (AM-settled) options expire on the monthly expiry, "
                f"{calendar.spx_monthly_expiry(expiry.year, expiry.month)} in {expiry:%Y-%m}; "
                "weeklies are root SPXW",
            )
        elif root == "SPXW" and not calendar.is_trading_day(expiry):
            r.problem("expiry", "not_an_spx_expiry", "SPXW options expire on NYSE trading days")
    if expiry is not None and entry_date is not None and expiry <= entry_date:
        r.problem("expiry", "expiry_before_entry", "is not after the entry date")
    quantity_text = r.text("quantity")
    contracts = None
    if not re.fullmatch(r"[+-]?\d{1,7}", quantity_text) or int(quantity_text) == 0:
        r.problem(
            "quantity", "nonzero_integer", "must be a whole number of contracts, + long, − short"
        )
    elif abs(int(quantity_text)) > MAX_QUANTITY:
        r.problem("quantity", "quantity_limit", f"more than {MAX_QUANTITY:,} contracts in a leg")
    else:
        contracts = int(quantity_text)
    price = r.number("price", required=True, bound_as="entry_price")
    if price is not None and not 0 <= price < (100 if root == "VIX" else 1000):
        r.problem("price", "implausible", "a fill per contract from 0 to under 1,000 points")
    fees = r.number("fees", required=False) or 0.0
    if fees < 0:
        r.problem("fees", "non_negative", "fees are dollars paid, zero or more")
    if r.problems:
        return r.problems
    leg = Leg(root, option_type, strike, expiry, contracts, entry_price=price)
    return _LegRow(line, position_id, leg, contracts, entry_date, fees)


def position_from_legs(rows: list[_LegRow], origin: str):
    """A Position from the legs of one id, or the problems of the group."""
    first = rows[0]
    problems = []

    def group_problem(row: _LegRow, column: str, rule: str, explain: str) -> None:
        problems.append(
            Problem(
                row.line,
                column,
                rule,
                row.position_id,
                f"{origin}: row {row.line}, column '{column}': {explain} "
                f"(rule: {rule}; position {row.position_id!r})",
            )
        )

    seen = {}
    for row in rows:
        if row.leg.root != first.leg.root:
            group_problem(
                row,
                "root",
                "one_root",
                f"a position holds one root (row {first.line}: "
                f"{first.leg.root}); SPX and SPXW legs are separate positions",
            )
        elif row.leg.expiry != first.leg.expiry:
            group_problem(
                row,
                "expiry",
                "one_expiry",
                f"a position's legs share one expiry (row "
                f"{first.line}: {first.leg.expiry}); a calendar is two positions",
            )
        if row.entry_date != first.entry_date:
            group_problem(
                row,
                "entry_date",
                "one_entry_date",
                f"a position opens on one day (row "
                f"{first.line}: {first.entry_date}); a later fill is a trade of its own",
            )
        key = (row.leg.option_type, row.leg.strike)
        if key in seen:
            group_problem(
                row,
                "strike",
                "duplicate_leg",
                f"the same option as row {seen[key]}; give one leg its net quantity",
            )
        seen.setdefault(key, row.line)
    if problems:
        return problems
    units, quantity = units_and_quantity([row.contracts for row in rows])
    legs = tuple(
        Leg(r.leg.root, r.leg.option_type, r.leg.strike, r.leg.expiry, u, "", r.leg.entry_price)
        for r, u in zip(rows, units, strict=True)
    )
    net = round(sum(r.contracts * r.leg.entry_price for r in rows) / quantity, 10)
    kind = recognise_kind(legs)
    position = Position(
        position_id=first.position_id,
        kind=kind,
        expiry=first.leg.expiry,
        quantity=quantity,
        entry_date=first.entry_date,
        entry_price=abs(net),
        legs=legs,
        entry_side="credit" if net < 0 else "debit",
    )
    return position, sum(r.fees for r in rows)


def _read_csv(path: Path):
    """(header, rows) of a CSV file, or a list with the one problem that refuses it."""
    origin = str(path)
    try:
        content = read_book_bytes(path).decode("utf-8-sig")
    except FileNotFoundError as exc:
        raise BadInputError(f"{origin}: no such file") from exc
    except FileTooLarge as exc:
        return [Problem(0, "", "file_too_large", "", f"{origin}: {exc} (rule: file_too_large)")]
    except OSError as exc:
        raise BadInputError(f"{origin}: cannot be read as a book file ({exc.strerror})") from exc
    except UnicodeDecodeError:
        return [Problem(0, "", "not_utf8", "", f"{origin}: not a UTF-8 text file (rule: not_utf8)")]
    try:
        reader = csv.DictReader(io.StringIO(content, newline=""), strict=True)
        header = [name.strip() for name in (reader.fieldnames or [])]
        reader.fieldnames = header
        return header, list(reader)
    except csv.Error as exc:
        return [Problem(0, "", "not_csv", "", f"{origin}: not a CSV file: {exc} (rule: not_csv)")]


def _extra_cells(origin: str, line: int) -> Problem:
    return Problem(
        line,
        "",
        "extra_cells",
        "",
        f"{origin}: row {line}: more cells than the header has columns (rule: extra_cells)",
    )


def _parse(path: Path, today: date) -> tuple[list[Position], dict[str, float], list[Problem]]:
    """Positions of a book file of either format, their entry fees, and the problems."""
    origin = str(path)
    read = _read_csv(path)
    if isinstance(read, list):
        return [], {}, read
    header, rows = read
    legs_file = "root" in header
    columns = LEGS_COLUMNS if legs_file else BOOK_COLUMNS
    missing = [c for c in columns if c not in header]
    if missing:
        return (
            [],
            {},
            [
                Problem(
                    1,
                    missing[0],
                    "missing_column",
                    "",
                    f"{origin}: row 1: missing column(s) {', '.join(missing)} "
                    "(rule: missing_column)",
                )
            ],
        )
    if not rows:
        return [], {}, [Problem(1, "", "empty", "", f"{origin}: no positions (rule: empty)")]
    if legs_file:
        return _parse_legs(rows, today, origin)
    positions, problems = [], []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        line = index + 2
        if None in row:  # more cells than the header names
            problems.append(_extra_cells(origin, line))
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
    return positions, dict.fromkeys((p.position_id for p in positions), 0.0), problems


def _parse_legs(rows, today: date, origin: str):
    groups: dict[str, list[_LegRow]] = defaultdict(list)
    problems: list[Problem] = []
    for index, row in enumerate(rows):
        line = index + 2
        if None in row:
            problems.append(_extra_cells(origin, line))
            continue
        parsed = parse_leg_row(line, row, today, origin)
        if isinstance(parsed, list):
            problems.extend(parsed)
        else:
            groups[parsed.position_id].append(parsed)
    positions, fees = [], {}
    for group in groups.values():
        built = position_from_legs(group, origin)
        if isinstance(built, list):
            problems.extend(built)
            continue
        position, fee = built
        positions.append(position)
        fees[position.position_id] = fee
    return positions, fees, problems


def parse_book_file(path: Path, today: date) -> tuple[list[Position], list[Problem]]:
    """All positions of a book file (either format), or the problems that refuse it."""
    positions, _, problems = _parse(path, today)
    return positions, problems


def _signature(p: Position) -> tuple:
    """What makes two records the same position (importing a file twice changes nothing)."""
    legs = sorted((leg.root, leg.option_type, leg.strike, leg.expiry, leg.units) for leg in p.legs)
    return (
        p.kind,
        p.expiry,
        p.quantity,
        p.entry_date,
        round(p.entry_price, 9),
        p.entry_side,
        tuple(legs),
    )


def import_book(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    today: date,
    source: str | None = None,
    opening_cash: float | None = None,
    cash_date: date | None = None,
) -> ImportReport:
    """Validate and store a book file, all or nothing; raises BadInputError when refused.

    A position already in the warehouse with the same id must be identical (importing the same
    file twice changes nothing); a different position under a known id is refused, since
    rewriting a position would rewrite its history. `opening_cash` deposits the book's cash on
    `cash_date` (default: the file's first entry date), once.
    """
    import_id = f"book-{datetime.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    sql = read_sql_statements("book/import.sql")
    positions, fees, problems = _parse(path, today)
    stored = positions_by_id(con, [p.position_id for p in positions]) if not problems else {}
    if not problems:
        problems = _conflicts(positions, stored, str(path))
    if problems:
        _record_refusal(con, import_id, str(path), recorded_problems(problems), sql)
        shown = "\n  ".join(p.message for p in recorded_problems(problems[:20]))
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise BadInputError(
            f"book file refused, nothing imported ({len(problems)} problem(s)):\n  {shown}{more}"
        )
    fresh = [p for p in positions if p.position_id not in stored]
    deposited = None
    with transaction(con):
        for position in fresh:
            write_open(
                con,
                position,
                source=source or str(path),
                import_id=import_id,
                fees=fees[position.position_id],
                cash_entry_id=f"premium:{position.position_id}",
                cash_kind_name=cash_kind(position, "premium"),
                note=(
                    f"entry premium, {position.quantity} × {position.entry_price} × 100"
                    + (
                        f", fees {fees[position.position_id]:.2f}"
                        if fees[position.position_id]
                        else ""
                    )
                ),
            )
        if opening_cash is not None:
            first = min((p.entry_date for p in positions), default=today)
            deposited = deposit_opening_cash(con, opening_cash, cash_date or first, str(path))
        con.execute(
            sql["record_import"],
            {
                "import_id": import_id,
                "file": str(path),
                "imported_at": datetime.now(),
                "status": "imported",
                "inserted": len(fresh),
                "unchanged": len(positions) - len(fresh),
                "rejected": 0,
            },
        )
    return ImportReport(import_id, str(path), len(fresh), len(positions) - len(fresh), deposited)


OPENING_CASH_ID = "deposit:opening"


def deposit_opening_cash(con, amount: float, on: date, origin: str) -> float | None:
    """The book's opening cash, once: the same amount and day again changes nothing (returns
    None); a different one is refused (a later deposit is `alvh cash deposit`)."""
    if not (math.isfinite(amount) and amount > 0):
        raise UsageError(f"--cash must be a positive number of dollars, not {amount}")
    if not calendar.is_trading_day(on):
        raise UsageError(f"the opening cash's date {on} is not an NYSE trading day")
    rows = con.execute(
        "SELECT entry_date, amount FROM cash_ledger WHERE entry_id = ?", [OPENING_CASH_ID]
    ).fetchall()
    if rows:
        if rows[0][0] == on and math.isclose(rows[0][1], amount, abs_tol=0.005):
            return None
        raise UsageError(
            f"the book already has opening cash (${rows[0][1]:,.2f} on {rows[0][0]}); record "
            "more with 'alvh cash deposit AMOUNT --date D'"
        )
    write_trade(
        con,
        Trade(
            trade_id=f"cash:{OPENING_CASH_ID}",
            trade_date=on,
            action="deposit",
            source=origin,
            cash=float(amount),
            cash_kind="deposit",
            cash_entry_id=OPENING_CASH_ID,
            note="opening cash of the book",
        ),
    )
    return float(amount)


def _conflicts(
    positions: list[Position], stored: dict[str, Position], origin: str
) -> list[Problem]:
    problems = []
    for p in positions:
        known = stored.get(p.position_id)
        if known is not None and _signature(known) != _signature(p):
            problems.append(
                Problem(
                    0,
                    "position_id",
                    "conflicts_with_book",
                    p.position_id,
                    f"{origin}: position {p.position_id!r}, column 'position_id': a different "
                    "position with this id is already in the book (rule: conflicts_with_book; "
                    f"value {p.position_id!r})",
                )
            )
    return problems


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


def positions_from_rows(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> list[Position]:
    """Positions from their stored rows (the `positions` columns and `entry_side`) with their
    stored legs, in the rows' order."""
    if rows.empty:
        return []
    ids = rows["position_id"].tolist()
    leg_rows = con.execute(read_sql_statements("book/import.sql")["legs_of"], {"ids": ids}).df()
    legs: dict[str, list[Leg]] = defaultdict(list)
    for leg in leg_rows.itertuples(index=False):
        price = None if pd.isna(leg.entry_price) else float(leg.entry_price)
        legs[leg.position_id].append(
            Leg(
                leg.root,
                leg.option_type,
                float(leg.strike),
                pd.Timestamp(leg.expiry).date(),
                int(leg.units),
                leg.leg,
                price,
            )
        )
    positions = []
    for row in rows.to_dict("records"):
        values = {
            k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()
        }
        for key in ("expiry", "entry_date"):
            values[key] = pd.Timestamp(values[key]).date()
        values["quantity"] = int(values["quantity"])
        positions.append(Position(**values, legs=tuple(legs[values["position_id"]])))
    return positions


def open_positions(con: duckdb.DuckDBPyConnection, as_of: date) -> list[Position]:
    """Positions open at `as_of`'s close: entered on or before it, not yet expired or closed,
    with the quantity still open."""
    rows = con.execute(
        read_sql_statements("book/import.sql")["open_positions"], {"as_of": as_of}
    ).df()
    return positions_from_rows(con, rows)


def positions_by_id(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, Position]:
    """Stored positions among `ids` with their full (opening) quantity."""
    if not ids:
        return {}
    rows = con.execute(
        read_sql_statements("book/import.sql")["positions_by_id"], {"ids": list(ids)}
    ).df()
    return {p.position_id: p for p in positions_from_rows(con, rows)}


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
    return import_book(
        con, sample_book_path(), today, source="sample book", opening_cash=SAMPLE_BOOK_DEPOSIT
    )
