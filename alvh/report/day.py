"""The day's book and decision for the report: the rows the daily run stored, else computed
on the spot with `mark_day` / `run_layers` (nothing is written); the report says which.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from alvh.book.day_model import mark_day, stored_day_params
from alvh.book.marks import BOOK_TOTALS, BookMarks, sleeve_pnl
from alvh.book.positions import positions_by_id
from alvh.book.valuation import ModelParams
from alvh.core import calendar
from alvh.core.numbers import finite_or_none
from alvh.core.resources import read_sql_statements
from alvh.core.settings import Settings
from alvh.hedge.day import configs, run_layers
from alvh.hedge.order_state import OrderState
from alvh.hedge.rulebook import budget_summary
from alvh.report.formatting import iso


@dataclass
class Footnotes:
    """Numbered notes; the same key always gets the same number."""

    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, key: str, text: str) -> int:
        for item in self.items:
            if item["key"] == key:
                return item["number"]
        number_ = len(self.items) + 1
        self.items.append({"key": key, "number": number_, "text": text, "id": f"fn-{number_}"})
        return number_


@dataclass(frozen=True)
class DayBook:
    as_of: date
    source: str  # "stored" | "computed"
    totals: dict[str, float | None]
    positions: list[dict[str, Any]]
    day_pnl: dict[str, float] | None
    day_pnl_note: str
    assumptions: dict[str, Any]
    spx: float
    vix: float
    # the marks computed for this report (None when stored): the decision and the scenarios
    # reuse them and their market instead of marking and loading again
    marks: BookMarks | None = None
    # the parameters the day's marks were priced with (its fitted surface on a quoted day):
    # the scenarios and the what-if reprice with them
    params: ModelParams | None = None

    @property
    def surface_text(self) -> str:
        """Which §2.1 surface the day's model prices used (`alvh.book.day_model`)."""
        surface = self.assumptions.get("surface") or {}
        return surface.get("text") or "defaults (marked before day-fitted surfaces existed)"


@dataclass(frozen=True)
class DayDecision:
    as_of: date
    source: str  # "stored" | "computed"
    signals: dict[str, dict[str, Any]]
    layers: dict[str, dict[str, Any]]
    orders: list[dict[str, Any]]
    budget: dict[str, float]
    parameters: dict[str, Any]


def report_sql() -> dict[str, str]:
    return read_sql_statements("report/report.sql")


