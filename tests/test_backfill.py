"""`alvh backfill` over a range stores exactly what the day-by-day step stores for each day
(alvh.pipeline.backfill_step against book_and_hedge_step), on a real warehouse with a book that
enters positions inside the window, has an SPX and a VIX expiry settle in it, and gets orders
proposed."""

from __future__ import annotations

import json
import math
import shutil
from datetime import date
from pathlib import Path

import pytest

from alvh import pipeline
from alvh.core import calendar
from alvh.core.settings import Settings
from alvh.store import audit
from alvh.store.warehouse import connect, open_warehouse

START, END = date(2026, 5, 20), date(2026, 8, 20)  # about three months of sessions
JUNE_SPX = calendar.next_spx_expiry(date(2026, 5, 1), min_days=35)
JUNE_VIX = calendar.next_vix_expiry(date(2026, 5, 1), min_days=30)
BOOK = f"""\
position_id,kind,expiry,quantity,entry_date,entry_price,put_long,put_short,call_short,call_long,strike
IC-JUN,iron_condor,{JUNE_SPX},6,2026-05-01,9.5,6600,6700,7500,7600,
IC-SEP,iron_condor,2026-09-18,10,2026-06-10,12.42,7200,7250,7900,7950,
IC-OCT,iron_condor,2026-10-16,8,2026-07-01,14.7,7100,7150,8050,8100,
VXC-JUN,vix_call,{JUNE_VIX},20,2026-05-01,1.1,,,,,15
VXC-SEP,vix_call,2026-09-16,20,2026-07-01,0.89,,,,,23
"""
# every row the daily unit derives, in a stable order; created_at is the wall clock of the write
STORED = {
    "leg_marks": "SELECT * FROM leg_marks ORDER BY as_of, position_id, leg",
    "position_marks": "SELECT * FROM position_marks ORDER BY as_of, position_id",
    "book_marks": "SELECT * FROM book_marks ORDER BY as_of",
    "settlements": "SELECT * FROM cash_ledger ORDER BY entry_id",
    # an imported trade's source is its file's path, which differs between the two homes
    "book_trades": "SELECT * EXCLUDE (recorded_at, source), "
    "CASE WHEN source LIKE '%book.csv' THEN 'book file' ELSE source END FROM book_trades "
    "ORDER BY trade_id",
    "signal_values": "SELECT * FROM signal_values ORDER BY as_of, signal",
    "layer_states": "SELECT * FROM layer_states ORDER BY as_of, layer",
    "orders": "SELECT * EXCLUDE (created_at, decided_at) FROM orders ORDER BY order_id",
    # the engine's audit events in the chain's order (a backfill's decision also names its run)
    "audit_events": "SELECT as_of, actor, event, subject, CASE WHEN event = 'layers_decided' "
    "THEN json_object('states', details->'states', 'orders', details->'orders', "
    "'expired', details->'expired', 'budget', details->'budget')::VARCHAR ELSE details END "
    "FROM audit_log WHERE event IN ('order_expired', 'order_proposed', 'layers_decided') "
    "ORDER BY seq",
}


def _home(snapshot_warehouse, path, book: str = BOOK, quotes: Path | None = None) -> Settings:
    """A copy of the snapshot warehouse holding `book` (and the quote file `quotes`)."""
    from alvh.book.positions import import_book
    from alvh.data.quotes.importer import import_quotes

    path.mkdir()
    shutil.copy(snapshot_warehouse, path / "alvh.duckdb")
    (path / "book.csv").write_text(book)
    con = open_warehouse(path / "alvh.duckdb")
    try:
        import_book(con, path / "book.csv", END)
        if quotes is not None:
            import_quotes(con, quotes, END)
    finally:
        con.close()
    return Settings(home=path)


def _same(mine, theirs) -> bool:
    """Equal, floats to rounding: a rolling statistic summed from another window start can
    differ in its last bits (1e-16 relative); JSON text is compared as the values it holds."""
    if isinstance(mine, float) and isinstance(theirs, float):
        return math.isclose(mine, theirs, rel_tol=1e-12, abs_tol=1e-12) or (
            math.isnan(mine) and math.isnan(theirs)
        )
    if isinstance(mine, str) and isinstance(theirs, str) and mine[:1] in "{[" and mine != theirs:
        try:
            return _same(json.loads(mine), json.loads(theirs))
        except ValueError:
            return False
    if isinstance(mine, dict) and isinstance(theirs, dict):
        return mine.keys() == theirs.keys() and all(_same(mine[k], theirs[k]) for k in mine)
    if isinstance(mine, list | tuple) and isinstance(theirs, list | tuple):
        return len(mine) == len(theirs) and all(map(_same, mine, theirs))
    return mine == theirs


