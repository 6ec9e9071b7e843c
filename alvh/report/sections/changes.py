"""Changes since the previous run, and why (layer states, signals, orders, greeks, data)."""

from __future__ import annotations

from datetime import date

from alvh.report.changes import (
    Change,
    DayState,
    changes_since_previous,
    previous_run,
    stored_day_state,
)
from alvh.report.day import DayBook, DayDecision
from alvh.report.formatting import iso


def changes_section(con, as_of: date, book: DayBook, decision: DayDecision) -> dict:
    current = None
    if book.source == "computed" or decision.source == "computed":
        current = DayState.from_parts(
            as_of,
            totals={**book.totals, "spx": book.spx, "vix": book.vix},
            positions={
                p["position_id"]: (p["kind"], int(p["quantity"]), iso(p["expiry"]))
                for p in book.positions
            },
            layers=decision.layers,
            signals=decision.signals,
        )
        stored = stored_day_state(con, as_of)
        if stored is not None and book.source == "stored":
            current = DayState(
                as_of, stored.totals, stored.positions, current.layers, current.signals
            )
    found: list[Change] = changes_since_previous(con, as_of, current=current)
    previous = previous_run(con, as_of)
    rows = [
        {
            "kind": c.kind,
            "subject": c.subject,
            "before": c.before or "—",
            "after": c.after or "—",
            "why": c.why,
            "why_rows": 1,
        }
        for c in found
        if c.kind != "run"
    ]
    # One reason shared by consecutive rows (the book's figures) is printed once, spanning them.
    for i, row in enumerate(rows):
        if i and row["why"] == rows[i - 1]["why"]:
            row["why_rows"] = 0
            owner = next(j for j in range(i - 1, -1, -1) if rows[j]["why_rows"])
            rows[owner]["why_rows"] += 1
    return {
        "rows": rows,
        "previous": previous.isoformat() if previous else None,
    }
