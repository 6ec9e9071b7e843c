"""Approvals (method §6.5): k of m named approvers, each counting once; execution changes the
book; unapproved orders expire at the next run; every transition is in the audit log."""

from __future__ import annotations

from datetime import date

import pytest

from alvh.book.positions import open_positions
from alvh.core.errors import UsageError
from alvh.core.settings import Settings
from alvh.hedge.orders import (
    ProposedOrder,
    approve,
    execute,
    expire_unexecuted,
    list_orders,
    record_proposals,
)
from alvh.store import audit
from alvh.store.warehouse import open_warehouse, transaction

AS_OF = date(2026, 8, 21)
OPEN = ProposedOrder(
    "L1",
    "open",
    22.0,
    date(2026, 9, 16),
    20,
    0.95,
    1920.0,
    "L1 ACTIVE: S1 complacency (CAPE pct 0.97, VIX 16.0)",
)


@pytest.fixture
def con(tmp_path):
    connection = open_warehouse(tmp_path / "alvh.duckdb")
    yield connection
    connection.close()


@pytest.fixture
def two_of_three(tmp_path):
    return Settings(home=tmp_path, approvers=["alice", "bob", "carol"], approvals_required=2)


def _propose(con, as_of=AS_OF, orders=(OPEN,)):
    with transaction(con):
        return record_proposals(con, as_of, list(orders))


def test_an_order_goes_from_proposed_to_approved_to_executed(con, two_of_three):
    (order_id,) = _propose(con)
    assert approve(con, order_id, "alice", two_of_three) == "proposed"
    assert approve(con, order_id, "carol", two_of_three) == "approved"
    summary = execute(con, order_id, 1.05, date(2026, 8, 24), settings=two_of_three)
    assert "opened 20" in summary
    held = open_positions(con, date(2026, 8, 24))
    assert [(p.position_id, p.quantity, p.strike, p.entry_price) for p in held] == [
        (order_id, 20, 22.0, 1.05)
    ]
    cash = con.execute("SELECT amount FROM cash_ledger").fetchall()
    assert cash == [(pytest.approx(-1.05 * 100 * 20 - 20 * 1.0),)]
    events = [
        r[0]
        for r in con.execute(
            "SELECT event FROM audit_log WHERE subject = ? ORDER BY seq", [order_id]
        ).fetchall()
    ]
    assert events == ["order_proposed", "order_approved", "order_approved", "order_executed"]
    assert audit.verify(con)[1] == []


def test_the_same_approver_cannot_count_twice(con, two_of_three):
    (order_id,) = _propose(con)
    approve(con, order_id, "alice", two_of_three)
    with pytest.raises(UsageError, match="counts once"):
        approve(con, order_id, "alice", two_of_three)
    assert list_orders(con).loc[0, "status"] == "proposed"


def test_unknown_approvers_are_refused_with_a_usage_error(con, two_of_three):
    (order_id,) = _propose(con)
    with pytest.raises(UsageError, match="not an approver") as refused:
        approve(con, order_id, "mallory", two_of_three)
    assert refused.value.exit_code == 2
    assert list_orders(con).loc[0, "approvals"] == 0


def test_unapproved_orders_cannot_execute_and_expire_at_the_next_run(con, two_of_three):
    (order_id,) = _propose(con)
    approve(con, order_id, "bob", two_of_three)
    with pytest.raises(UsageError, match="only approved orders"):
        execute(con, order_id, 1.0, date(2026, 8, 24), settings=two_of_three)
    with transaction(con):
        expired = expire_unexecuted(con, date(2026, 8, 24))
    assert expired == [order_id]
    assert list_orders(con, "expired")["order_id"].tolist() == [order_id]
    with pytest.raises(UsageError, match="expired"):
        approve(con, order_id, "carol", two_of_three)


