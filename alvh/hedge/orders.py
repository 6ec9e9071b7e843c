"""Proposed hedge orders and their approvals (method §6.5, the article's "multi-sig").

An order is proposed by the layers engine for an `as_of`, needs k of m approvers (signatures
by registered keys, `alvh.hedge.approvals`, or typed names for a solo trader), and only then
may be executed with a fill price, which changes the book and the cash account.
Orders nobody approved expire at the next run. Every transition is written to the audit log in
the same transaction as the change itself.

A roll (method §6.3) is two orders sharing a `group_id`: close the old calls, open new ones.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from alvh.book.costs import CostModel
from alvh.core.errors import BadInputError, UsageError
from alvh.core.resources import read_sql_statements
from alvh.core.settings import Settings, load_settings
from alvh.hedge import approvals
from alvh.hedge.order_state import OrderState
from alvh.store import anchor, audit
from alvh.store.warehouse import transaction

VIX_CALL = "VIX call"


@dataclass(frozen=True)
class ProposedOrder:
    """What the engine wants done: the difference between a layer's target and holdings."""

    layer: str
    action: str  # open | close
    strike: float
    expiry: date
    quantity: int
    price: float  # modelled fill price per unit, index points (cost model §3.4)
    cost: float  # dollars including fees: premium paid (+) or received (−)
    reason: str
    position_id: str | None = None
    group_id: str | None = None
    instrument: str = VIX_CALL

    def order_id(self, as_of: date) -> str:
        """Deterministic, so re-running a day proposes the same ids.

        A roll's group is part of the key: an L3 winner is both monetised and rolled (two
        closes of one position) and two winners' rolls open the same call.
        """
        key = f"{self.layer}|{self.action}|{self.strike:g}|{self.expiry}|{self.position_id}"
        if self.group_id:
            key += f"|{self.group_id}"
        digest = hashlib.sha256(key.encode()).hexdigest()[:6]
        return f"{as_of:%Y%m%d}-{self.layer}-{self.action}-{digest}"


def _sql() -> dict[str, str]:
    return read_sql_statements("orders/orders.sql")


def record_proposals(
    con: duckdb.DuckDBPyConnection, as_of: date, proposals: list[ProposedOrder]
) -> list[str]:
    """Replace `as_of`'s untouched proposals with these, inside the caller's transaction.

    Orders already approved (even partly) or executed are kept as they are: re-running a day
    never undoes a decision. Returns the ids of the orders now proposed for `as_of`.
    """
    state, chain = OrderState(con, as_of, as_of), audit.Chain(con)
    ids = state.propose(as_of, proposals, chain)
    state.write(con)
    chain.flush()
    return ids


def expire_unexecuted(con: duckdb.DuckDBPyConnection, as_of: date) -> list[str]:
    """Expire orders of days before `as_of` not executed on their day (caller's transaction).

    An order is priced for the close it was proposed at, so approved or not it does not carry
    over to a later day: the run of `as_of` proposes afresh, and executing an expired order is
    refused (exit 2).
    """
    state, chain = OrderState(con, as_of, as_of), audit.Chain(con)
    expired = state.expire(as_of, chain)
    state.write(con)
    chain.flush()
    return expired


def list_orders(con: duckdb.DuckDBPyConnection, status: str | None = None) -> pd.DataFrame:
    """Orders with their approvals, newest first; `status` filters."""
    frame = con.execute(_sql()["list"], {"status": status}).df()
    return frame


def _order(con, order_id: str) -> dict:
    rows = con.execute(_sql()["one"], {"order_id": order_id}).df()
    if rows.empty:
        raise UsageError(f"no order {order_id!r}; 'alvh orders list' shows them")
    return rows.iloc[0].to_dict()


def approve(
    con: duckdb.DuckDBPyConnection,
    order_id: str,
    approver: str,
    settings: Settings,
    private_key: Ed25519PrivateKey | None = None,
) -> str:
    """Record `approver`'s approval; returns the order's status afterwards.

    Once approver keys are registered (approvals.mode), the approval is `private_key`'s
    signature over the order's canonical content, and the key must be the approver's own.
    """
    approver = approver.strip()
    if approvals.mode_in_force(con, settings) == "signed":
        return _approve_signed(con, order_id, approver, settings, private_key)
    if approver not in settings.approvers:
        raise UsageError(
            f"{approver!r} is not an approver; configured approvers: "
            f"{', '.join(settings.approvers)}"
        )
    sql = _sql()
    with transaction(con):
        order = _order(con, order_id)
        if order["status"] != "proposed":
            raise UsageError(f"order {order_id} is {order['status']}, not awaiting approval")
        already = {
            r[0] for r in con.execute(sql["approvers_of"], {"order_id": order_id}).fetchall()
        }
        now = _record_approval(con, order_id, approver, already)
        count = len(already) + 1
        status = "approved" if count >= settings.approvals_required else "proposed"
        if status == "approved":
            con.execute(
                sql["set_status"], {"order_id": order_id, "status": "approved", "decided_at": now}
            )
        audit.append(
            con,
            "order_approved",
            {
                "approver": approver,
                "approvals": count,
                "required": settings.approvals_required,
                "status": status,
            },
            as_of=order["as_of"].date(),
            subject=order_id,
            actor=approver,
        )
    return status


