"""The book after the proposed orders (issue 12): today's totals beside the same book marked as
if every order still proposed or approved for the day were filled at its modelled price."""

from __future__ import annotations

from collections import defaultdict

from alvh.book.legs import Position
from alvh.book.marks import WhatIf, mark_book
from alvh.book.valuation import ModelParams
from alvh.core import calendar
from alvh.hedge.day import configs
from alvh.report.day import DayBook, DayDecision
from alvh.report.formatting import money, number

ROWS = (
    ("Book value", "value", "money"),
    ("Cash", "cash", "money"),
    ("VIX calls", "hedge_value", "money"),
    ("Hedge, VIX +1 pt", "hedge_vix_sensitivity", "money"),
    ("Vega-offset ratio", "vega_offset_ratio", "ratio"),
    ("Liquidity ratio", "liquidity_ratio", "ratio"),
)


def orders_what_if(orders: list[dict], as_of) -> WhatIf:
    """The trades the day's open orders would make: opens as VIX calls at the order's price,
    closes of the position they name, and their cash (the order's cost, fees included)."""
    opened, closed = [], defaultdict(int)
    cash = settled = 0.0
    for o in orders:
        if o["action"] == "open":
            opened.append(
                Position(
                    f"what-if:{o['order_id']}",
                    "vix_call",
                    calendar.as_date(o["expiry"]),
                    int(o["quantity"]),
                    as_of,
                    float(o["price"]),
                    strike=float(o["strike"]),
                )
            )
            if o.get("recorded", True):  # stored orders are counted as pending premium
                settled += float(o["cost"])
        elif isinstance(o.get("position_id"), str):
            closed[o["position_id"]] += int(o["quantity"])
        else:
            continue  # a close that names no position cannot be applied
        cash -= float(o["cost"])
    return WhatIf(tuple(opened), dict(closed), cash, settled)


def _text(value, style: str) -> str:
    if value is None:
        return "n/a"
    return money(value) if style == "money" else number(value)


def what_if_section(con, book: DayBook, decision: DayDecision, settings) -> dict:
    pending = [o for o in decision.orders if o["status"] in ("proposed", "approved")]
    if not pending:
        return {"rows": [], "count": 0}
    what_if = orders_what_if(pending, book.as_of)
    params = book.params or ModelParams()  # the day's surface, as the marks it is set against
    after = mark_book(
        con, book.as_of, params, configs(settings)[2], with_day_pnl=False, what_if=what_if
    ).totals
    rows = [
        {
            "label": label,
            "today": _text(book.totals.get(key), style),
            "after": _text(after[key], style),
        }
        for label, key, style in ROWS
    ]
    return {"rows": rows, "count": len(pending)}