def records(con: duckdb.DuckDBPyConnection, statement: str, **params: Any) -> list[dict]:
    cursor = con.execute(report_sql()[statement], params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


TOTAL_KEYS = BOOK_TOTALS  # the book_marks totals, as alvh.book.marks stores them


def with_structure(con: duckdb.DuckDBPyConnection, positions: list[dict]) -> list[dict]:
    """Each position record with what it is made of (issue 12): its legs (signed units per
    unit, type, strike), its sleeve, whether its risk is defined, and its entry side."""
    terms = positions_by_id(con, [r["position_id"] for r in positions])
    for record in positions:
        position = terms.get(record["position_id"])
        if position is None:
            continue
        record["legs"] = [(leg.units, leg.option_type, leg.strike) for leg in position.legs]
        record["root"] = position.root
        record["sleeve"] = position.sleeve
        record["risk"] = position.risk
        record["entry_side"] = position.entry_side
    return positions


def load_day_book(con: duckdb.DuckDBPyConnection, as_of: date, settings: Settings) -> DayBook:
    """The marked book of `as_of`: stored by the daily run, else marked now (not persisted)."""
    stored = records(con, "stored_book", as_of=as_of)
    if stored:
        row = stored[0]
        totals = {k: finite_or_none(row[k]) for k in TOTAL_KEYS}
        positions = with_structure(con, records(con, "stored_positions", as_of=as_of))
        day_pnl, note = stored_day_pnl(con, as_of, row)
        defaults = ModelParams.from_mapping(settings.model)
        if day_pnl is None:
            _, _, costs = configs(settings)
            day_pnl = mark_day(con, as_of, defaults, costs)[0].day_pnl
            note = "recomputed by the model: the previous trading day's marks are not stored"
        return DayBook(
            as_of,
            "stored",
            totals,
            positions,
            day_pnl,
            note,
            json.loads(row["assumptions"]),
            float(row["spx"]),
            float(row["vix"]),
            params=stored_day_params(con, as_of, defaults),
        )
    _, _, costs = configs(settings)
    marks, model = mark_day(con, as_of, ModelParams.from_mapping(settings.model), costs)
    terms = {r["position_id"]: r for r in records(con, "position_terms")}
    at_market = marks.legs["mark_source"].eq("market").groupby(marks.legs["position_id"])
    legs_marked, legs_at_market = at_market.size().to_dict(), at_market.sum().to_dict()
    positions = []
    for p in marks.positions:
        record = {
            **{k: getattr(p, k) for k in ("position_id", "kind", "quantity", "expiry", "mark")},
            **{k: getattr(p, k) for k in ("value", "pnl", "delta", "gamma", "vega", "theta")},
            "vix_sensitivity": p.vix_sensitivity,
            "max_loss": p.max_loss,
            "breakeven_low": p.breakeven_bounds()[0],
            "breakeven_high": p.breakeven_bounds()[1],
            "mark_source": p.mark_source,
            "model_mark": p.model_mark,
            "legs_marked": int(legs_marked.get(p.position_id, 0)),
            "legs_at_market": int(legs_at_market.get(p.position_id, 0)),
        }
        record.update({k: v for k, v in terms.get(p.position_id, {}).items() if k not in record})
        positions.append(record)
    positions = with_structure(con, positions)
    positions.sort(key=lambda r: (r["kind"], r["expiry"], r["position_id"]))
    return DayBook(
        as_of,
        "computed",
        {k: finite_or_none(marks.totals.get(k)) for k in TOTAL_KEYS},
        positions,
        marks.day_pnl,
        "marked by the model for this report (the daily run has not stored this day)",
        json.loads(json.dumps(marks.assumptions, default=str)),
        float(marks.snapshot.spx),
        float(marks.snapshot.vix),
        marks,
        model.params,
    )


def stored_day_pnl(con, as_of: date, row: Mapping) -> tuple[dict[str, float] | None, str]:
    """Day P&L by sleeve from two stored days and the cash flows between them (method §4.1)."""
    previous = calendar.previous_trading_day(as_of)
    before = records(con, "previous_book", previous=previous)
    if not before:
        return None, ""
    prev = before[0]
    flows = dict(
        con.execute(
            read_sql_statements("book/marks.sql")["flows_between"],
            {"after": previous, "until": as_of},
        ).fetchall()
    )
    return sleeve_pnl(
        row, prev, flows
    ), f"from the stored marks of {previous} and {as_of} and the cash flows between"


def load_day_decision(
    con: duckdb.DuckDBPyConnection, as_of: date, settings: Settings, book: DayBook
) -> DayDecision:
    """Signals, layer states and orders of `as_of`: stored, else decided now (not persisted)."""
    layers = records(con, "stored_layers", as_of=as_of)
    if layers:
        signals = {
            r["signal"]: {
                "value": finite_or_none(r["value"]),
                "threshold": finite_or_none(r["threshold"]),
                "active": bool(r["active"]),
                "available": bool(r["available"]),
                "detail": r["detail"],
            }
            for r in records(con, "stored_signals", as_of=as_of)
        }
        states = {
            r["layer"]: {
                "state": r["state"],
                "reason": r["reason"],
                "target_contracts": int(r["target_contracts"]),
                "held_contracts": int(r["held_contracts"]),
                "capped": bool(r["capped"]),
                "cap_detail": r["cap_detail"],
            }
            for r in layers
        }
        orders = [_order_record(r, as_of) for r in records(con, "day_orders", as_of=as_of)]
        parameters = json.loads(layers[0]["parameters"])
        budget = stored_budget(con, as_of, book, parameters, orders)
        return DayDecision(as_of, "stored", signals, states, orders, budget, parameters)
    decision = run_layers(con, as_of, settings, marks=book.marks).as_json()
    earlier = [
        _order_record(r, as_of)
        for r in records(con, "day_orders", as_of=as_of)
        if iso(r["as_of"]) != as_of.isoformat()
    ]
    orders = earlier + [
        {
            **o,
            "as_of": as_of.isoformat(),
            "status": "proposed",
            "approvals": 0,
            "approved_by": "",
            "recorded": False,
            "position_id": None,
            "fill_price": None,
        }
        for o in decision["orders"]
    ]
    return DayDecision(
        as_of,
        "computed",
        decision["signals"],
        decision["layers"],
        orders,
        decision["budget"],
        decision["parameters"],
    )


def _order_record(r: Mapping, as_of: date) -> dict[str, Any]:
    return {
        "order_id": r["order_id"],
        "as_of": iso(r["as_of"]),
        "layer": r["layer"],
        "action": r["action"],
        "instrument": r["instrument"],
        "strike": float(r["strike"]),
        "expiry": iso(r["expiry"]),
        "quantity": int(r["quantity"]),
        "price": float(r["price"]),
        "cost": float(r["cost"]),
        "status": r["status"],
        "reason": r["reason"],
        "group_id": r["group_id"],
        "position_id": r["position_id"],
        "approvals": int(r["approvals"]),
        "approved_by": r["approved_by"] or "",
        "fill_price": finite_or_none(r["fill_price"]),
        "recorded": True,
    }


def stored_budget(con, as_of: date, book: DayBook, parameters: Mapping, orders) -> dict[str, float]:
    """Method §6.4 budget from stored rows (the engine's own figures when it just ran)."""
    risk_capital = book.totals["risk_capital"] or 0.0
    pct = float(parameters.get("layers", {}).get("hedge_budget_pct", 0.15))
    spent = OrderState(con, as_of, as_of).spent_12m(as_of)
    proposed = sum(
        o["cost"] for o in orders if o["action"] == "open" and o["as_of"] == as_of.isoformat()
    )
    return budget_summary(risk_capital, pct, spent, proposed)