def _record_approval(
    con: duckdb.DuckDBPyConnection,
    order_id: str,
    approver: str,
    already: set[str],
    public_key: str | None = None,
    signature: str | None = None,
) -> datetime:
    """Insert one approval (inside the caller's transaction); an approver counts once."""
    if approver in already:
        raise UsageError(
            f"{approver} has already approved order {order_id}; an approver counts once"
        )
    now = datetime.now()
    con.execute(
        _sql()["approve"],
        {
            "order_id": order_id,
            "approver": approver,
            "approved_at": now,
            "public_key": public_key,
            "signature": signature,
        },
    )
    return now


def _approve_signed(
    con: duckdb.DuckDBPyConnection,
    order_id: str,
    approver: str,
    settings: Settings,
    private_key: Ed25519PrivateKey | None,
) -> str:
    """`approve` once keys are registered: a detached signature by the approver's own key."""
    if private_key is None:
        raise UsageError(
            "approver keys are registered: an approval is a signature; give --key "
            "PRIVATE_KEY_FILE (your own key)"
        )
    sql = _sql()
    order = _order(con, order_id)
    if order["status"] not in ("proposed", "approved"):
        raise UsageError(f"order {order_id} is {order['status']}, not awaiting approval")
    as_of = order["as_of"].date()
    keys = approvals.registered_keys(con)
    key = approvals.signer_identity(
        con,
        keys,
        approver,
        private_key,
        event="order_approval_refused",
        subject=order_id,
        as_of=as_of,
    )
    with transaction(con):
        stored = con.execute(sql["signed_approvals"], {"order_id": order_id}).fetchall()
        signature = approvals.sign(private_key, approvals.order_content(order))
        now = _record_approval(con, order_id, approver, {row[0] for row in stored}, key, signature)
        checks = approvals.check_order_signatures(con, order, [*stored, (approver, key, signature)])
        valid = sum(check.valid for check in checks)
        status = "approved" if valid >= settings.approvals_required else "proposed"
        # the status column is for display only: execute re-checks the signatures
        con.execute(sql["set_status"], {"order_id": order_id, "status": status, "decided_at": now})
        audit.append(
            con,
            "order_approved",
            {
                "approver": approver,
                "key": approvals.fingerprint(key),
                "signature": signature,
                "valid_signatures": valid,
                "required": settings.approvals_required,
                "status": status,
            },
            as_of=as_of,
            subject=order_id,
            actor=approver,
        )
    return status


def verify_order(
    con: duckdb.DuckDBPyConnection, order_id: str, settings: Settings
) -> tuple[list[approvals.SignatureCheck], int]:
    """Re-check an order's approvals now: (one check per stored approval, approvals required).

    In names mode an approval by a configured name counts; in signed mode only a valid
    signature by the approver's registered key over the order as it is now.
    """
    order = _order(con, order_id)
    stored = con.execute(_sql()["signed_approvals"], {"order_id": order_id}).fetchall()
    if approvals.mode_in_force(con, settings) == "signed":
        checks = approvals.check_order_signatures(con, order, stored)
    else:
        checks = [
            approvals.SignatureCheck(name, True)
            if name in settings.approvers
            else approvals.SignatureCheck(name, False, "not a configured approver")
            for name, _key, _signature in stored
        ]
    return checks, settings.approvals_required


def _authorise_execution(
    con: duckdb.DuckDBPyConnection,
    order_id: str,
    fill_price: float,
    settings: Settings,
    force: bool,
) -> dict[str, object]:
    """Refuse an execution the approvals do not cover, or a fill far from the limit.

    Approval is derived from the stored approvals (signatures, once keys exist), never from
    the status column, which SQL can set. A bad signature is recorded and refused (exit 2).
    Returns the facts the execution's audit event carries.
    """
    order = _order(con, order_id)
    if order["status"] in ("executed", "expired"):
        raise UsageError(
            f"order {order_id} is {order['status']}; only approved orders can be executed"
        )
    # a chain rewritten to hide approvals or key changes no longer holds the anchored heads
    if settings.audit_anchor_file.is_file():
        rewritten = anchor.breaks_against(con, anchor.read(settings.audit_anchor_file))
        if rewritten:
            raise BadInputError(
                f"order {order_id} cannot be executed: the audit chain no longer holds the "
                f"heads anchored in {settings.audit_anchor_file} ({rewritten[0].problem}); "
                "run 'alvh audit verify'"
            )
    as_of = order["as_of"].date()
    checks, required = verify_order(con, order_id, settings)
    bad = [check for check in checks if not check.valid]
    if bad:
        problem = f"order {order_id} cannot be executed: " + "; ".join(
            f"{check.approver}: {check.problem}" for check in bad
        )
        raise approvals.record_refusal(
            con, "order_execution_refused", problem, actor="alvh", subject=order_id, as_of=as_of
        )
    approved_by = [check.approver for check in checks]
    if len(approved_by) < required:
        raise UsageError(
            f"order {order_id} has {len(approved_by)} valid approval(s) of {required} required; "
            "only approved orders can be executed"
        )
    limit = float(order["price"])
    tolerance = settings.approvals
    band = max(tolerance.price_tolerance * limit, tolerance.price_tolerance_points)
    facts: dict[str, object] = {"approved_by": approved_by}
    if abs(fill_price - limit) > band:
        if not force:
            raise UsageError(
                f"fill price {fill_price:g} is {abs(fill_price - limit):.2f} points from order "
                f"{order_id}'s limit {limit:g} (more than {band:.2f}); check the fill, or give "
                "--force to record it anyway (audited)"
            )
        facts["forced"] = {"limit_price": limit, "deviation": round(fill_price - limit, 4)}
    return facts


