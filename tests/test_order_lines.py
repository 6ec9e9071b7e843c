"""How `alvh layers` prints proposals: a roll is one spread with both legs (issue 12)."""

from __future__ import annotations

from datetime import date

from alvh.cli.hedge import order_lines
from alvh.hedge.orders import ProposedOrder

OLD = ProposedOrder("L1", "close", 22.0, date(2026, 9, 16), 20, 0.40, -790.0, "roll", "P1", "g1")
NEW = ProposedOrder("L1", "open", 25.0, date(2026, 10, 21), 20, 1.10, 2220.0, "roll", None, "g1")
L2 = ProposedOrder("L2", "open", 26.0, date(2026, 10, 21), 5, 0.95, 480.0, "L2 ACTIVE")


def test_a_roll_is_printed_as_one_spread_with_both_legs_and_its_net():
    lines = order_lines(["c-1", "l2-1", "o-1"], [OLD, L2, NEW])
    assert len(lines) == 2
    roll = lines[0]
    assert roll.startswith("roll L1 (c-1 + o-1): sell 20 ")
    assert "22 2026-09-16 / buy 20 " in roll and "25 2026-10-21" in roll
    assert "net debit 0.70 ($1,430)" in roll
    assert lines[1].startswith("order l2-1: open 5 ")


def test_orders_without_a_group_are_one_line_each():
    assert len(order_lines(["a", "b"], [L2, NEW])) == 2
