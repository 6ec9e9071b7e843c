"""What changed since the previous stored run, and why (issue 6 report; issue 5 `alvh history`).

The previous run is the latest earlier day with stored marks or layer states. Compared with it:
layer states and targets (why: the layer's own reason, which names its signals and values),
signals that switched, positions opened, closed or expired, the book's value and greeks (why:
the market's move and the positions that changed), orders proposed, approved, executed or
expired since, and data revisions made by the ingest runs of the days in between.

Reads only the warehouse (no pricing, no charts), so `alvh history` stays quick.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

import duckdb
import pandas as pd

from alvh.core.numbers import finite_or_none
from alvh.core.resources import read_sql_statements
from alvh.report.formatting import MINUS, iso, money, number

EARLIEST = date(1900, 1, 1)
# Book figures compared between runs: (key, label, formatter).
_BOOK_FIGURES = (
    ("value", "book value", money),
    ("delta", "delta ($ per SPX point)", partial(number, digits=1)),
    ("gamma", "gamma ($ per SPX point²)", partial(number, digits=3)),
    ("vega", "vega ($ per vol point)", partial(number, digits=0)),
    ("theta", "theta ($ per day)", partial(number, digits=0)),
    ("risk_capital", "risk capital", money),
    ("condor_vix_sensitivity", "condors' VIX +1 pt", money),
    ("hedge_vix_sensitivity", "hedge's VIX +1 pt", money),
    ("vega_offset_ratio", "vega-offset ratio", partial(number, digits=2)),
    ("liquidity_ratio", "liquidity ratio", partial(number, digits=2)),
)


@dataclass(frozen=True)
class Change:
    """One difference between the previous run and this one."""

    kind: str  # layer | signal | position | book | order | data
    subject: str
    before: str | None
    after: str | None
    why: str

    def as_json(self) -> dict[str, str | None]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "before": self.before,
            "after": self.after,
            "why": self.why,
        }


@dataclass(frozen=True)
class DayState:
    """What one day's run decided and marked, in the shape the comparison needs."""

    as_of: date
    totals: dict[str, float | None] = field(default_factory=dict)
    positions: dict[str, tuple[str, int, str]] = field(default_factory=dict)
    layers: dict[str, dict[str, Any]] = field(default_factory=dict)
    signals: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_parts(
        cls,
        as_of: date,
        totals: Mapping[str, Any],
        positions: Mapping[str, tuple[str, int, str]],
        layers: Mapping[str, Mapping[str, Any]],
        signals: Mapping[str, Mapping[str, Any]],
    ) -> DayState:
        """From freshly computed marks and a decision (a day the run has not stored yet)."""
        return cls(
            as_of,
            {k: finite_or_none(v) for k, v in totals.items()},
            dict(positions),
            {k: dict(v) for k, v in layers.items()},
            {k: dict(v) for k, v in signals.items()},
        )


def _sql() -> dict[str, str]:
    return read_sql_statements("report/changes.sql")