def _stored(settings: Settings) -> dict[str, list]:
    con = connect(settings.warehouse_path, read_only=True)
    try:
        return {table: con.execute(sql).fetchall() for table, sql in STORED.items()}
    finally:
        con.close()


@pytest.fixture(scope="module")
def day_by_day(snapshot_warehouse, tmp_path_factory) -> dict[str, list]:
    """The rows of `alvh run`'s book-and-hedge step run for each day of the window in turn."""
    settings = _home(snapshot_warehouse, tmp_path_factory.mktemp("daily") / "home")
    con = connect(settings.warehouse_path, read_only=True)
    try:
        days = pipeline.marked_days(con, START, END)
    finally:
        con.close()
    for day in days:
        with pipeline.daily_run(day, settings) as run_id:
            pipeline.book_and_hedge_step(run_id, day, settings)
    return _stored(settings)


def test_the_window_covers_entries_settlements_and_orders(day_by_day):
    entered = {row[1] for row in day_by_day["position_marks"] if row[0] < date(2026, 6, 10)}
    assert "IC-SEP" not in entered  # entered inside the window, not marked before its entry
    assert {row[4] for row in day_by_day["settlements"]} >= {"IC-JUN", "VXC-JUN"}
    assert day_by_day["orders"], "no order proposed in the window: the test would miss them"
    assert len({row[0] for row in day_by_day["book_marks"]}) >= 60


def test_backfill_stores_the_rows_of_the_day_by_day_step(snapshot_warehouse, tmp_path, day_by_day):
    # chunks of 20 days: the VIX expiry settles on a chunk's last day, the SPX one on the
    # next chunk's first, so settlements are seen both across and within chunks
    settings = _home(snapshot_warehouse, tmp_path / "home")
    with pipeline.daily_run(END, settings, kind="backfill") as run_id:
        result = pipeline.backfill_step(run_id, START, END, settings, chunk_days=20)
    filled = _stored(settings)
    assert result.counts["days"] == len({row[0] for row in day_by_day["book_marks"]})
    with connect(settings.warehouse_path, read_only=True) as con:
        assert audit.verify(con)[1] == []  # the chain carried through each chunk holds
    for table, rows in day_by_day.items():
        assert len(filled[table]) == len(rows), table
        for mine, theirs in zip(filled[table], rows, strict=True):
            assert _same(mine, theirs), (table, mine, theirs)


def _snapshot_fields(snapshot) -> dict:
    fields = dict(vars(snapshot))
    futures = fields.pop("futures")
    return {**fields, "futures": futures.to_dict("records")}


