"""The orders the engine's runs read and change (method §6.4–§6.5), held in memory for a range
of days: read once, each day's expiries and proposals applied in memory so later days see
them as if read back, and written in a few set-based statements at `write`.

The daily run is a range of one day, so the rules live here once: an order is for its own
day (proposed or approved, not executed by the next run, it expires); re-running a day keeps
what someone acted on and replaces the untouched proposals; the day's approved, unexecuted
orders are pending (their contracts on their way in or out, their premium committed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import duckdb

from alvh.book.marks import pending_total
from alvh.core.resources import read_sql_statements
from alvh.store import audit

if TYPE_CHECKING:  # only an annotation: orders imports this module at run time
    from alvh.hedge.orders import ProposedOrder

# §6.4: the budget counts the premium of calls entered over the last 365 days
SPEND_WINDOW_DAYS = 365
MULTIPLIER = 100


@dataclass
class _Order:
    """What the rules need of an order, and its row when it is new (not yet stored)."""

    order_id: str
    as_of: date
    layer: str
    action: str
    position_id: str | None
    quantity: int
    price: float
    status: str
    acted_on: bool  # someone approved it (even partly): a re-run keeps it
    cost: float = 0.0  # premium and fees of the order (`orders.cost`)
    row: dict | None = None  # the insert's parameters; None for a row read from the table
    decided_at: datetime | None = None


@dataclass
class _Changes:
    """What `write` owes the table: rows to delete, stored rows expired, new rows."""

    deleted: list[str] = field(default_factory=list)
    expired: dict[str, datetime] = field(default_factory=dict)
    new: dict[str, _Order] = field(default_factory=dict)


class OrderState:
    """The orders of the days `first`..`last` (and earlier ones still open), the layer of each
    call an order opened, and the premium paid for VIX calls entered in the spend window."""

    def __init__(self, con: duckdb.DuckDBPyConnection, first: date, last: date) -> None:
        sql = read_sql_statements("orders/orders.sql")
        span = {"first": first, "last": last}
        self._orders: dict[str, _Order] = {}
        self._by_day: dict[date, list[str]] = {}
        self._open: set[str] = set()
        for row in con.execute(sql["in_range"], span).fetchall():
            order_id, as_of, layer, action, position_id, quantity, price, status, acted, cost = row
            self._add(
                _Order(
                    order_id, as_of, layer, action, position_id, int(quantity), float(price),
                    status, bool(acted), float(cost),
                )
            )  # fmt: skip
        self._opened_by = dict(con.execute(sql["call_layers"]).fetchall())
        # in the table's order: the spend is summed as the warehouse sums it
        self._premiums = con.execute(sql["call_premiums"], span).fetchall()
        self._changes = _Changes()

    def _add(self, order: _Order) -> None:
        self._orders[order.order_id] = order
        self._by_day.setdefault(order.as_of, []).append(order.order_id)
        if order.status in ("proposed", "approved"):
            self._open.add(order.order_id)

    def _pending(self, day: date, action: str) -> list[_Order]:
        """The day's approved orders of `action` not yet executed."""
        orders = (self._orders[i] for i in self._by_day.get(day, ()))
        return [o for o in orders if o.action == action and o.status == "approved"]

    # -- what the day's decision reads -----------------------------------------------------

    def layer_of(self, position_id: str) -> str:
        """The layer of the order that opened a VIX call; imported calls are L1's."""
        order = self._orders.get(position_id)
        if order is not None:
            return order.layer
        if position_id in self._changes.deleted:
            return "L1"
        return self._opened_by.get(position_id, "L1")

    def pending_opens(self, day: date) -> dict[str, int]:
        """Contracts per layer in the day's approved purchases not yet executed."""
        pending: dict[str, int] = {}
        for order in self._pending(day, "open"):
            pending[order.layer] = pending.get(order.layer, 0) + order.quantity
        return pending

    def pending_closes(self, day: date) -> dict[str, int]:
        """Contracts per position in the day's approved sales not yet executed."""
        closing: dict[str, int] = {}
        for order in self._pending(day, "close"):
            if order.position_id is not None:
                closing[order.position_id] = closing.get(order.position_id, 0) + order.quantity
        return closing

    def spent_12m(self, day: date) -> float:
        """Premium paid for VIX calls entered in the 365 days up to `day`, plus the day's
        approved purchases not yet executed, which are committed (method §6.4)."""
        since = day - timedelta(days=SPEND_WINDOW_DAYS)
        paid = [premium for entered, premium in self._premiums if since < entered <= day]
        committed = [o.price * MULTIPLIER * o.quantity for o in self._pending(day, "open")]
        return float(sum(paid + committed))

    def pending_premium(self, day: date) -> float:
        """The premium of hedge purchases proposed or approved and not executed, of `day` and
        before, as the marks of `day` read it from the table (`book/marks.sql`
        pending_premium), summed alike (`alvh.book.marks.pending_total`)."""
        costs = [
            self._orders[i].cost
            for i in sorted(self._open)
            if self._orders[i].action == "open" and self._orders[i].as_of <= day
        ]
        return pending_total(costs)

    # -- what the day's run changes --------------------------------------------------------

    def expire(self, day: date, chain: audit.Chain) -> list[str]:
        """Expire orders of days before `day` not executed on their day; returns their ids.

        An order is priced for the close it was proposed at, so approved or not it does not
        carry over to a later day: the run of `day` proposes afresh.
        """
        stale = sorted(i for i in self._open if self._orders[i].as_of < day)
        now = datetime.now()
        for order_id in stale:
            order = self._orders[order_id]
            reason = (
                f"approved but not executed on its day (before the run of {day})"
                if order.status == "approved"
                else f"not approved before the run of {day}"
            )
            order.status, order.decided_at = "expired", now
            self._open.discard(order_id)
            if order.row is None:
                self._changes.expired[order_id] = order.decided_at
            chain.append("order_expired", {"reason": reason}, as_of=day, subject=order_id)
        return stale

    def propose(self, day: date, proposals: list[ProposedOrder], chain: audit.Chain) -> list[str]:
        """Replace `day`'s untouched proposals with these; returns the ids now proposed.

        Orders already approved (even partly) or executed are kept as they are: re-running a
        day never undoes a decision.
        """
        kept = []
        for order_id in self._by_day.get(day, []):
            order = self._orders[order_id]
            if order.status != "proposed" or order.acted_on:
                kept.append(order_id)
                continue
            del self._orders[order_id]
            self._open.discard(order_id)
            if order.row is None:
                self._changes.deleted.append(order_id)
            else:
                del self._changes.new[order_id]
        self._by_day[day] = kept
        ids = []
        now = datetime.now()
        for proposal in proposals:
            order_id = proposal.order_id(day)
            ids.append(order_id)
            if order_id in kept:
                continue
            if order_id in self._orders:
                raise ValueError(f"order {order_id} is proposed twice on {day}")
            row = {
                "order_id": order_id,
                "as_of": day,
                "layer": proposal.layer,
                "action": proposal.action,
                "instrument": proposal.instrument,
                "strike": proposal.strike,
                "expiry": proposal.expiry,
                "quantity": proposal.quantity,
                "price": proposal.price,
                "cost": proposal.cost,
                "position_id": proposal.position_id,
                "group_id": proposal.group_id,
                "reason": proposal.reason,
                "created_at": now,
            }
            order = _Order(
                order_id, day, proposal.layer, proposal.action, proposal.position_id,
                int(proposal.quantity), float(proposal.price), "proposed", False,
                float(proposal.cost), row,
            )  # fmt: skip
            self._add(order)
            self._changes.new[order_id] = order
            chain.append(
                "order_proposed",
                {
                    "layer": proposal.layer,
                    "action": proposal.action,
                    "strike": proposal.strike,
                    "expiry": proposal.expiry,
                    "quantity": proposal.quantity,
                    "price": proposal.price,
                    "cost": proposal.cost,
                    "reason": proposal.reason,
                },
                as_of=day,
                subject=order_id,
            )
        return ids

    def write(self, con: duckdb.DuckDBPyConnection) -> None:
        """Store the changes since the last write (inside the caller's transaction)."""
        sql = read_sql_statements("orders/orders.sql")
        changes, self._changes = self._changes, _Changes()
        if changes.deleted:
            con.execute(sql["delete_orders"], {"ids": changes.deleted})
        expired_at: dict[datetime, list[str]] = {}
        for order_id, at in changes.expired.items():
            expired_at.setdefault(at, []).append(order_id)
        for at, ids in expired_at.items():
            con.execute(sql["expire"], {"ids": ids, "decided_at": at})
        if changes.new:
            rows = [
                {**o.row, "status": o.status, "decided_at": o.decided_at}
                for o in changes.new.values()
            ]
            con.execute(sql["insert"], {k: [row[k] for row in rows] for k in rows[0]})
        for order in changes.new.values():
            order.row = None  # stored now: a later change is an update