def _rows(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[dict[str, Any]]:
    cursor = con.execute(_sql()[name], params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def previous_run(con: duckdb.DuckDBPyConnection, as_of: date) -> date | None:
    """The latest day before `as_of` with stored marks or layer states."""
    value = con.execute(_sql()["previous_run"], {"as_of": as_of}).fetchall()[0][0]
    return pd.Timestamp(value).date() if value is not None else None


def stored_day_state(con: duckdb.DuckDBPyConnection, as_of: date) -> DayState | None:
    """The stored run of `as_of`, or None when nothing is stored for that day."""
    book = _rows(con, "book_on", as_of=as_of)
    layers = _rows(con, "layers_on", as_of=as_of)
    if not book and not layers:
        return None
    totals = {k: finite_or_none(v) for k, v in book[0].items() if k != "as_of"} if book else {}
    positions = {
        r["position_id"]: (r["kind"], int(r["quantity"]), iso(r["expiry"]))
        for r in _rows(con, "positions_on", as_of=as_of)
    }
    return DayState(
        as_of,
        totals,
        positions,
        {r["layer"]: r for r in layers},
        {r["signal"]: r for r in _rows(con, "signals_on", as_of=as_of)},
    )


def changes_since_previous(
    con: duckdb.DuckDBPyConnection, as_of: date, current: DayState | None = None
) -> list[Change]:
    """Differences between the previous stored run and `as_of`, each with why.

    `current` stands in for a day not stored yet (the report computes it without persisting);
    by default the stored rows of `as_of` are used. Order: layers, signals, positions, book,
    orders, data revisions.
    """
    current = current or stored_day_state(con, as_of)
    previous_day = previous_run(con, as_of)
    before = stored_day_state(con, previous_day) if previous_day else None
    out: list[Change] = []
    if current is None:
        return out
    if before is not None:
        out += _layer_changes(before, current)
        out += _signal_changes(before, current)
        out += _position_changes(before, current)
        out += _book_changes(before, current)
    else:
        out.append(
            Change(
                "run",
                "first run",
                None,
                as_of.isoformat(),
                "no earlier stored run to compare with",
            )
        )
    out += _order_changes(con, previous_day or as_of, as_of)
    out += _revisions(con, previous_day or EARLIEST, as_of)
    return out


def _layer_changes(before: DayState, current: DayState) -> list[Change]:
    out = []
    for layer in sorted(set(before.layers) | set(current.layers)):
        old, new = before.layers.get(layer), current.layers.get(layer)
        if old is None or new is None:
            continue
        if old["state"] != new["state"]:
            out.append(Change("layer", layer, old["state"], new["state"], new["reason"]))
        if int(old["target_contracts"]) != int(new["target_contracts"]):
            out.append(
                Change(
                    "layer",
                    f"{layer} target contracts",
                    str(old["target_contracts"]),
                    str(new["target_contracts"]),
                    new["reason"],
                )
            )
        if int(old["held_contracts"]) != int(new["held_contracts"]):
            out.append(
                Change(
                    "layer",
                    f"{layer} held contracts",
                    str(old["held_contracts"]),
                    str(new["held_contracts"]),
                    "VIX calls of this layer opened, closed or expired since",
                )
            )
    return out


def _signal_label(reading: Mapping[str, Any]) -> str:
    if not reading.get("available"):
        return "unavailable"
    return "ACTIVE" if reading.get("active") else "off"


def _signal_changes(before: DayState, current: DayState) -> list[Change]:
    out = []
    for name in sorted(set(before.signals) & set(current.signals)):
        old, new = _signal_label(before.signals[name]), _signal_label(current.signals[name])
        if old != new:
            out.append(Change("signal", name, old, new, str(current.signals[name]["detail"])))
    return out


def _position_changes(before: DayState, current: DayState) -> list[Change]:
    out = []
    for pid in sorted(set(before.positions) | set(current.positions)):
        old, new = before.positions.get(pid), current.positions.get(pid)
        if old == new:
            continue
        if old is None:
            kind, quantity, expiry = new
            out.append(
                Change("position", pid, None, f"{quantity} × {kind}", f"opened; expires {expiry}")
            )
        elif new is None:
            kind, quantity, expiry = old
            why = (
                f"expired on {expiry}"
                if expiry <= current.as_of.isoformat()
                else "closed (an executed close order)"
            )
            out.append(Change("position", pid, f"{quantity} × {kind}", None, why))
        elif old[1] != new[1]:
            out.append(
                Change(
                    "position",
                    pid,
                    str(old[1]),
                    str(new[1]),
                    "quantity changed: part closed by an executed order",
                )
            )
    return out


def _book_changes(before: DayState, current: DayState) -> list[Change]:
    if not before.totals or not current.totals:
        return []
    b, c = before.totals, current.totals
    market = []
    for key, label, digits in (("spx", "SPX", 2), ("vix", "VIX", 2)):
        if b.get(key) is not None and c.get(key) is not None:
            move = c[key] / b[key] - 1 if b[key] else 0.0
            market.append(
                f"{label} {b[key]:,.{digits}f} → {c[key]:,.{digits}f} "
                f"({'+' if move >= 0 else MINUS}{abs(100 * move):.1f}%)"
            )
    opened = sorted(set(current.positions) - set(before.positions))
    gone = sorted(set(before.positions) - set(current.positions))
    days = (current.as_of - before.as_of).days
    why = "; ".join(
        [
            *market,
            *([f"opened {', '.join(opened)}"] if opened else []),
            *([f"closed or expired {', '.join(gone)}"] if gone else []),
            f"{days} calendar day(s) of time decay",
        ]
    )
    out = []
    for key, label, figure in _BOOK_FIGURES:
        old, new = figure(b.get(key)), figure(c.get(key))
        if old != new:
            out.append(Change("book", label, old, new, why))
    return out


def _order_changes(con: duckdb.DuckDBPyConnection, previous: date, as_of: date) -> list[Change]:
    out = []
    for o in _rows(con, "orders_since", previous=previous, as_of=as_of):
        verb = "buy to open" if o["action"] == "open" else "sell to close"
        what = f"{verb} {o['quantity']} VIX {o['strike']:g} calls exp {iso(o['expiry'])}"
        proposed_on = iso(o["as_of"])
        if o["status"] == "executed":
            status = f"executed at {o['fill_price']:.2f}"
            why = f"approved by {o['approved_by'] or 'n/a'}; fill recorded"
        elif o["status"] == "approved":
            status, why = "approved", f"approved by {o['approved_by']}; awaiting execution"
        elif o["status"] == "expired":
            status, why = "expired", f"not approved before the run after {proposed_on}"
        else:
            status, why = "proposed", o["reason"]
        new_today = proposed_on == as_of.isoformat()
        if not new_today and status == "proposed":
            continue  # still waiting: nothing changed
        out.append(
            Change(
                "order",
                f"{o['order_id']} ({o['layer']}: {what})",
                None if new_today else "proposed",
                status,
                o["reason"] if new_today and status == "proposed" else why,
            )
        )
    return out


def _revisions(con: duckdb.DuckDBPyConnection, previous: date, as_of: date) -> list[Change]:
    out = []
    for r in _rows(con, "revisions", previous=previous, as_of=as_of):
        span = (
            iso(r["first_date"])
            if r["first_date"] == r["last_date"]
            else f"{iso(r['first_date'])} to {iso(r['last_date'])}"
        )
        out.append(
            Change(
                "data",
                f"{r['series_id']}: {r['n']} value(s) revised ({span})",
                f"{r['old_value']:g} ({r['old_sources']})",
                f"{r['new_value']:g} ({r['new_sources']})",
                f"largest revision on {iso(r['largest_date'])}; replaced by ingest run(s) "
                f"{r['runs']}",
            )
        )
    return out
