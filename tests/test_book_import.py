"""`alvh book import`: one bad row refuses the whole file, naming row, column and rule."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from alvh.book.positions import BOOK_COLUMNS, import_book, open_positions
from alvh.core.errors import BadInputError
from alvh.store.warehouse import open_warehouse

TODAY = date(2026, 11, 25)
HEADER = ",".join(BOOK_COLUMNS)
CONDOR = "IC-SEP,iron_condor,2026-09-18,10,2026-08-21,6.40,7200,7250,7950,8000,"
CALL = "VX-SEP-22,vix_call,2026-09-16,20,2026-08-21,0.95,,,,,22"
HOSTILE_IDS = ("<script>alert(1)</script>", "Robert'); DROP TABLE positions;--", "ünï©ødé ☃")


def write_book(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "book.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def con(tmp_path):
    connection = open_warehouse(tmp_path / "alvh.duckdb")
    yield connection
    connection.close()


def test_a_good_file_imports_and_moves_cash(con, tmp_path):
    report = import_book(con, write_book(tmp_path, CONDOR, CALL), TODAY)
    assert (report.inserted, report.unchanged) == (2, 0)
    positions = {p.position_id: p for p in open_positions(con, date(2026, 9, 1))}
    condor = positions["IC-SEP"]
    assert condor.max_loss() == pytest.approx((50 - 6.40) * 100 * 10)
    assert condor.breakevens() == pytest.approx((7250 - 6.40, 7950 + 6.40))
    cash = dict(con.execute("SELECT position_id, amount FROM cash_ledger").fetchall())
    assert cash == pytest.approx({"IC-SEP": 6400.0, "VX-SEP-22": -1900.0})


def test_importing_the_same_file_twice_changes_nothing(con, tmp_path):
    path = write_book(tmp_path, CONDOR, CALL)
    import_book(con, path, TODAY)
    again = import_book(con, path, TODAY)
    assert (again.inserted, again.unchanged) == (0, 2)
    assert con.execute("SELECT count(*) FROM cash_ledger").fetchall()[0][0] == 2


def test_positions_are_open_only_between_entry_and_expiry(con, tmp_path):
    import_book(con, write_book(tmp_path, CONDOR, CALL), TODAY)
    assert open_positions(con, date(2026, 8, 20)) == []
    assert {p.position_id for p in open_positions(con, date(2026, 9, 17))} == {"IC-SEP"}
    assert open_positions(con, date(2026, 9, 21)) == []


BAD_ROWS = [
    (
        "IC-X,iron_condor,2026-09-18,10,2026-08-21,6.40,7250,7200,7950,8000,",
        "strike_order",
        "put_short",
    ),
    (
        "IC-X,iron_condor,2026-09-18,10,2026-08-21,6.40,7201,7250,7950,8000,",
        "strike_grid",
        "put_long",
    ),
    (
        "IC-X,iron_condor,2026-09-18,0,2026-08-21,6.40,7200,7250,7950,8000,",
        "positive_integer",
        "quantity",
    ),
    (
        "IC-X,iron_condor,2026-09-18,-3,2026-08-21,6.40,7200,7250,7950,8000,",
        "positive_integer",
        "quantity",
    ),
    (
        "IC-X,iron_condor,2026-09-18,2.5,2026-08-21,6.40,7200,7250,7950,8000,",
        "positive_integer",
        "quantity",
    ),
    (
        "IC-X,iron_condor,2026-09-19,10,2026-08-21,6.40,7200,7250,7950,8000,",
        "not_an_spx_expiry",
        "expiry",
    ),
    (
        "IC-X,iron_condor,2026-09-18,10,2026-08-21,55,7200,7250,7950,8000,",
        "credit_below_width",
        "entry_price",
    ),
    (
        "IC-X,iron_condor,2026-09-18,10,2026-08-21,-1,7200,7250,7950,8000,",
        "positive",
        "entry_price",
    ),
    (
        "IC-X,iron_condor,2026-09-18,10,2026-08-21,nan,7200,7250,7950,8000,",
        "not_finite",
        "entry_price",
    ),
    (
        "IC-X,iron_condor,2026-08-14,10,2026-08-21,6.40,7200,7250,7950,8000,",
        "expiry_before_entry",
        "expiry",
    ),
    (
        "IC-X,iron_condor,2026-12-18,10,2026-12-01,6.40,7200,7250,7950,8000,",
        "future_date",
        "entry_date",
    ),
    (
        "IC-X,iron_condor,2026-09-18,10,2026-08-22,6.40,7200,7250,7950,8000,",
        "not_a_trading_day",
        "entry_date",
    ),
    (
        "IC-X,iron_condor,2026-09-18,10,21/08/2026,6.40,7200,7250,7950,8000,",
        "unparseable_date",
        "entry_date",
    ),
    (
        "IC-X,iron_condor,2026-09-18,10,2026-08-21,6.40,7200,7250,7950,8000,25",
        "must_be_empty",
        "strike",
    ),
    ("IC-X,iron_condor,2026-09-18,10,2026-08-21,6.40,,7250,7950,8000,", "required", "put_long"),
    ("IC-X,strangle,2026-09-18,10,2026-08-21,6.40,7200,7250,7950,8000,", "unknown_kind", "kind"),
    ("VX-X,vix_call,2026-09-17,20,2026-08-21,0.95,,,,,22", "not_a_vix_expiry", "expiry"),
    ("VX-X,vix_call,2026-09-16,20,2026-08-21,0.95,,,,,22.3", "strike_grid", "strike"),
    ("VX-X,vix_call,2026-09-16,20,2026-08-21,0.95,,,,,", "required", "strike"),
    ("VX-X,vix_call,2026-09-16,20,2026-08-21,0.95,7200,,,,22", "must_be_empty", "put_long"),
    (",vix_call,2026-09-16,20,2026-08-21,0.95,,,,,22", "required", "position_id"),
    ("bad\x07id,vix_call,2026-09-16,20,2026-08-21,0.95,,,,,22", "control_character", "position_id"),
]


@pytest.mark.parametrize(("row", "rule", "column"), BAD_ROWS)
def test_one_bad_row_refuses_the_whole_file(con, tmp_path, row, rule, column):
    path = write_book(tmp_path, CONDOR, row, CALL)
    with pytest.raises(BadInputError) as refused:
        import_book(con, path, TODAY)
    message = str(refused.value)
    assert f"row 3, column '{column}'" in message and f"rule: {rule}" in message
    assert str(path) in message
    assert con.execute("SELECT count(*) FROM positions").fetchall()[0][0] == 0
    assert con.execute("SELECT count(*) FROM cash_ledger").fetchall()[0][0] == 0
    recorded = con.execute(
        "SELECT line, column_name, rule FROM rejected_rows WHERE item = 'BOOK_IMPORT'"
    ).fetchall()
    assert (3, column, rule) in recorded
    assert con.execute("SELECT status FROM book_imports").fetchall() == [("refused",)]


def test_a_refused_file_leaves_the_existing_book_alone(con, tmp_path):
    import_book(con, write_book(tmp_path, CONDOR), TODAY)
    bad = write_book(tmp_path, CALL, BAD_ROWS[0][0])
    with pytest.raises(BadInputError):
        import_book(con, bad, TODAY)
    assert [p.position_id for p in open_positions(con, date(2026, 9, 1))] == ["IC-SEP"]


def test_duplicate_ids_and_conflicting_ids_are_refused(con, tmp_path):
    with pytest.raises(BadInputError, match="rule: duplicate_id"):
        import_book(con, write_book(tmp_path, CONDOR, CONDOR), TODAY)
    import_book(con, write_book(tmp_path, CONDOR), TODAY)
    changed = CONDOR.replace(",10,", ",12,")
    with pytest.raises(BadInputError, match="rule: conflicts_with_book"):
        import_book(con, write_book(tmp_path, changed), TODAY)


def test_missing_columns_and_non_csv_files_are_refused(con, tmp_path):
    with pytest.raises(BadInputError, match="missing column.*strike.*rule: missing_column"):
        import_book(
            con, write_book(tmp_path, CONDOR[:-1], header=HEADER.replace(",strike", "")), TODAY
        )
    binary = tmp_path / "book.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00binary")
    with pytest.raises(BadInputError, match="rule: not_utf8"):
        import_book(con, binary, TODAY)
    with pytest.raises(BadInputError, match="rule: empty"):
        import_book(con, write_book(tmp_path), TODAY)


def test_extra_columns_are_ignored(con, tmp_path):
    path = write_book(tmp_path, CONDOR + ",note here", header=HEADER + ",comment")
    assert import_book(con, path, TODAY).inserted == 1


@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_hostile_ids_are_stored_verbatim(con, tmp_path, hostile):
    row = CALL.replace("VX-SEP-22", f'"{hostile}"')
    import_book(con, write_book(tmp_path, row), TODAY)
    stored = con.execute("SELECT position_id FROM positions").fetchall()
    assert stored == [(hostile,)]
    assert con.execute("SELECT count(*) FROM rejected_rows").fetchall()[0][0] == 0