@pytest.mark.parametrize("feed_stops", [None, date(2024, 6, 28)])
def test_the_range_market_gives_each_day_what_the_day_reads(snapshot_copy, feed_stops):
    from alvh.book.marks import cash_rates
    from alvh.book.range_marks import CashRateHistory
    from alvh.book.scenarios import VixResponseHistory, vix_response_fit
    from alvh.data.market_day import MarketPanel, load_market

    _, con = snapshot_copy
    if feed_stops:  # a secondary feed that stopped: later days carry it beyond the lookback
        con.execute(
            "DELETE FROM observations WHERE series_id = 'VVIX' AND obs_date > ?", [feed_stops]
        )
    days = pipeline.marked_days(con, date(2008, 1, 2), END)
    market, responses = MarketPanel(con, days), VixResponseHistory(con, END)
    rates = CashRateHistory(con, END)
    # the range's ends, a spread of days over 18 years, and a stretch with VIX futures quoted
    sample = [days[0], days[-1], *days[:: len(days) // 25], *days[-300:-290]]
    for day in sample:
        mine, theirs = market.snapshot(day), load_market(con, day)
        assert _same(
            list(_snapshot_fields(mine).items()), list(_snapshot_fields(theirs).items())
        ), day
        assert responses.fit(day) == vix_response_fit(con, day), day
        for first in (date(2007, 3, 1), day):
            mine, theirs = rates(first, day), cash_rates(con, first, day)
            assert mine.values.equals(theirs.values), (first, day)
            assert mine.value_dates.equals(theirs.value_dates), (first, day)
    if feed_stops:
        assert load_market(con, END).staleness["VVIX"] is None  # what the mask must reproduce


def test_range_layer_states_see_cpi_dates_only_once_published(snapshot_con):
    from dataclasses import asdict
    from datetime import timedelta

    import pandas as pd

    from alvh.core.settings import Settings
    from alvh.hedge.day import SIGNAL_LOOKBACK_DAYS, configs
    from alvh.hedge.layers import layer_state_history
    from alvh.hedge.range_engine import range_decision_inputs
    from alvh.hedge.signals import compute_signals, load_signal_inputs

    settings = Settings()
    signal_config, layer_config, _ = configs(settings)
    days = pipeline.marked_days(snapshot_con, date(2024, 1, 2), END)
    ranged = range_decision_inputs(snapshot_con, days, settings)
    # with the CPI dates known at the range's end, these days would see a release date early
    hindsight = layer_state_history(ranged.signals, layer_config)["events_due"]
    early = [d for d in days if hindsight.loc[pd.Timestamp(d)] != ranged.states_on(d)["events_due"]]
    assert early, "no day where publication matters: the test would not check it"
    for day in [*early[:: max(1, len(early) // 4)], days[0], days[-1]]:
        start = day - timedelta(days=SIGNAL_LOOKBACK_DAYS)
        alone = compute_signals(load_signal_inputs(snapshot_con, day, start=start), signal_config)
        expected = layer_state_history(alone, layer_config).loc[str(day)]
        assert _same(list(ranged.states_on(day)), list(expected)), day
        readings = [{k: asdict(r) for k, r in h.on(day).items()} for h in (ranged.signals, alone)]
        assert _same(*readings), day


CHAINS = Path(__file__).parent / "fixtures/option_chains"
HEADER = "position_id,kind,expiry,quantity,entry_date,entry_price,put_long,put_short,call_short,"
HEADER += "call_long,strike\n"
# (quoted day, its chain, a window around it, a book quoted that day, the day fit's status):
# the 2023-09-01 slice's fit does not lower its error (the defaults are kept); 2020-09-04's does
QUOTED_CASES = {
    "defaults kept": (
        date(2023, 9, 1),
        CHAINS / "cboe_quote_table_spx_2023-09-01_cut.csv",
        (date(2023, 8, 29), date(2023, 9, 6)),
        HEADER
        + "QUOTED,iron_condor,2023-10-20,2,2023-08-25,9.50,4250,4355,4655,4760,\n"
        + "HEDGE,vix_call,2023-09-20,5,2023-08-25,0.80,,,,,20\n",
        "refused",
    ),
    "day fitted": (
        date(2020, 9, 4),
        CHAINS / "cboe_quote_table_spx_2020-09-04_cut.dat",
        (date(2020, 9, 2), date(2020, 9, 9)),
        HEADER
        + "QUOTED,iron_condor,2020-10-16,2,2020-09-01,20.0,3105,3205,3605,3695,\n"
        + "HALF,iron_condor,2020-10-16,1,2020-09-01,20.0,3105,3205,3605,3700,\n",
        "fitted",
    ),
}


def _market_marked_days(settings: Settings) -> set[date]:
    con = connect(settings.warehouse_path, read_only=True)
    try:
        rows = con.execute(
            "SELECT as_of FROM book_marks "
            "WHERE json_extract(assumptions, '$.legs_marked_at_market')::INT > 0"
        ).fetchall()
    finally:
        con.close()
    return {row[0] for row in rows}


def _day_surfaces(settings: Settings) -> list[tuple]:
    con = connect(settings.warehouse_path, read_only=True)
    try:
        return con.execute(
            "SELECT * EXCLUDE (run_id, recorded_at) FROM day_surfaces ORDER BY as_of"
        ).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("case", sorted(QUOTED_CASES))
def test_backfill_marks_quoted_days_at_market_as_the_day_does(snapshot_warehouse, tmp_path, case):
    quoted_day, chain, (start, end), book, status = QUOTED_CASES[case]
    daily = _home(snapshot_warehouse, tmp_path / "daily", book, chain)
    con = connect(daily.warehouse_path, read_only=True)
    try:
        days = pipeline.marked_days(con, start, end)
    finally:
        con.close()
    assert quoted_day in days and days[-1] > quoted_day
    for day in days:
        with pipeline.daily_run(day, daily) as run_id:
            pipeline.book_and_hedge_step(run_id, day, daily)
    filled = _home(snapshot_warehouse, tmp_path / "filled", book, chain)
    with pipeline.daily_run(end, filled, kind="backfill") as run_id:
        result = pipeline.backfill_step(run_id, start, end, filled)
    theirs, mine = _stored(daily), _stored(filled)
    assert quoted_day in _market_marked_days(daily)  # the window reaches a quoted day
    # the day's surface: fitted (or refused) alike on both paths, one row for the quoted day
    surfaces = _day_surfaces(daily)
    assert [(row[0], row[1]) for row in surfaces] == [(quoted_day, status)]
    assert _same(_day_surfaces(filled), surfaces) and result.counts["day_surfaces"] == 1
    for table in ("leg_marks", "position_marks", "book_marks"):
        assert len(mine[table]) == len(theirs[table]), table
        for a, b in zip(mine[table], theirs[table], strict=True):
            assert _same(a, b), (table, a, b)
    # the stored marks name the surface: the day's own on the quoted day, the defaults after
    con = connect(daily.warehouse_path, read_only=True)
    try:
        said = dict(
            con.execute(
                "SELECT as_of, json_extract_string(assumptions, '$.surface.status') FROM book_marks"
            ).fetchall()
        )
    finally:
        con.close()
    assert said[quoted_day] == status and said[days[-1]] == "defaults"


def test_backfill_over_decided_orders_stores_what_the_day_by_day_step_stores(
    snapshot_warehouse, tmp_path
):
    """Re-running days whose orders someone acted on: an executed purchase (a call with a layer
    and a premium spent), an approved sale and purchase not executed (pending, committed, then
    expired) and untouched proposals (replaced) — backfilled as the daily runs redo them."""
    from alvh.hedge.orders import approve, execute

    start, executed_on, approved_on, end = (
        date(2026, 6, 5), date(2026, 6, 10), date(2026, 6, 12), date(2026, 6, 19)
    )  # fmt: skip
    history = _home(snapshot_warehouse, tmp_path / "history")
    con = connect(history.warehouse_path, read_only=True)
    try:
        days = pipeline.marked_days(con, start, end)
    finally:
        con.close()

    def orders_of(day: date) -> list[tuple]:
        with connect(history.warehouse_path) as con:
            return con.execute(
                "SELECT order_id, action, price FROM orders WHERE as_of = ? ORDER BY order_id",
                [day],
            ).fetchall()

    for day in [d for d in days if d <= approved_on]:
        with pipeline.daily_run(day, history) as run_id:
            pipeline.book_and_hedge_step(run_id, day, history)
        if day == executed_on:
            bought = [o for o in orders_of(day) if o[1] == "open"]
            assert bought, "no purchase proposed on the day: the test would not reach it"
            with connect(history.warehouse_path) as con:
                approve(con, bought[0][0], "risk-manager", history)
                execute(con, bought[0][0], bought[0][2], day, settings=history)
        if day == approved_on:
            decided = orders_of(day)
            assert {o[1] for o in decided} == {"open", "close"}, decided
            with connect(history.warehouse_path) as con:
                for order_id, _, _ in decided:
                    approve(con, order_id, "risk-manager", history)
    homes = {}
    for name in ("daily", "filled"):
        (tmp_path / name).mkdir()
        shutil.copy(history.warehouse_path, tmp_path / name / "alvh.duckdb")
        homes[name] = Settings(home=tmp_path / name)
    for day in days:
        with pipeline.daily_run(day, homes["daily"]) as run_id:
            pipeline.book_and_hedge_step(run_id, day, homes["daily"])
    with pipeline.daily_run(end, homes["filled"], kind="backfill") as run_id:
        pipeline.backfill_step(run_id, start, end, homes["filled"], chunk_days=4)
    theirs, mine = _stored(homes["daily"]), _stored(homes["filled"])
    assert "executed" in {row[13] for row in theirs["orders"]}
    expired_approved = [e for e in theirs["audit_events"] if "approved but not" in e[4]]
    assert len(expired_approved) == 2, expired_approved  # pending on their day, then expired
    for table, rows in theirs.items():
        assert len(mine[table]) == len(rows), table
        for a, b in zip(mine[table], rows, strict=True):
            assert _same(a, b), (table, a, b)
    with connect(homes["filled"].warehouse_path, read_only=True) as con:
        assert audit.verify(con)[1] == []