def test_an_approved_order_not_executed_on_its_day_expires_and_cannot_execute(con, two_of_three):
    """An order is priced for its own close: approved but not filled that day, the next run
    expires it (issue 12), and a later execute is a usage error naming it expired."""
    (order_id,) = _propose(con)
    approve(con, order_id, "alice", two_of_three)
    assert approve(con, order_id, "carol", two_of_three) == "approved"
    with transaction(con):
        assert expire_unexecuted(con, AS_OF) == []  # its own day's run keeps it
        assert expire_unexecuted(con, date(2026, 8, 24)) == [order_id]
    with pytest.raises(UsageError, match="is expired") as refused:
        execute(con, order_id, 1.05, AS_OF, settings=two_of_three)
    assert refused.value.exit_code == 2
    assert open_positions(con, date(2026, 8, 24)) == []
    reason = con.execute(
        "SELECT details FROM audit_log WHERE event = 'order_expired' AND subject = ?", [order_id]
    ).fetchone()[0]
    assert "approved but not executed on its day" in reason


def test_rerunning_a_day_keeps_decisions_and_replaces_untouched_proposals(con, two_of_three):
    other = ProposedOrder("L2", "open", 25.0, date(2026, 9, 16), 5, 0.60, 305.0, "L2 ACTIVE")
    first = _propose(con, orders=(OPEN, other))
    approve(con, first[0], "alice", two_of_three)
    second = _propose(con, orders=(OPEN,))
    assert second == [first[0]]
    statuses = dict(list_orders(con)[["order_id", "status"]].values)
    assert statuses == {first[0]: "proposed"}
    assert list_orders(con).loc[0, "approvals"] == 1


def test_a_close_order_reduces_the_position(con, tmp_path):
    settings = Settings(home=tmp_path)
    (opened,) = _propose(con)
    approve(con, opened, "risk-manager", settings)
    execute(con, opened, 1.0, date(2026, 8, 24), settings=settings)
    close = ProposedOrder(
        "L3",
        "close",
        22.0,
        date(2026, 9, 16),
        8,
        4.0,
        -3208.0,
        "L3 monetise 40%",
        position_id=opened,
    )
    (closing,) = _propose(con, as_of=date(2026, 8, 31), orders=(close,))
    approve(con, closing, "risk-manager", settings)
    execute(con, closing, 4.10, date(2026, 9, 1), settings=settings)
    assert open_positions(con, date(2026, 8, 31))[0].quantity == 20
    assert open_positions(con, date(2026, 9, 1))[0].quantity == 12


@pytest.mark.parametrize("price", [0.0, -1.0, float("nan"), float("inf")])
def test_absurd_fill_prices_are_refused(con, tmp_path, price):
    settings = Settings(home=tmp_path)
    (order_id,) = _propose(con)
    approve(con, order_id, "risk-manager", settings)
    with pytest.raises(UsageError):
        execute(con, order_id, price, date(2026, 8, 24), settings=settings)
    assert list_orders(con).loc[0, "status"] == "approved"


def test_a_position_cannot_be_closed_twice(con, tmp_path):
    settings = Settings(home=tmp_path)
    (opened,) = _propose(con)
    approve(con, opened, "risk-manager", settings)
    execute(con, opened, 1.0, date(2026, 8, 24), settings=settings)
    close = ProposedOrder(
        "L1", "close", 22.0, date(2026, 9, 16), 20, 2.0, -3980.0, "L1 roll", position_id=opened
    )
    (first,) = _propose(con, as_of=date(2026, 8, 25), orders=(close,))
    approve(con, first, "risk-manager", settings)
    (second,) = _propose(con, as_of=date(2026, 8, 26), orders=(close,))
    approve(con, second, "risk-manager", settings)
    execute(con, first, 2.0, date(2026, 8, 27), settings=settings)
    with pytest.raises(UsageError, match="0 are open"):
        execute(con, second, 2.0, date(2026, 8, 27), settings=settings)
    assert open_positions(con, date(2026, 8, 27)) == []
    assert list_orders(con, "approved")["order_id"].tolist() == [second]
    closes = con.execute("SELECT sum(quantity) FROM position_closes").fetchall()
    assert closes == [(20,)]


def test_a_status_set_to_approved_in_sql_authorises_nothing(con, two_of_three):
    """Issue 15: approval is derived from the approvals themselves, never the status column."""
    (order_id,) = _propose(con)
    approve(con, order_id, "alice", two_of_three)
    con.execute("UPDATE orders SET status = 'approved' WHERE order_id = ?", [order_id])
    with pytest.raises(UsageError, match="1 valid approval"):
        execute(con, order_id, 1.0, date(2026, 8, 24), settings=two_of_three)
    assert con.execute("SELECT count(*) FROM positions").fetchone() == (0,)
