"""Market marks (issue 11, item 2): on a day with stored quotes, quoted legs are marked at mid
with their market IV and greeks, the others by the model, and each position says which."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from alvh.book.marks import mark_book
from alvh.book.positions import BOOK_COLUMNS, import_book
from alvh.book.valuation import ModelParams
from alvh.core.settings import Settings
from alvh.data.quotes.importer import import_quotes
from alvh.model.pricing import bsm_price
from alvh.store.warehouse import connect

FIXTURES = Path(__file__).parent / "fixtures" / "option_chains"
DAY = date(2023, 9, 1)
TODAY = date(2026, 12, 3)
BOOK = [
    ",".join(BOOK_COLUMNS),
    "QUOTED,iron_condor,2023-10-20,2,2023-08-25,9.50,4250,4355,4655,4760,",
    "HALF,iron_condor,2023-10-20,1,2023-08-25,9.50,4250,4355,4655,4770,",  # 4770 C: unquoted
    "HEDGE,vix_call,2023-09-20,5,2023-08-25,0.80,,,,,20",
]


@pytest.fixture
def settings(snapshot_warehouse, tmp_path) -> Settings:
    """A home holding the whole-history warehouse and the book above."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(snapshot_warehouse, home / "alvh.duckdb")
    book = tmp_path / "book.csv"
    book.write_text("\n".join(BOOK) + "\n", encoding="utf-8")
    connection = connect(home / "alvh.duckdb")
    try:
        import_book(connection, book, TODAY)
    finally:
        connection.close()
    return Settings(home=home)


@pytest.fixture
def con(settings):
    connection = connect(settings.warehouse_path)
    yield connection
    connection.close()


def file_mid(con, strike: float, option_type: str) -> float:
    bid, ask = con.execute(
        "SELECT bid, ask FROM option_quotes WHERE as_of = ? AND root = 'SPX' "
        "AND expiry = DATE '2023-10-20' AND strike = ? AND option_type = ?",
        [DAY, strike, option_type],
    ).fetchall()[0]
    return (bid + ask) / 2


def test_quoted_legs_are_marked_at_mid_and_each_position_says_which(con):
    model = {p.position_id: p for p in mark_book(con, DAY).positions}
    assert {p.mark_source for p in model.values()} == {"model"}
    import_quotes(con, FIXTURES / "cboe_quote_table_spx_2023-09-01_cut.csv", TODAY)
    marks = mark_book(con, DAY)
    by_id = {p.position_id: p for p in marks.positions}

    quoted = by_id["QUOTED"]
    expected = (
        -file_mid(con, 4250, "P")
        + file_mid(con, 4355, "P")
        + file_mid(con, 4655, "C")
        - file_mid(con, 4760, "C")
    )
    assert quoted.mark_source == "market" and quoted.mark == pytest.approx(expected)
    assert quoted.model_mark == pytest.approx(model["QUOTED"].mark)
    assert quoted.pnl == pytest.approx((9.50 - expected) * 100 * 2)
    assert by_id["HALF"].mark_source == "mixed"
    assert by_id["HEDGE"].mark_source == "model"  # no VIX quotes that day
    assert by_id["HEDGE"].mark == pytest.approx(by_id["HEDGE"].model_mark)

    legs = marks.legs[marks.legs["position_id"] == "QUOTED"]
    assert set(legs["mark_source"]) == {"market"}
    # each market leg's vol reprices its mid: greeks come from the market's own IV
    tau = (np.datetime64("2023-10-20") - np.datetime64(DAY)).astype(float) / 365.0
    s = marks.snapshot
    repriced = bsm_price(
        s.spx,
        legs["strike"].to_numpy(),
        tau,
        s.rate,
        s.dividend_yield,
        legs["vol"].to_numpy(),
        (legs["option_type"] == "call").to_numpy(),
    )
    assert np.allclose(repriced, legs["price"].to_numpy(), atol=1e-8)
    out = marks.as_json()["positions"][0]
    assert {"mark_source", "model_mark"} <= set(out)


