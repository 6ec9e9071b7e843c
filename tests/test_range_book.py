"""The book read once for a range (alvh.book.range_book) gives each day the open positions
`open_positions` reads for that day alone (entries, expiries, partial and back-dated closes),
and the settlements `pending_settlements` finds, before and after they enter the ledger."""

from __future__ import annotations

from datetime import date, timedelta

from alvh.book.marks import pending_settlements
from alvh.book.positions import import_book, open_positions
from alvh.book.range_book import BookHistory
from alvh.book.trades import close_position
from alvh.core.resources import read_sql_statements

BOOK = """\
position_id,kind,expiry,quantity,entry_date,entry_price,put_long,put_short,call_short,call_long,strike
IC-JUN,iron_condor,2026-06-18,6,2026-05-01,9.5,6600,6700,7500,7600,
IC-SEP,iron_condor,2026-09-18,10,2026-06-10,12.42,7200,7250,7900,7950,
VXC-JUN,vix_call,2026-06-17,20,2026-05-01,1.1,,,,,15
VXC-SEP,vix_call,2026-09-16,20,2026-07-01,0.89,,,,,23
"""


def test_each_day_sees_the_positions_open_at_its_close(snapshot_copy, tmp_path):
    _, con = snapshot_copy
    (tmp_path / "book.csv").write_text(BOOK)
    import_book(con, tmp_path / "book.csv", date(2026, 8, 20))
    close_position(con, "IC-SEP", 3.0, date(2026, 7, 15), quantity=4)  # partial
    close_position(con, "IC-SEP", 2.0, date(2026, 8, 3), quantity=2)  # twice
    close_position(con, "VXC-SEP", 0.5, date(2026, 7, 20))  # back-dated, whole
    book = BookHistory(con)  # read after the trades, as a backfill started later would
    day, seen, settled = date(2026, 4, 28), set(), []
    while day <= date(2026, 9, 25):
        expected = open_positions(con, day)
        assert book.open_positions(day) == expected, day
        seen.add(tuple((p.position_id, p.quantity) for p in expected))
        pending = pending_settlements(con, day)
        assert book.pending_settlements(day).equals(pending), day
        if day.weekday() == 4 and len(pending):  # settled on a later day than due, as a gap
            con.register("settlements", book.settle(day))
            con.execute(read_sql_statements("book/marks.sql")["insert_settlements"])
            con.unregister("settlements")
            settled += pending["position_id"].tolist()
        day += timedelta(days=1)
    assert set(settled) == {"IC-JUN", "VXC-JUN"}  # both expiries settled inside the window
    # the window reaches the partial closes, the back-dated one and an empty book
    assert {(("IC-SEP", 6), ("VXC-SEP", 20)), (("IC-SEP", 4),), ()} <= seen


def test_each_day_sees_the_cash_the_ledger_holds_at_its_close(snapshot_copy, tmp_path):
    from alvh.book.marks import cash_balance
    from alvh.book.range_marks import CashRateHistory

    _, con = snapshot_copy
    (tmp_path / "book.csv").write_text(BOOK)
    import_book(con, tmp_path / "book.csv", date(2026, 8, 20))
    close_position(con, "IC-SEP", 3.0, date(2026, 7, 15), quantity=4)  # its cash, dated then
    book, rates = BookHistory(con), CashRateHistory(con, date(2026, 9, 25))
    day, seen = date(2026, 4, 28), set()
    while day <= date(2026, 9, 25):
        pending = pending_settlements(con, day)
        expected = cash_balance(con, day, pending)
        assert book.cash_balance(day, book.pending_settlements(day), rates) == expected, day
        seen.add((expected[0] != 0.0, len(pending) > 0))
        if day.weekday() == 4 and len(pending):  # entered later than due: pending meanwhile
            con.register("settlements", book.settle(day))
            con.execute(read_sql_statements("book/marks.sql")["insert_settlements"])
            con.unregister("settlements")
        day += timedelta(days=1)
    # the window holds days before any cash, days with settlements pending, and days after
    # they entered the ledger
    assert seen >= {(False, False), (True, True), (True, False)}, seen