def execute(
    con: duckdb.DuckDBPyConnection,
    order_id: str,
    fill_price: float,
    executed_on: date | None = None,
    costs: CostModel | None = None,
    *,
    settings: Settings | None = None,
    force: bool = False,
) -> str:
    """Mark an approved order executed at `fill_price` and change the book; returns a summary.

    The fill is dated `executed_on`, by default the order's own as-of day (never the wall
    clock); a fill before the order existed or on or after the option's expiry is refused.
    `settings` (default: those in force) say how approvals are checked; `force` accepts a
    fill far from the order's limit price, and is audited.
    """
    if not (math.isfinite(fill_price) and 0 < fill_price < 1000):
        raise UsageError(f"--price must be a positive number of index points, not {fill_price}")
    # -- approvals and price sanity (issue 15): signatures, not the status column, authorise
    authorised = _authorise_execution(con, order_id, fill_price, settings or load_settings(), force)
    # -- booking the fill
    costs = costs or CostModel()
    sql = _sql()
    with transaction(con):
        order = _order(con, order_id)
        # --- issue 12: the fill's date, and booking it through the book's trade ledger ---
        executed_on, summary, cash = _book_fill(
            con, order, order_id, fill_price, executed_on, costs
        )
        # --- end of issue 12's block ---
        con.execute(
            sql["executed"],
            {"order_id": order_id, "fill_price": fill_price, "decided_at": datetime.now()},
        )
        audit.append(
            con,
            "order_executed",
            {
                "fill_price": fill_price,
                "quantity": int(order["quantity"]),
                "cash": round(cash, 2),
                "summary": summary,
                **authorised,
            },
            as_of=executed_on,
            subject=order_id,
        )
    return summary


def _book_fill(con, order: dict, order_id: str, fill_price: float, on: date | None, costs):
    """Book an order's fill as a trade dated `on` (default: the order's as-of day); returns
    (the fill's date, a summary, the cash it moved)."""
    from alvh.book.journal import write_open
    from alvh.book.legs import Position
    from alvh.book.trades import close_position

    proposed_on = pd.Timestamp(order["as_of"]).date()
    expiry = pd.Timestamp(order["expiry"]).date()
    on = on or proposed_on
    if on < proposed_on:
        raise UsageError(
            f"order {order_id} was proposed on {proposed_on}; it cannot have been filled on {on}"
        )
    if on >= expiry:
        raise UsageError(
            f"order {order_id} is for the {order['instrument']} expiring {expiry}; a fill on "
            f"{on} is on or after its expiry"
        )
    quantity = int(order["quantity"])
    group_id = order["group_id"] if isinstance(order["group_id"], str) else None
    if order["action"] == "open":
        fees = float(costs.fees(1, quantity))
        position = Position(
            order_id, "vix_call", expiry, quantity, on, fill_price, strike=order["strike"]
        )
        trade = write_open(
            con,
            position,
            source=f"order {order_id}",
            import_id="orders",
            fees=fees,
            trade_id=order_id,
            cash_entry_id=f"order:{order_id}",
            cash_kind_name="hedge_open",
            group_id=group_id,
        )
        summary = f"opened {quantity} {order['instrument']} {order['strike']:g} at {fill_price}"
    else:
        # Two approved closes of one position (a roll proposed on two days) must not sell
        # more than is held: the second is refused by the close itself.
        trade = close_position(
            con,
            order["position_id"],
            fill_price,
            on,
            costs,
            quantity,
            source=f"order {order_id}",
            group_id=group_id,
            trade_id=order_id,
            cash_entry_id=f"order:{order_id}",
        )
        summary = f"closed {quantity} of {order['position_id']} at {fill_price}"
    return on, f"{summary} on {on}", trade.cash