def test_the_report_section_shows_market_and_model_side_by_side(con, settings):
    from alvh.report.day import load_day_book
    from alvh.report.render import environment
    from alvh.report.sections.model_vs_market import model_vs_market_section

    template = environment().get_template("partials/model_vs_market.html.j2")
    params = ModelParams()
    empty = model_vs_market_section(con, DAY, load_day_book(con, DAY, settings), params)
    assert empty["available"] is False
    assert "No option quotes stored" in template.render(model_vs_market=empty, close="close")
    import_quotes(con, FIXTURES / "cboe_quote_table_spx_2023-09-01_cut.csv", TODAY)
    book = load_day_book(con, DAY, settings)
    assert book.source == "computed"  # not stored: the report's marks are computed for it
    section = model_vs_market_section(con, DAY, book, params)
    rows = {r["id"]: r for r in section["positions"]}
    assert (rows["QUOTED"]["source"], rows["QUOTED"]["legs"]) == ("market", "4/4")
    assert (rows["HALF"]["source"], rows["HEDGE"]["source"]) == ("mixed", "model")
    marks = {p.position_id: p for p in mark_book(con, DAY).positions}
    quoted = marks["QUOTED"]
    assert float(rows["QUOTED"]["residual"]) == pytest.approx(
        quoted.model_mark - quoted.mark, abs=0.006
    )
    assert section["buckets"] and section["overall"]["n"] != "0"
    html = template.render(model_vs_market=section, close="close")
    assert 'data-position="QUOTED"' in html and "vol points" in html


STORED_DAY = {
    "position_marks": "SELECT * FROM position_marks WHERE as_of = ?",
    "leg_marks": "SELECT * FROM leg_marks WHERE as_of = ?",
}


def _stored_day(con, table: str) -> dict[tuple, dict]:
    """The day's stored rows of `table` by (position, leg) or position."""
    cursor = con.execute(STORED_DAY[table], [DAY])
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return {(r["position_id"], r.get("leg")): r for r in rows}


def test_the_stored_marks_say_what_each_was_marked_at_on_every_path(settings):
    from test_cli import run_alvh

    from alvh import pipeline

    con = connect(settings.warehouse_path)
    try:
        import_quotes(con, FIXTURES / "cboe_quote_table_spx_2023-09-01_cut.csv", TODAY)
        computed = {p.position_id: p for p in mark_book(con, DAY).positions}
    finally:
        con.close()
    with pipeline.daily_run(DAY, settings) as run_id:
        pipeline.book_and_hedge_step(run_id, DAY, settings)
    con = connect(settings.warehouse_path)
    try:
        positions = _stored_day(con, "position_marks")
        legs = _stored_day(con, "leg_marks")
    finally:
        con.close()
    assert {k[0]: p["mark_source"] for k, p in positions.items()} == {
        "QUOTED": "market",
        "HALF": "mixed",
        "HEDGE": "model",
    }
    for (position_id, _), stored in positions.items():
        assert stored["mark"] == pytest.approx(computed[position_id].mark, abs=1e-9)
        assert stored["model_mark"] == pytest.approx(computed[position_id].model_mark, abs=1e-9)
    quoted, hedge = positions["QUOTED", None], positions["HEDGE", None]
    assert quoted["mark"] != pytest.approx(quoted["model_mark"])
    assert hedge["mark"] == hedge["model_mark"]
    at_market = [leg for leg in legs.values() if leg["mark_source"] == "market"]
    assert len(at_market) == 7  # QUOTED's four legs, HALF's three quoted ones
    # at market: price is the mid and vol the market IV implied from it, the model's beside
    for leg in at_market:
        assert leg["vol"] != pytest.approx(leg["model_vol"], abs=1e-6)
        assert leg["price"] != pytest.approx(leg["model_price"], abs=1e-6)
    for leg in legs.values():
        if leg["mark_source"] == "model":
            assert (leg["price"], leg["vol"]) == (leg["model_price"], leg["model_vol"])

    # `book show --json` for the stored day gives the stored values
    shown = run_alvh("book", "show", "--as-of", DAY.isoformat(), "--json", home=settings.home)
    assert shown.returncode == 0, shown.stderr
    for p in json.loads(shown.stdout)["positions"]:
        stored = positions[p["position_id"], None]
        assert p["mark_source"] == stored["mark_source"]
        assert p["mark"] == pytest.approx(stored["mark"], rel=1e-12)
        assert p["model_mark"] == pytest.approx(stored["model_mark"], rel=1e-12)

    # a backfill over the day stores what the daily step stored
    with pipeline.daily_run(DAY, settings, kind="backfill") as run_id:
        pipeline.backfill_step(run_id, date(2023, 8, 30), DAY, settings)
    con = connect(settings.warehouse_path)
    try:
        assert _stored_day(con, "position_marks") == positions
        assert _stored_day(con, "leg_marks") == legs
    finally:
        con.close()
