"""Quote importers (issue 11, item 1): every format and header generation on a trimmed real
slice (tests/fixtures/option_chains/PROVENANCE.md), the close-or-intraday decision, every
bad-quote rule, and storing per as_of with idempotent re-import."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from alvh.core.errors import BadInputError, UsageError
from alvh.data.quotes import QuoteFileError, read_quotes
from alvh.data.quotes.cboe_quote_table import parse_download_time
from alvh.data.quotes.importer import import_quotes
from alvh.data.quotes.rules import check_quotes, listed_expiry
from alvh.data.quotes.session_time import quote_session
from alvh.store.warehouse import open_warehouse

FIXTURES = Path(__file__).parent / "fixtures" / "option_chains"
TODAY = date(2026, 12, 3)
TABLE_2023 = FIXTURES / "cboe_quote_table_spx_2023-09-01_cut.csv"
TABLE_2011 = FIXTURES / "cboe_quote_table_spx_2011-01-24_intraday-1403_cut.csv"
VIX_EOD = FIXTURES / "datashop_eod_quotes_vix_2016-06-01_cut.csv"
GENERIC = FIXTURES / "generic_spxw_2023-09-01.csv"
SIDE_BY_SIDE = FIXTURES / "chain_spxw_2025-09-03_time-unknown_cut.csv"


@pytest.fixture
def con(tmp_path):
    connection = open_warehouse(tmp_path / "alvh.duckdb")
    yield connection
    connection.close()


def quote(frame: pd.DataFrame, root: str, expiry: str, strike: float, kind: str) -> pd.Series:
    rows = frame[
        (frame["root"] == root)
        & (frame["expiry"] == pd.Timestamp(expiry))
        & (frame["strike"] == strike)
        & (frame["type"] == kind)
    ]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# --- one test per format and header generation: the file's own numbers come back -------------

FORMATS = [
    # file, format, timing, session, (root, expiry, strike, type, bid, ask, underlying) as the
    # file's own line shows them
    (
        TABLE_2023,
        "cboe-quote-table",
        "close",
        date(2023, 9, 1),
        ("SPXW", "2023-09-11", 4500.0, "P", 17.8, 18.1, 4515.77),
    ),
    (
        FIXTURES / "cboe_quote_table_spx_2020-09-04_cut.dat",
        "cboe-quote-table",
        "close",
        date(2020, 9, 4),
        ("SPXW", "2020-09-18", 3105.0, "P", 12.8, 13.6, 3426.96),
    ),
    (
        FIXTURES / "cboe_quote_table_spx_2022-01-07_cut.csv",
        "cboe-quote-table",
        "close",
        date(2022, 1, 7),
        ("SPXW", "2022-01-21", 4405.0, "C", 277.0, 279.9, 4677.0298),
    ),
    (
        FIXTURES / "cboe_quote_table_spx_2023-04-14_cut.csv",
        "cboe-quote-table",
        "close",
        date(2023, 4, 14),
        ("SPXW", "2023-05-19", 3800.0, "P", 10.9, 11.2, 4137.6401),
    ),
    (
        TABLE_2011,
        "cboe-quote-table",
        "intraday",
        date(2011, 1, 24),
        # SPX1119B1300: formally Saturday 2011-02-19; the Friday is the last trading day
        ("SPX", "2011-02-18", 1300.0, "P", 23.5, 25.6, 1290.59),
    ),
    (
        VIX_EOD,
        "datashop",
        "close",
        date(2016, 6, 1),
        ("VIX", "2016-07-20", 13.0, "C", 4.5, 4.7, 14.65),
    ),
    (
        FIXTURES / "datashop_eod_calcs_vix_2016-06-01_cut.csv",
        "datashop",
        "close",
        date(2016, 6, 1),
        ("VIX", "2016-07-20", 20.0, "P", 3.7, 3.9, 14.2),
    ),
    (
        FIXTURES / "datashop_1545_spxw_2019-06-26_cut.csv",
        "datashop",
        "intraday",
        date(2019, 6, 26),
        ("SPXW", "2019-08-16", 2700.0, "C", 234.5, 236.4, 2918.11),
    ),
    (
        FIXTURES / "hod_l2_spxw_2018-02-02_to_2018-02-05_cut.csv",
        "hod-l2",
        "close",
        None,
        ("SPXW", "2018-02-28", 2850.0, "P", 210.0, 233.9, 2648.98),
    ),
    (
        GENERIC,
        "generic",
        "close",
        date(2023, 9, 1),
        ("SPXW", "2023-09-29", 4400.0, "P", 20.7, 20.9, 4515.77),
    ),
]


@pytest.mark.parametrize(("path", "fmt", "timing", "session", "probe"), FORMATS)
def test_every_format_reads_its_real_slice(path, fmt, timing, session, probe):
    quotes = read_quotes(path, root="SPXW")
    assert quotes.format == fmt
    assert quotes.timing == timing and quotes.session == session
    frame = quotes.frame
    assert set(frame["type"]) == {"C", "P"}
    assert frame[["as_of", "expiry", "strike", "bid", "ask"]].notna().all().all()
    root, expiry, strike, kind, bid, ask, underlying = probe
    last_day = frame["as_of"] == frame["as_of"].max()
    row = quote(frame[last_day], root, expiry, strike, kind)
    assert (row["bid"], row["ask"]) == (bid, ask)
    assert row["underlying"] == pytest.approx(underlying)
    # The line a message names is the line the quote is on in the file.
    line = path.read_text(encoding="utf-8-sig").splitlines()[int(row["line"]) - 1]
    cells = [float(c) for c in line.split(",") if c.strip().replace(".", "", 1).isdigit()]
    assert bid in cells and ask in cells and re.search(rf"\b{strike:g}(\.0+)?\b", line)


def test_both_sides_of_a_quote_table_row_are_read_with_their_own_prices():
    frame = read_quotes(TABLE_2023).frame
    call = quote(frame, "SPXW", "2023-09-11", 4500.0, "C")
    put = quote(frame, "SPXW", "2023-09-11", 4500.0, "P")
    # Mon Sep 11 2023,SPXW230911C04500000,36.66,0.14,32.2,32.6,...,4500.00,...,17.8,18.1,...
    assert (call["bid"], call["ask"], put["bid"], put["ask"]) == (32.2, 32.6, 17.8, 18.1)
    assert call["line"] == put["line"]
    assert {"SPX", "SPXW"} <= set(frame["root"])


def test_the_multi_day_file_keeps_each_rows_own_date():
    quotes = read_quotes(FIXTURES / "hod_l2_spxw_2018-02-02_to_2018-02-05_cut.csv")
    assert quotes.as_of_dates == [date(2018, 2, 2), date(2018, 2, 5)]


def test_a_file_without_a_root_column_needs_the_root_named():
    with pytest.raises(QuoteFileError, match="root"):
        read_quotes(FIXTURES / "datashop_1545_spxw_2019-06-26_cut.csv")


def test_an_unknown_layout_is_refused_as_a_whole(tmp_path):
    path = tmp_path / "chain.csv"
    path.write_text("Date,ExpDate,Strike,CallBid\n2025-09-03,2025-09-04,2600,3838.6\n")
    with pytest.raises(QuoteFileError, match="unknown_format"):
        read_quotes(path)


# --- when the quotes were taken ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("Date: September 4, 2023 at 2:56 PM EDT", datetime(2023, 9, 4, 14, 56)),
        ("Jan 24 2011 @ 14:03 ET", datetime(2011, 1, 24, 14, 3)),
        ("Sep 04 2020 @ 20:49 ET", datetime(2020, 9, 4, 20, 49)),
        ("Date: January 9, 2022, 3:11 AM EST", datetime(2022, 1, 9, 3, 11)),
        ("Date: February 5 2022, 8:09 PM EST", datetime(2022, 2, 5, 20, 9)),
        ("Date: 14 April 2023, 19:12 UTC−4", datetime(2023, 4, 14, 19, 12)),
        ("Date: 14 April 2023, 23:12 UTC+0", datetime(2023, 4, 14, 19, 12)),
        ("Date: 6 May 2023, 8:40 PM EDT", datetime(2023, 5, 6, 20, 40)),
    ],
)
def test_download_times_of_every_header_generation(text, moment):
    assert parse_download_time(text, "f", 2) == moment


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Labor Day afternoon: no session since Friday's close, and the overnight opens at 20:15.
        (datetime(2023, 9, 4, 14, 56), ("close", date(2023, 9, 1))),
        (datetime(2023, 9, 4, 20, 30), ("overnight", date(2023, 9, 5))),
        (datetime(2011, 1, 24, 14, 3), ("intraday", date(2011, 1, 24))),
        (datetime(2022, 1, 9, 3, 11), ("close", date(2022, 1, 7))),  # Sunday before 20:15
        (datetime(2023, 5, 3, 21, 0), ("overnight", date(2023, 5, 4))),  # Wednesday evening
        (datetime(2020, 9, 2, 21, 0), ("close", date(2020, 9, 2))),  # no evening session in 2020
        (datetime(2020, 9, 3, 5, 0), ("overnight", date(2020, 9, 3))),  # early GTH then
        (datetime(2023, 4, 14, 16, 10), ("intraday", date(2023, 4, 14))),  # before 16:15
        (datetime(2023, 4, 14, 16, 15), ("close", date(2023, 4, 14))),
    ],
)
def test_which_session_a_download_holds(moment, expected):
    assert quote_session(moment) == expected


def test_an_intraday_download_is_refused_for_a_close_unless_asked(con):
    with pytest.raises(BadInputError, match=r"14:03 ET.*rule: not_a_close"):
        import_quotes(con, TABLE_2011, TODAY)
    with pytest.raises(UsageError, match="--as-of"):
        import_quotes(con, TABLE_2011, TODAY, intraday=True)
    with pytest.raises(UsageError, match="does not match"):
        import_quotes(con, TABLE_2011, TODAY, intraday=True, as_of=date(2011, 1, 21))
    assert con.execute("SELECT count(*) FROM option_quotes").fetchone() == (0,)
    done = import_quotes(con, TABLE_2011, TODAY, intraday=True, as_of=date(2011, 1, 24))
    assert done.timing == "intraday" and done.inserted == 220 and done.exit_code == 0
    stored = con.execute("SELECT DISTINCT as_of, timing FROM option_quotes").fetchall()
    assert stored == [(date(2011, 1, 24), "intraday")]


def test_the_holiday_download_is_stored_as_the_previous_close(con):
    done = import_quotes(con, TABLE_2023, TODAY)
    assert done.as_of_dates == [date(2023, 9, 1)]
    with pytest.raises(UsageError, match="close of 2023-09-01"):
        import_quotes(con, TABLE_2023, TODAY, as_of=date(2023, 9, 5))


# --- the bad-quote rules, each on the real slice with one cell broken --------------------------


def broken(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / source.name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


GENERIC_ROW = "2023-09-01,SPXW,2023-09-29,4400.00,P,20.7,20.9,4515.77"


@pytest.mark.parametrize(
    ("new_row", "column", "rule"),
    [
        ("2023-09-01,SPXW,2023-09-29,4400.00,P,21.7,20.9,4515.77", "bid", "crossed_quote"),
        ("2023-09-01,SPXW,2023-09-29,4400.00,P,-0.5,20.9,4515.77", "bid", "negative_price"),
        ("2023-09-01,SPXW,2023-09-29,4400.00,P,20.7,-1,4515.77", "ask", "negative_price"),
        ("2023-09-01,SPXW,2023-09-29,4402.50,P,20.7,20.9,4515.77", "strike", "off_grid_strike"),
        ("2023-09-01,SPX,2023-09-29,4400.00,P,20.7,20.9,4515.77", "expiry", "not_listed_expiry"),
        ("2023-09-01,SPXW,2023-09-30,4400.00,P,20.7,20.9,4515.77", "expiry", "not_listed_expiry"),
        ("2023-09-01,SPXW,2023-08-31,4400.00,P,20.7,20.9,4515.77", "expiry", "expired"),
        ("2023-09-01,NDX,2023-09-29,4400.00,P,20.7,20.9,4515.77", "root", "unknown_root"),
        ("2027-09-01,SPXW,2027-09-29,4400.00,P,20.7,20.9,4515.77", "as_of", "future_date"),
        ("2023-09-02,SPXW,2023-09-29,4400.00,P,20.7,20.9,4515.77", "as_of", "not_a_session"),
        ("2023-09-01,SPXW,2023-09-29,4400.00,X,20.7,20.9,4515.77", "type", "unparseable_type"),
        ("2023-09-01,SPXW,29/09/2023,4400.00,P,20.7,20.9,4515.77", "expiry", "unparseable_date"),
        ("2023-09-01,SPXW,2023-09-29,4400.00,P,n/a,20.9,4515.77", "bid", "not_a_number"),
    ],
)
def test_each_rule_quarantines_the_row_naming_file_row_column_and_rule(
    con, tmp_path, new_row, column, rule
):
    path = broken(tmp_path, GENERIC, GENERIC_ROW, new_row)
    done = import_quotes(con, path, TODAY)
    assert done.exit_code == 3 and done.rejected == 1
    (message,) = done.messages
    assert message.startswith(f"{path}: row 3, column '{column}'") and f"rule: {rule}" in message
    stored = con.execute(
        "SELECT line, column_name, rule, item FROM rejected_rows WHERE run_id = ?",
        [done.import_id],
    ).fetchall()
    assert stored == [(3, column, rule, "OPTION_QUOTES")]
    # the other 17 rows of the file are stored
    assert con.execute("SELECT count(*) FROM option_quotes").fetchone() == (17,)


def test_duplicate_rows_are_all_quarantined(con, tmp_path):
    path = broken(tmp_path, GENERIC, GENERIC_ROW, GENERIC_ROW + "\n" + GENERIC_ROW)
    done = import_quotes(con, path, TODAY)
    assert done.rejected == 2
    assert {m.split(",")[0] for m in done.messages} == {f"{path}: row 3", f"{path}: row 4"}
    assert all("rule: duplicate_quote" in m for m in done.messages)


def test_a_zero_bid_is_kept_and_flagged(con, tmp_path):
    path = broken(tmp_path, GENERIC, GENERIC_ROW, GENERIC_ROW.replace(",20.7,", ",0,"))
    done = import_quotes(con, path, TODAY)
    assert done.rejected == 0 and done.zero_bid == 1 and done.inserted == 18
    flagged = con.execute("SELECT strike, option_type FROM option_quotes WHERE zero_bid").fetchall()
    assert flagged == [(4400.0, "P")]


def test_real_bad_rows_of_the_downloads_are_caught():
    off_grid = check_quotes(read_quotes(TABLE_2023), TODAY).rejected
    # Mon Sep 11 2023,SPXW230911C04221000,...,4221.00,...: a strike SPXW does not list
    assert set(off_grid["rule"]) == {"off_grid_strike"} and set(off_grid["raw_value"]) == {
        "4221.00"
    }
    assert list(off_grid["line"]) == [6, 6]
    unknown = check_quotes(read_quotes(VIX_EOD), TODAY).rejected
    assert set(unknown["rule"]) == {"unknown_root"} and set(unknown["raw_value"]) == {"BVZ"}
    assert len(unknown) == 76


def test_a_crossed_quote_in_the_quote_table_names_its_side(con, tmp_path):
    row = "Mon Sep 11 2023,SPXW230911C04500000,36.66,0.14,32.2,32.6,"
    path = broken(tmp_path, TABLE_2023, row, row.replace("32.2,32.6", "32.9,32.6"))
    rejected = check_quotes(read_quotes(path), TODAY).rejected
    crossed = rejected[rejected["rule"] == "crossed_quote"]
    assert len(crossed) == 1 and "row 25, column 'bid'" in crossed["message"].iloc[0]


def test_listed_expiries_follow_each_roots_calendar():
    assert listed_expiry("SPX", date(2023, 9, 15)) and not listed_expiry("SPX", date(2023, 9, 22))
    assert listed_expiry("SPXW", date(2023, 9, 22)) and not listed_expiry("SPXW", date(2023, 9, 4))
    assert listed_expiry("VIX", date(2016, 6, 15)) and listed_expiry("VIX", date(2016, 6, 8))
    assert not listed_expiry("VIX", date(2016, 6, 10))
    # Juneteenth 2024 moved the June monthly to Tuesday 2024-06-18
    assert listed_expiry("VIX", date(2024, 6, 18))


# --- storing ----------------------------------------------------------------------------------


# --- a side-by-side chain: no root, no underlying, no time -------------------------------------

SIDE_ROW = "2025-09-03,2025-10-31,6450,160,160.5,157.45,161,264,122.7,123.2,122,763,666"


def test_a_side_by_side_chain_reads_both_sides_of_each_line():
    quotes = read_quotes(SIDE_BY_SIDE, root="SPXW")
    assert quotes.format == "side-by-side" and quotes.timing == "unstated"
    assert quotes.session == date(2025, 9, 3) and quotes.quote_time is None
    frame = quotes.frame
    assert len(frame) == 2 * 74 and set(frame["root"]) == {"SPXW"}
    assert frame["underlying"].isna().all()  # the forward comes from parity downstream
    # 2025-09-03,2025-10-31,6450,160,160.5,...,122.7,123.2,...: line 57 of the file
    call = quote(frame, "SPXW", "2025-10-31", 6450.0, "C")
    put = quote(frame, "SPXW", "2025-10-31", 6450.0, "P")
    assert (call["bid"], call["ask"], put["bid"], put["ask"]) == (160.0, 160.5, 122.7, 123.2)
    lines = SIDE_BY_SIDE.read_text(encoding="utf-8").splitlines()
    assert call["line"] == put["line"] and lines[int(call["line"]) - 1] == SIDE_ROW
    # the file's order: a line's call, then its put
    assert list(frame["type"][:4]) == ["C", "P", "C", "P"]
    assert frame["line"].is_monotonic_increasing


def test_a_side_by_side_chain_needs_its_root_named():
    with pytest.raises(QuoteFileError, match=r"--root SPXW.*rule: missing_column"):
        read_quotes(SIDE_BY_SIDE)


def test_a_chain_that_states_no_time_is_stored_only_for_the_day_the_user_names(con):
    # Nothing in the file tells a noon snapshot from a close: the user must say which.
    with pytest.raises(BadInputError, match="rule: quote_time_not_stated"):
        import_quotes(con, SIDE_BY_SIDE, TODAY, root="SPXW")
    with pytest.raises(UsageError, match="its quotes are of 2025-09-03"):
        import_quotes(con, SIDE_BY_SIDE, TODAY, root="SPXW", as_of=date(2025, 9, 4))
    assert con.execute("SELECT count(*) FROM option_quotes").fetchone() == (0,)
    done = import_quotes(con, SIDE_BY_SIDE, TODAY, root="SPXW", as_of=date(2025, 9, 3))
    assert done.format == "side-by-side" and done.timing == "close" and done.exit_code == 0
    assert done.inserted == 148 and done.rejected == 0
    stored = con.execute(
        "SELECT as_of, timing, count(*) FROM option_quotes GROUP BY ALL"
    ).fetchall()
    assert stored == [(date(2025, 9, 3), "close", 148)]
    # importing the same file again changes nothing
    again = import_quotes(con, SIDE_BY_SIDE, TODAY, root="SPXW", as_of=date(2025, 9, 3))
    assert again.inserted == 0 and again.unchanged == 148


def test_an_intraday_side_by_side_chain_is_stored_as_intraday(con):
    done = import_quotes(
        con, SIDE_BY_SIDE, TODAY, root="SPXW", as_of=date(2025, 9, 3), intraday=True
    )
    assert done.timing == "intraday"
    assert con.execute("SELECT DISTINCT timing FROM option_quotes").fetchall() == [("intraday",)]


def test_a_bad_cell_of_a_side_by_side_chain_names_its_line_and_rule(con, tmp_path):
    crossed = SIDE_ROW.replace(",122.7,123.2,", ",123.7,123.2,")
    path = broken(tmp_path, SIDE_BY_SIDE, SIDE_ROW, crossed)
    done = import_quotes(con, path, TODAY, root="SPXW", as_of=date(2025, 9, 3))
    assert done.exit_code == 3 and done.rejected == 1
    (message,) = done.messages
    assert message.startswith(f"{path}: row 57, column 'bid'") and "rule: crossed_quote" in message
    # the line's call is fine and stored; only the crossed put is quarantined
    kept = con.execute(
        "SELECT option_type FROM option_quotes WHERE strike = 6450 AND expiry = '2025-10-31'"
    ).fetchall()
    assert kept == [("C",)]


def test_reimport_is_idempotent_and_a_newer_file_replaces_its_partition(con, tmp_path):
    first = import_quotes(con, GENERIC, TODAY)
    assert (first.inserted, first.rejected) == (18, 0)
    again = import_quotes(con, GENERIC, TODAY)
    assert (again.inserted, again.updated, again.unchanged, again.removed) == (0, 0, 18, 0)
    assert con.execute("SELECT count(*) FROM option_quotes").fetchone() == (18,)
    corrected = import_quotes(con, broken(tmp_path, GENERIC, ",20.7,20.9,", ",20.6,20.9,"), TODAY)
    assert (corrected.updated, corrected.unchanged) == (1, 17)
    assert con.execute(
        "SELECT bid FROM option_quotes WHERE strike = 4400 AND option_type = 'P'"
    ).fetchone() == (20.6,)
    # The quote table holds SPX and SPXW of the same day: it replaces the SPXW partition whole.
    table = import_quotes(con, TABLE_2023, TODAY)
    stored = con.execute("SELECT count(*), count(DISTINCT import_id) FROM option_quotes").fetchone()
    assert stored == (table.inserted + table.updated + table.unchanged, 1)
    assert table.removed == 18 - table.updated - table.unchanged > 0
    imports = con.execute("SELECT count(*), sum(rejected) FROM quote_imports").fetchone()
    assert imports == (4, 2)


def test_a_failed_write_leaves_nothing_behind(con, monkeypatch):
    import alvh.data.quotes.store as store

    real = store.read_sql_statements

    def failing(relative):
        statements = real(relative)
        statements["record_import"] = "INSERT INTO no_such_table VALUES (1)"
        return statements

    monkeypatch.setattr(store, "read_sql_statements", failing)
    with pytest.raises(Exception, match="no_such_table"):
        import_quotes(con, TABLE_2023, TODAY)
    assert con.execute("SELECT count(*) FROM option_quotes").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM rejected_rows").fetchone() == (0,)
