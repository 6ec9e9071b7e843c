"""Layer strip and orders: each layer's state, target, held, signals and orders (method §6)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from alvh.core.settings import Settings
from alvh.hedge.signals import TITLES
from alvh.report.day import DayDecision, Footnotes, records
from alvh.report.formatting import money, number, percent
from alvh.report.sections.signals import decided_signal_config, signal_value_text

LAYER_TITLES = {"L1": "Base protection", "L2": "Acceleration", "L3": "Convexity roll"}
LAYER_SECTIONS = {"L1": "§6.1", "L2": "§6.2", "L3": "§6.3"}
LAYER_SIGNALS = {"L1": ("S1",), "L2": ("S2", "S3", "S5", "S6"), "L3": ("S4",)}


def order_view(o: Mapping[str, Any], required: int, today: date) -> dict[str, Any]:
    verb = "buy to open" if o["action"] == "open" else "sell to close"
    status = o["status"]
    if not o.get("recorded", True):
        status_text = "proposed (not yet recorded: the daily run has not stored this day)"
        css = "pending"
    elif status == "proposed":
        status_text = f"awaiting approval: {o['approvals']} of {required}"
        if o["approved_by"]:
            status_text += f" ({o['approved_by']})"
        css = "pending"
    elif status == "approved":
        status_text = f"approved by {o['approved_by']}; awaiting execution"
        css = "approved"
    elif status == "executed":
        status_text = f"executed at {number(o['fill_price'])}"
        css = "executed"
    else:
        status_text = status
        css = "expired"
    cost = o["cost"]
    return {
        "order_id": o["order_id"],
        "layer": o["layer"],
        "as_of": o["as_of"],
        "text": (
            f"{verb} {o['quantity']} VIX {o['strike']:g} call{'s' * (o['quantity'] != 1)} "
            f"exp {o['expiry']} at {number(o['price'])} pts"
        ),
        "cost": (f"{money(cost)} premium" if cost >= 0 else f"{money(-cost)} proceeds"),
        "status": status,
        "status_text": status_text,
        "css": css,
        "reason": o["reason"],
        "earlier": o["as_of"] != today.isoformat(),
    }


def layers_section(decision: DayDecision, settings: Settings, fn: Footnotes) -> dict:
    required = settings.approvals_required
    signal_config = decided_signal_config(decision, settings)
    strip = []
    for name in ("L1", "L2", "L3"):
        state = decision.layers.get(name)
        if state is None:
            continue
        target, held = state["target_contracts"], state["held_contracts"]
        gap = target - held
        if gap > 0:
            gap_text = f"{gap} short of target"
        elif gap < 0:
            gap_text = f"{-gap} above target; no sale proposed"
        else:
            gap_text = "on target"
        signals = []
        for sig in LAYER_SIGNALS[name]:
            reading = decision.signals.get(sig, {})
            value_text, rule = signal_value_text(sig, reading, signal_config)
            signals.append(
                {
                    "name": sig,
                    "title": TITLES[sig],
                    "value": value_text,
                    "rule": rule,
                    "on": bool(reading.get("active")),
                    "flag": (
                        "on"
                        if reading.get("active")
                        else ("off" if reading.get("available") else "na")
                    ),
                    "flag_text": (
                        "ON"
                        if reading.get("active")
                        else ("off" if reading.get("available") else "n/a")
                    ),
                }
            )
        orders = [
            order_view(o, required, decision.as_of) for o in decision.orders if o["layer"] == name
        ]
        strip.append(
            {
                "id": name,
                "title": LAYER_TITLES[name],
                "section": LAYER_SECTIONS[name],
                "state": state["state"],
                "css": state["state"].lower(),
                "reason": state["reason"],
                "target": target,
                "held": held,
                "gap": gap_text,
                "capped": state["capped"],
                "cap_detail": state["cap_detail"] or "",
                "signals": signals,
                "orders": orders,
            }
        )
    b = decision.budget
    budget = {
        "text": (
            f"12-month hedge budget {money(b['budget'])} ({percent(b['budget_pct'], 0)} of R "
            f"{money(b['risk_capital'])}); spent {money(b['spent_12m'])}, proposed today "
            f"{money(b['proposed'])}, left after {money(b['left_after'])}"
        ),
        "note": fn.add("budget", "Budget cap: rolling 12-month premium ≤ a share of R (§6.4)."),
    }
    pending = [o for o in decision.orders if o["status"] in ("proposed", "approved")]
    return {
        "strip": strip,
        "budget": budget,
        "source": decision.source,
        "orders": [order_view(o, required, decision.as_of) for o in decision.orders],
        "pending_count": len(pending),
        "approvers": ", ".join(settings.approvers),
        "approver_count": len(settings.approvers),
        "required": required,
    }


def adherence_text(con, as_of: date) -> str:
    row = records(con, "adherence", as_of=as_of)[0]
    decided = int(row["executed"]) + int(row["expired"])
    if not row["proposed"]:
        return "no orders proposed in the last 12 months"
    if not decided:
        return (
            f"none of the {row['proposed']} order(s) proposed in the last 12 months is executed "
            f"or expired yet ({row['pending']} pending)"
        )
    return (
        f"{row['executed']} of {decided} decided orders executed "
        f"({percent(row['executed'] / decided, 0)}) over the last 12 months; "
        f"{row['pending']} pending"
    )
