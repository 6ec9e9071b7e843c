"""The report's context: every number the templates show, computed and formatted here (issue 6).

Templates only lay out what this module hands them (architecture.md). Each figure carries its
unit and the close it belongs to; every model number points to a footnote with the model's
assumptions; data provenance closes the report.

What it reads for `as_of`: the rows the daily run stored (book_marks, position_marks,
signal_values, layer_states, orders). A day not yet marked or decided is computed on the spot
with `mark_book` / `run_layers` and nothing is written; the report says which it is.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from alvh import __version__
from alvh.book.marks import BOOK_TOTALS, BookMarks, mark_book
from alvh.book.positions import open_positions
from alvh.book.scenarios import (
    event_catalogue,
    hedged_breakevens,
    history_inputs,
    scenario_grid,
    stress_replay,
)
from alvh.book.valuation import ModelParams, build_legs
from alvh.core import calendar
from alvh.core.numbers import finite_or_none
from alvh.core.resources import read_sql_statements
from alvh.core.settings import Settings
from alvh.data.ingest import REUSED_NOTE
from alvh.data.market_day import load_market
from alvh.hedge.day import configs, run_layers
from alvh.hedge.signals import SIGNALS, TITLES, compute_signals, load_signal_inputs
from alvh.report import charts
from alvh.report.changes import (
    Change,
    DayState,
    changes_since_previous,
    previous_run,
    stored_day_state,
)
from alvh.report.formatting import iso, money, money_k, number, percent

log = logging.getLogger(__name__)

LAYER_TITLES = {"L1": "Base protection", "L2": "Acceleration", "L3": "Convexity roll"}
LAYER_SECTIONS = {"L1": "§6.1", "L2": "§6.2", "L3": "§6.3"}
LAYER_SIGNALS = {"L1": ("S1",), "L2": ("S2", "S3", "S5", "S6"), "L3": ("S4",)}
# Issue 6: today's book through these months of the event catalogue (method §4.5).
REPORT_EVENT_MONTHS = ("2008-10", "2015-08", "2018-02", "2020-03", "2024-08")
# Below this many stored days the book's own equity curve says little; the report then shows
# the same rules simulated over the last SIMULATION_YEARS years (method §4.3, issue 6).
MIN_BOOK_HISTORY_SESSIONS = 63
SIMULATION_YEARS = 3
SPARKLINE_DAYS = 366
# Heat-map shading: net P&L as a share of risk capital, bin edges (method §4.4).
HEAT_EDGES = (-0.5, -0.25, -0.1, -0.02, 0.02, 0.1, 0.25, 0.5)
HEAT_CLASSES = ("n4", "n3", "n2", "n1", "z", "p1", "p2", "p3", "p4")
# Layer-state colours for the email, where no stylesheet applies (same as report.css).
STATE_COLORS = {"active": "#1d5fa8", "armed": "#c98a00", "off": "#8a94a3"}


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


# ---------------------------------------------------------------------------------------------
# The day's book and decision: stored rows, else computed without persisting


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


@dataclass(frozen=True)
class DayDecision:
    as_of: date
    source: str  # "stored" | "computed"
    signals: dict[str, dict[str, Any]]
    layers: dict[str, dict[str, Any]]
    orders: list[dict[str, Any]]
    budget: dict[str, float]
    parameters: dict[str, Any]


def _sql() -> dict[str, str]:
    return read_sql_statements("report/report.sql")


def _records(con: duckdb.DuckDBPyConnection, statement: str, **params: Any) -> list[dict]:
    cursor = con.execute(_sql()[statement], params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


_TOTAL_KEYS = BOOK_TOTALS  # the book_marks totals, as alvh.book.marks stores them


def load_day_book(con: duckdb.DuckDBPyConnection, as_of: date, settings: Settings) -> DayBook:
    """The marked book of `as_of`: stored by the daily run, else marked now (not persisted)."""
    stored = _records(con, "stored_book", as_of=as_of)
    if stored:
        row = stored[0]
        totals = {k: finite_or_none(row[k]) for k in _TOTAL_KEYS}
        positions = _records(con, "stored_positions", as_of=as_of)
        day_pnl, note = _stored_day_pnl(con, as_of, row)
        if day_pnl is None:
            _, _, costs = configs(settings)
            day_pnl = mark_book(con, as_of, ModelParams(), costs).day_pnl
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
        )
    _, _, costs = configs(settings)
    marks = mark_book(con, as_of, ModelParams(), costs)
    terms = {r["position_id"]: r for r in _records(con, "position_terms")}
    positions = []
    for p in marks.positions:
        record = {
            **{k: getattr(p, k) for k in ("position_id", "kind", "quantity", "expiry", "mark")},
            **{k: getattr(p, k) for k in ("value", "pnl", "delta", "gamma", "vega", "theta")},
            "vix_sensitivity": p.vix_sensitivity,
            "max_loss": p.max_loss,
            "breakeven_low": p.breakevens[0] if p.breakevens else None,
            "breakeven_high": p.breakevens[1] if p.breakevens else None,
        }
        record.update({k: v for k, v in terms.get(p.position_id, {}).items() if k not in record})
        positions.append(record)
    positions.sort(key=lambda r: (r["kind"], r["expiry"], r["position_id"]))
    return DayBook(
        as_of,
        "computed",
        {k: finite_or_none(marks.totals.get(k)) for k in _TOTAL_KEYS},
        positions,
        marks.day_pnl,
        "marked by the model for this report (the daily run has not stored this day)",
        json.loads(json.dumps(marks.assumptions, default=str)),
        float(marks.snapshot.spx),
        float(marks.snapshot.vix),
        marks,
    )


def _stored_day_pnl(con, as_of: date, row: Mapping) -> tuple[dict[str, float] | None, str]:
    """Day P&L by sleeve from two stored days and the cash flows between them (method §4.1)."""
    previous = calendar.previous_trading_day(as_of)
    before = _records(con, "previous_book", previous=previous)
    if not before:
        return None, ""
    prev = before[0]
    flows = dict(
        con.execute(
            read_sql_statements("book/marks.sql")["flows_between"],
            {"after": previous, "until": as_of},
        ).fetchall()
    )
    condor = row["condor_value"] - prev["condor_value"] + flows.get("condor", 0.0)
    hedge = row["hedge_value"] - prev["hedge_value"] + flows.get("hedge", 0.0)
    total = row["value"] - prev["value"] - flows.get("external", 0.0)
    pnl = {"condor": condor, "hedge": hedge, "cash": total - condor - hedge, "total": total}
    return pnl, f"from the stored marks of {previous} and {as_of} and the cash flows between"


def load_day_decision(
    con: duckdb.DuckDBPyConnection, as_of: date, settings: Settings, book: DayBook
) -> DayDecision:
    """Signals, layer states and orders of `as_of`: stored, else decided now (not persisted)."""
    layers = _records(con, "stored_layers", as_of=as_of)
    if layers:
        signals = {
            r["signal"]: {
                "value": finite_or_none(r["value"]),
                "threshold": finite_or_none(r["threshold"]),
                "active": bool(r["active"]),
                "available": bool(r["available"]),
                "detail": r["detail"],
            }
            for r in _records(con, "stored_signals", as_of=as_of)
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
        orders = [_order_record(r, as_of) for r in _records(con, "day_orders", as_of=as_of)]
        parameters = json.loads(layers[0]["parameters"])
        budget = _budget(con, as_of, book, parameters, orders)
        return DayDecision(as_of, "stored", signals, states, orders, budget, parameters)
    decision = run_layers(con, as_of, settings, marks=book.marks).as_json()
    earlier = [
        _order_record(r, as_of)
        for r in _records(con, "day_orders", as_of=as_of)
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


def _budget(con, as_of: date, book: DayBook, parameters: Mapping, orders) -> dict[str, float]:
    """Method §6.4 budget from stored rows (the engine's own figures when it just ran)."""
    risk_capital = book.totals["risk_capital"] or 0.0
    pct = float(parameters.get("layers", {}).get("hedge_budget_pct", 0.15))
    spent = float(
        con.execute(
            read_sql_statements("engine/engine.sql")["spent_12m"], {"as_of": as_of}
        ).fetchall()[0][0]
    )
    proposed = sum(
        o["cost"] for o in orders if o["action"] == "open" and o["as_of"] == as_of.isoformat()
    )
    total = pct * risk_capital
    return {
        "risk_capital": risk_capital,
        "budget_pct": pct,
        "budget": total,
        "spent_12m": spent,
        "proposed": proposed,
        "left_after": total - spent - proposed,
    }


# ---------------------------------------------------------------------------------------------
# Sections


def _header(con, as_of: date, settings: Settings, run_id: str | None, fn: Footnotes) -> dict:
    freshness = []
    stale_count = 0
    for r in _records(con, "freshness", as_of=as_of):
        last = pd.Timestamp(r["last_date"]).date()
        monthly = r["frequency"] == "monthly"
        since = _month_end(last) if monthly else last
        sessions = calendar.trading_days_between(since, as_of) if since < as_of else 0
        tolerance = (
            settings.stale_after_trading_days_monthly
            if monthly
            else settings.stale_after_trading_days_daily
        )
        stale = sessions > tolerance
        stale_count += stale
        freshness.append(
            {
                "series": r["series_id"],
                "description": r["description"],
                "publisher": r["publisher"],
                "last": last.strftime("%Y-%m") if monthly else last.isoformat(),
                "sessions": sessions,
                "stale_text": (
                    "current" if sessions == 0 else f"{sessions} session{'s' * (sessions != 1)}"
                ),
                "stale": stale,
                "css": "stale" if stale else "fresh",
                "source": r["source"],
                "frequency": r["frequency"],
                "ingest_run_id": r["ingest_run_id"],
            }
        )
    ingest = _records(con, "latest_ingest", as_of=as_of)
    banner = None
    ingest_info: dict[str, Any] = {"run_id": "none", "mode": "none", "items": []}
    if not ingest:
        banner = {
            "level": "warn",
            "title": "No ingest run is recorded in this warehouse",
            "lines": ["Run 'alvh ingest' (or 'alvh init') before relying on this report."],
        }
    else:
        run = ingest[0]
        items = _records(con, "ingest_items", run_id=run["run_id"])
        ingest_info = {
            "run_id": run["run_id"],
            "mode": run["source_mode"],
            "started": iso(run["started_at"]),
            "items": items,
        }
        fallback = [i for i in items if i["status"] == "fallback"]
        failed = [i for i in items if i["status"] in ("failed", "unreachable")]
        served = [i for i in items if i["source"] == "snapshot"]
        if run["source_mode"] == "snapshot":
            banner = {
                "level": "warn",
                "title": "OFFLINE SNAPSHOT — not live publisher data",
                "lines": [
                    f"The latest ingest ran in snapshot mode: all {len(served)} items came from "
                    "the bundled offline snapshot, not from Cboe or FRED. Its newest "
                    "observations may lag the market: check the data freshness list.",
                ],
            }
        elif fallback or failed:
            lines = [f"{i['item']}: {i['note'] or i['status']}" for i in [*fallback, *failed]][:12]
            banner = {
                "level": "warn" if not failed else "bad",
                "title": (
                    f"OFFLINE SNAPSHOT served for {len(fallback)} item(s): live publishers "
                    "unreachable"
                    if fallback
                    else f"{len(failed)} item(s) failed to load"
                ),
                "lines": lines,
            }
    code = {"version": __version__, "git_commit": _git_commit(), "flow_run_id": ""}
    if run_id:
        runs = _records(con, "pipeline_run", run_id=run_id)
        if runs:
            code["git_commit"] = runs[0]["git_commit"] or code["git_commit"]
            code["flow_run_id"] = runs[0]["flow_run_id"] or ""
    return {
        "freshness": freshness,
        "stale_count": stale_count,
        "banner": banner,
        "ingest": ingest_info,
        "code": code,
    }


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _git_commit() -> str:
    """The checkout's commit when running from a git working tree (read from .git, no git)."""
    root = Path(__file__).resolve().parents[2] / ".git"
    try:
        head = (root / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head[:12]
        ref = head[5:]
        loose = root / ref
        if loose.is_file():
            return loose.read_text().strip()[:12]
        packed = root / "packed-refs"
        if packed.is_file():
            for line in packed.read_text().splitlines():
                if line.endswith(" " + ref):
                    return line.split()[0][:12]
    except OSError:
        pass
    return "unknown"


def _summary(book: DayBook, decision: DayDecision, fn: Footnotes) -> dict:
    t = book.totals
    model = fn.add(
        "model",
        "Options are model-priced (no free historical option chains): SPX legs by "
        "Black–Scholes on a VIX-derived skewed surface, VIX calls by Black-76 on the modelled or "
        "observed VIX future (method §2). Parameters under Model assumptions.",
    )
    liquidity = t["liquidity_ratio"]
    liquidity_flag = liquidity is not None and liquidity < 1
    pnl = book.day_pnl
    l2_offset = decision.parameters.get("layers", {}).get("l2_offset")
    cards = [
        {
            "key": "value",
            "label": "Book value",
            "value": money(t["value"]),
            "unit": "USD",
            "detail": (
                f"cash {money(t['cash'])} · condors {money(t['condor_value'])} · "
                f"VIX calls {money(t['hedge_value'])}"
            ),
            "flag": "",
            "note": model,
        },
        {
            "key": "day-pnl",
            "label": "Day P&L",
            "value": money(pnl["total"], signed=True) if pnl else "n/a",
            "unit": "USD",
            "detail": (
                f"condors {money(pnl['condor'], signed=True)} · hedge "
                f"{money(pnl['hedge'], signed=True)} · cash {money(pnl['cash'], signed=True)}"
                if pnl
                else "no previous day to compare with"
            ),
            "flag": "neg" if pnl and pnl["total"] < 0 else "",
            "note": fn.add("daypnl", f"Day P&L: {book.day_pnl_note}. Method §4.1."),
        },
        {
            "key": "risk-capital",
            "label": "Risk capital R",
            "value": money(t["risk_capital"]),
            "unit": "USD",
            "detail": "Σ condor max loss (method §3.3)",
            "flag": "",
            "note": None,
        },
        {
            "key": "liquidity",
            "label": "Liquidity ratio",
            "value": number(liquidity) if liquidity is not None else "unbounded",
            "unit": "×" if liquidity is not None else "",
            "detail": (
                "BELOW 1: cash + hedge liquidation value do not cover near-term max loss"
                if liquidity_flag
                else (
                    "(cash + hedge liquidation) / (max loss ≤ 30 days + pending premium)"
                    if liquidity is not None
                    else "nothing owed within 30 days"
                )
            ),
            "flag": "bad" if liquidity_flag else "good",
            "note": fn.add("liquidity", "Liquidity, the article's quick ratio (method §4.6)."),
        },
    ]
    greeks = [
        {"label": "Delta", "value": money(t["delta"], 1, True), "unit": "per SPX point"},
        {"label": "Gamma", "value": money(t["gamma"], 3, True), "unit": "per SPX point²"},
        {"label": "Vega", "value": money(t["vega"], 0, True), "unit": "per vol point"},
        {"label": "Theta", "value": money(t["theta"], 0, True), "unit": "per calendar day"},
    ]
    ratio = t["vega_offset_ratio"]
    vix = [
        {
            "label": "Condors, VIX +1 pt",
            "value": money(t["condor_vix_sensitivity"], 0, True),
            "unit": "USD",
        },
        {
            "label": "Hedge, VIX +1 pt",
            "value": money(t["hedge_vix_sensitivity"], 0, True),
            "unit": "USD",
        },
        {
            "label": "Vega-offset ratio",
            "value": number(ratio) if ratio is not None else "n/a",
            "unit": (
                f"hedge / |condors| (L2 aims at {number(l2_offset)})"
                if l2_offset is not None
                else "hedge / |condors|"
            ),
        },
    ]
    return {
        "cards": cards,
        "greeks": greeks,
        "greeks_note": fn.add(
            "greeks",
            "Dollar greeks of the condor sleeve (method §1, §4.2): delta per SPX point, gamma "
            "per point², vega per volatility point; theta per calendar day includes the VIX "
            "calls. A VIX call's own delta is per point of its future, so the hedge enters "
            "through its VIX sensitivity, measured by repricing at VIX ± 1 point.",
        ),
        "vix": vix,
        "market": f"SPX {number(book.spx)} · VIX {number(book.vix)}",
        "source": book.source,
    }


def _signal_value_text(name: str, reading: Mapping[str, Any]) -> tuple[str, str]:
    """(value, rule) of one signal for the strip and the panel."""
    value, threshold = reading.get("value"), reading.get("threshold")
    if not reading.get("available", False):
        detail = str(reading.get("detail", ""))
        why = detail.removeprefix("unavailable: ").split(" (")[0] if detail else ""
        return (f"unavailable ({why})" if why else "unavailable"), ""
    if name == "S1":
        return f"CAPE percentile {number(value)}", f"≥ {number(threshold)} and VIX < 25"
    if name == "S2":
        if value is None:
            return "no release today", f"|z| ≥ {number(threshold, 1)} on a CPI/PPI release"
        return f"z {number(value, 2, True)}", f"|z| ≥ {number(threshold, 1)}"
    if name == "S3":
        return f"max |z| {number(value)}", f"≥ {number(threshold, 1)}"
    if name == "S4":
        return f"RSI(14) {number(value, 1)}", f"≥ {number(threshold, 0)} or VIX ≥ 1.5 × 20-day min"
    if name == "S5":
        return f"MACD gap {number(value)}", "< 0 at a new high (bearish divergence)"
    if name == "S6":
        return f"ERP {percent(value, 2, True)}", f"< {percent(threshold, 2, True)} (20th pct)"
    return number(value), number(threshold)


def _order_view(o: Mapping[str, Any], required: int, today: date) -> dict[str, Any]:
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


def _layers(decision: DayDecision, settings: Settings, fn: Footnotes) -> dict:
    required = settings.approvals_required
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
            value_text, rule = _signal_value_text(sig, reading)
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
            _order_view(o, required, decision.as_of) for o in decision.orders if o["layer"] == name
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
        "orders": [_order_view(o, required, decision.as_of) for o in decision.orders],
        "pending_count": len(pending),
        "approvers": ", ".join(settings.approvers),
        "approver_count": len(settings.approvers),
        "required": required,
    }


def _adherence(con, as_of: date) -> str:
    row = _records(con, "adherence", as_of=as_of)[0]
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


SPARK_STYLE = {
    "S1": {},
    "S2": {"symmetric": True, "markers": True},
    "S3": {},
    "S4": {},
    "S5": {},
    "S6": {"percent": True},
}


def _signals(con, as_of: date, settings: Settings, decision: DayDecision, fn: Footnotes) -> list:
    signal_config, _, _ = configs(settings)
    start = as_of - timedelta(days=SPARKLINE_DAYS)
    history = compute_signals(load_signal_inputs(con, as_of, start=start), signal_config)
    panel = []
    for name in SIGNALS:
        frame = history.frame(name)
        reading = decision.signals.get(name, {})
        value_text, rule = _signal_value_text(name, reading)
        values = frame["value"].to_numpy(dtype=float)
        chart = None
        if np.isfinite(values).any():
            chart = charts.sparkline(
                f"spark-{name}",
                frame.index.to_numpy(),
                values,
                frame["threshold"].to_numpy(dtype=float),
                frame["active"].to_numpy(dtype=bool),
                **SPARK_STYLE[name],
            )
        available_share = float(frame["available"].mean()) if len(frame) else 0.0
        panel.append(
            {
                "name": name,
                "title": TITLES[name],
                "state": (
                    "ACTIVE"
                    if reading.get("active")
                    else ("off" if reading.get("available") else "unavailable")
                ),
                "css": (
                    "on" if reading.get("active") else ("off" if reading.get("available") else "na")
                ),
                "value": value_text,
                "rule": rule,
                "detail": reading.get("detail", ""),
                "chart": chart,
                "active_days": int(frame["active"].sum()),
                "sessions": len(frame),
                "available_share": percent(available_share, 0),
                "window": f"{iso(frame.index[0])} to {iso(frame.index[-1])}",
            }
        )
    return panel


def _drawdown_stats(dates: pd.DatetimeIndex, equity: np.ndarray) -> dict[str, str]:
    peak = np.maximum.accumulate(equity)
    with np.errstate(invalid="ignore", divide="ignore"):
        dd = np.where(peak > 0, equity / peak - 1.0, 0.0)
    trough = int(np.argmin(dd))
    peak_at = int(np.argmax(equity[: trough + 1])) if trough >= 0 else 0
    return {
        "current": percent(dd[-1], 1),
        "max": percent(dd[trough], 1),
        "max_raw": float(dd[trough]),
        "when": (f"{iso(dates[peak_at])} → {iso(dates[trough])}" if dd[trough] < 0 else "none"),
    }


def _equity(
    con,
    as_of: date,
    settings: Settings,
    book: DayBook,
    fn: Footnotes,
    simulate: Callable | None,
) -> dict:
    history = pd.DataFrame(_records(con, "book_history", as_of=as_of))
    if book.source == "computed":
        flows = float(con.execute(_sql()["hedge_flows_until"], {"as_of": as_of}).fetchall()[0][0])
        today = {
            "as_of": pd.Timestamp(as_of),
            "value": book.totals["value"],
            "cash": book.totals["cash"],
            "condor_value": book.totals["condor_value"],
            "hedge_value": book.totals["hedge_value"],
            "hedge_pnl": book.totals["hedge_value"] + flows,
        }
        history = pd.concat(
            [
                history[history["as_of"] != pd.Timestamp(as_of)] if len(history) else history,
                pd.DataFrame([today]),
            ],
            ignore_index=True,
        )
    sessions = len(history)
    own_text = (
        "Book equity = cash + condor marks + VIX-call marks per stored day (method §4.3); "
        "unhedged = the same less the hedge sleeve's P&L to date (its marks plus every hedge "
        "premium paid or received; interest on that cash is not separated). Deposits and "
        "withdrawals are included as they happened."
    )
    mode = "book"
    simulated = None
    note = ""
    if sessions < MIN_BOOK_HISTORY_SESSIONS:
        simulated = simulate(con, as_of, settings) if simulate is not None else None
        if simulated is not None and "unavailable" not in simulated:
            mode = "simulated"
        else:
            mode = "book-short"
            why = (
                simulated["unavailable"]
                if simulated
                else "the backtest engine (alvh.backtest) is not available in this build"
            )
            note = (
                f"The book's own history holds {sessions} stored day(s), fewer than the "
                f"{MIN_BOOK_HISTORY_SESSIONS} needed for a meaningful curve, and a simulation of "
                f"the same rules over the last {SIMULATION_YEARS} years is not shown: {why}. "
                "No numbers are printed rather than invented ones."
            )
    if mode == "simulated":
        dates = pd.DatetimeIndex(simulated["dates"])
        hedged = np.asarray(simulated["hedged"], dtype=float)
        unhedged = np.asarray(simulated["unhedged"], dtype=float)
        label = simulated["label"]
        note = (
            f"The book holds {sessions} stored day(s), too few for its own curve "
            f"({MIN_BOOK_HISTORY_SESSIONS} needed): the curves below are SIMULATED with the same "
            "rules, not this book's history."
        )
        ref = fn.add("equity-sim", simulated["footnote"])
    else:
        dates = pd.DatetimeIndex(pd.to_datetime(history["as_of"])) if sessions else None
        hedged = history["value"].to_numpy(dtype=float) if sessions else np.array([])
        unhedged = hedged - history["hedge_pnl"].to_numpy(dtype=float) if sessions else hedged
        label = f"the book's stored history, {sessions} day(s)"
        ref = fn.add("equity-own", own_text)
    if dates is None or len(dates) < 2:
        return {
            "mode": mode,
            "simulated": False,
            "chart": None,
            "note": note or "The book has fewer than two stored days: no curve to draw.",
            "stats": [],
            "reduction": "n/a",
            "label": label,
            "ref": ref,
            "window": "",
        }
    chart = charts.equity_chart(
        "equity", dates.to_numpy(), hedged, unhedged, simulated=mode == "simulated"
    )
    h, u = _drawdown_stats(dates, hedged), _drawdown_stats(dates, unhedged)
    reduction = percent(1 - h["max_raw"] / u["max_raw"], 0) if u["max_raw"] < 0 else "n/a"
    stats = [
        {"label": "Current drawdown", "hedged": h["current"], "unhedged": u["current"]},
        {"label": "Maximum drawdown", "hedged": h["max"], "unhedged": u["max"]},
        {"label": "Maximum drawdown, peak → trough", "hedged": h["when"], "unhedged": u["when"]},
        {
            "label": "Equity at the end",
            "hedged": money(hedged[-1]),
            "unhedged": money(unhedged[-1]),
        },
    ]
    return {
        "mode": mode,
        "simulated": mode == "simulated",
        "chart": chart,
        "note": note,
        "stats": stats,
        "reduction": reduction,
        "label": label,
        "ref": ref,
        "window": f"{iso(dates[0])} to {iso(dates[-1])}",
    }


def _heat_class(pnl: float, risk_capital: float) -> str:
    if not risk_capital:
        return "z"
    share = pnl / risk_capital
    return HEAT_CLASSES[int(np.searchsorted(HEAT_EDGES, share, side="right"))]


def _profit_zones(rows: pd.DataFrame) -> str:
    """Where the hedged book makes money at one horizon, from its break-even crossings."""
    ordered = rows.sort_values("spx")
    if ordered.empty:
        return "no break-even in −40 % … +25 %"
    sides = ordered["side"].tolist()
    levels = ordered["spx"].tolist()
    # Below the first crossing P&L is negative when that crossing's side is "lower".
    positive = sides[0] != "lower"
    bounds = [None, *levels, None]
    zones = []
    for i in range(len(bounds) - 1):
        if positive:
            lo, hi = bounds[i], bounds[i + 1]
            if lo is None:
                zones.append(f"below {number(hi, 0)}")
            elif hi is None:
                zones.append(f"above {number(lo, 0)}")
            else:
                zones.append(f"{number(lo, 0)}–{number(hi, 0)}")
        positive = not positive
    return "profit " + "; ".join(zones) if zones else "no profit zone"


def _scenarios(con, as_of: date, book: DayBook, fn: Footnotes) -> dict:
    positions = open_positions(con, as_of)
    note = fn.add(
        "scenarios",
        "Scenarios reprice every leg (no greeks): SPX shocks × VIX responses, where 'fit' is "
        "the §2.4 regression of daily log VIX changes on SPX returns (down and up days "
        "separately) and +N adds N VIX points through the §2.2 futures curve; horizons of 1 "
        "and 5 trading days and the book's next expiry. P&L against today's marks.",
    )
    if not positions:
        return {"heat": [], "breakevens": [], "stress": [], "note": note, "empty": True}
    snapshot = book.marks.snapshot if book.marks is not None else load_market(con, as_of)
    params = ModelParams()
    legs = build_legs(positions)
    fit, moves = history_inputs(con, as_of)
    grid = scenario_grid(legs, positions, snapshot, params, fit)
    risk_capital = book.totals["risk_capital"] or 0.0
    heat = []
    for label, block in grid.groupby("horizon", sort=False):
        shocks = sorted(block["spx_shock"].unique())
        columns = [
            {"shock": percent(s, 0, True), "spx": number(snapshot.spx * (1 + s), 0)} for s in shocks
        ]
        rows = []
        for response, sub in block.groupby("vix_response", sort=False):
            sub = sub.set_index("spx_shock").loc[shocks]
            if response == "fit":
                title = "fit (§2.4)"
                sub_title = (
                    f"VIX {number(sub['vix'].iloc[0], 1)} … {number(sub['vix'].iloc[-1], 1)}"
                )
            else:
                title = f"VIX {response} pts"
                sub_title = f"VIX {number(sub['vix'].iloc[0], 1)}"
            rows.append(
                {
                    "response": title,
                    "sub": sub_title,
                    "cells": [
                        {
                            "text": money_k(v),
                            "css": _heat_class(v, risk_capital),
                            "title": f"condors {money(c)}, hedge {money(h)}",
                        }
                        for v, c, h in zip(
                            sub["net_pnl"], sub["condor_pnl"], sub["hedge_pnl"], strict=True
                        )
                    ],
                }
            )
        heat.append(
            {
                "label": label,
                "days": int(block["horizon_days"].iloc[0]),
                "columns": columns,
                "rows": rows,
            }
        )
    crossings = hedged_breakevens(legs, positions, snapshot, params, fit)
    breakevens = []
    for label in grid["horizon"].unique():
        rows = crossings[crossings["horizon"] == label].sort_values("spx")
        breakevens.append(
            {
                "horizon": label,
                "levels": [
                    {
                        "spx": number(r.spx, 0),
                        "move": percent(r.move, 1, True),
                        "side": "losses below" if r.side == "lower" else "losses above",
                    }
                    for r in rows.itertuples()
                ],
                "zones": _profit_zones(rows),
            }
        )
    stress = _stress(legs, snapshot, params, moves, fn)
    return {
        "heat": heat,
        "breakevens": breakevens,
        "stress": stress,
        "note": note,
        "empty": False,
        "spx": number(snapshot.spx),
        "vix": number(snapshot.vix),
        "fit": (
            f"down days {number(fit.down_slope)} · up days {number(fit.up_slope)} "
            "(log VIX change per unit SPX return)"
        ),
        "legend": [
            {"css": css, "text": text}
            for css, text in zip(
                HEAT_CLASSES,
                (
                    "≤ −50% of R",
                    "−50…−25%",
                    "−25…−10%",
                    "−10…−2%",
                    "±2%",
                    "+2…+10%",
                    "+10…+25%",
                    "+25…+50%",
                    "> +50% of R",
                ),
                strict=True,
            )
        ],
    }


def _stress(legs, snapshot, params, moves: pd.DataFrame, fn: Footnotes) -> list[dict]:
    if moves.empty:
        return []
    catalogue = event_catalogue()
    names: list[tuple[str, str]] = []
    for month in REPORT_EVENT_MONTHS:
        first = pd.Timestamp(f"{month}-01")
        last = first + pd.offsets.MonthEnd(0)
        # the catalogue event whose window covers the month
        hit = catalogue[(catalogue["start"] <= last) & (catalogue["end"] >= first)]
        if len(hit) and hit.iloc[0]["event"] not in [n for n, _ in names]:
            names.append((hit.iloc[0]["event"], month))
    table = moves.set_index("event").reindex([n for n, _ in names]).dropna(subset=["start"])
    if table.empty:
        return []
    labels = dict(names)
    table = table.reset_index()
    replay = stress_replay(legs, snapshot, params, table)
    note = fn.add(
        "stress",
        "Stress replay (method §4.5): each event's SPX return and VIX change from the close "
        "before its window to its worst SPX close, applied instantly to today's book; VIX "
        "futures follow by the model. The event's own VX1 change is shown beside it.",
    )
    rows = []
    for r in replay.itertuples():
        rows.append(
            {
                "event": labels[r.event],
                "catalogue": r.event,
                "description": r.description,
                "window": f"{iso(r.start)} → {iso(r.worst_day)}",
                "spx": percent(r.spx_return, 1, True),
                "vix": number(r.vix_change, 1, True) + " pts",
                "vx1": (number(r.vx1_change, 1, True) + " pts")
                if finite_or_none(r.vx1_change) is not None
                else "n/a (before 2007)",
                "condor": money(r.condor_pnl, signed=True),
                "hedge": money(r.hedge_pnl, signed=True),
                "net": money(r.net_pnl, signed=True),
                "net_css": "bad" if r.net_pnl < 0 else "good",
                "reduction": percent(r.loss_reduction, 0)
                if finite_or_none(r.loss_reduction) is not None
                else "n/a",
                "note": note,
            }
        )
    return rows


def _positions(book: DayBook) -> dict:
    rows = []
    for p in book.positions:
        condor = p["kind"] == "iron_condor"
        if condor:
            strikes = [
                f"P {p['put_long']:g}/{p['put_short']:g}",
                f"C {p['call_short']:g}/{p['call_long']:g}",
            ]
            bes = (
                [number(p["breakeven_low"]), number(p["breakeven_high"])]
                if finite_or_none(p.get("breakeven_low")) is not None
                else ["n/a"]
            )
        else:
            strikes = [
                f"strike {p['strike']:g}" if finite_or_none(p.get("strike")) is not None else ""
            ]
            bes = ["—"]
        rows.append(
            {
                "id": p["position_id"],
                "kind": "iron condor" if condor else "VIX call",
                "strikes": strikes,
                "quantity": str(int(p["quantity"])),
                "expiry": iso(p["expiry"]),
                "entry": number(p.get("entry_price")),
                "mark": number(p["mark"]),
                "value": money(p["value"]),
                "pnl": money(p["pnl"], signed=True),
                "pnl_css": "bad" if (p["pnl"] or 0) < 0 else "good",
                # a VIX call's delta and gamma are per point of its VIX future and its vega
                # per point of VIX-option vol: marked †, and not in the SPX totals
                "delta": number(p["delta"], 1, True) + ("" if condor else " †"),
                "gamma": number(p["gamma"], 3, True) + ("" if condor else " †"),
                "vega": number(p["vega"], 0, True) + ("" if condor else " †"),
                "theta": number(p["theta"], 0, True),
                "vix_sens": number(p["vix_sensitivity"], 0, True),
                "max_loss": money(p["max_loss"]) if finite_or_none(p.get("max_loss")) else "—",
                "breakevens": bes,
            }
        )
    t = book.totals
    totals = {
        "value": money((t["condor_value"] or 0) + (t["hedge_value"] or 0)),
        "pnl": money(sum(p["pnl"] for p in book.positions), signed=True),
        "delta": number(t["delta"], 1, True),
        "gamma": number(t["gamma"], 3, True),
        "vega": number(t["vega"], 0, True),
        "theta": number(t["theta"], 0, True),
        "vix_sens": number(
            (t["condor_vix_sensitivity"] or 0) + (t["hedge_vix_sensitivity"] or 0), 0, True
        ),
        "max_loss": money(t["risk_capital"]),
    }
    return {"rows": rows, "totals": totals, "count": len(rows), "source": book.source}


def _changes(con, as_of: date, book: DayBook, decision: DayDecision) -> dict:
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


def _assumptions(book: DayBook, decision: DayDecision, settings: Settings) -> list[dict]:
    """Every parameter in force, grouped, as key/value text (method: print the values used)."""
    market = book.assumptions.get("market", {})
    groups = []
    stale = market.get("stale_sessions", {}) or {}
    market_items = [
        ("SPX close", number(market.get("spx"))),
        ("VIX close", number(market.get("vix"))),
        (
            "VIX9D / VIX3M / VIX6M",
            " / ".join(number(market.get(k)) for k in ("vix9d", "vix3m", "vix6m")),
        ),
        ("VVIX", number(market.get("vvix"))),
        ("3-month rate", f"{percent(market.get('rate'), 2)} ({market.get('rate_source')})"),
        (
            "dividend yield",
            f"{percent(market.get('dividend_yield'), 2)} ({market.get('dividend_source')})",
        ),
        ("VIX futures observed on the day", str(market.get("vx_contracts_observed", "n/a"))),
        ("VIX forward source", ", ".join(book.assumptions.get("vx_forward_sources", [])) or "n/a"),
        (
            "inputs carried forward (sessions)",
            ", ".join(f"{k} {v}" for k, v in sorted(stale.items()) if v) or "none",
        ),
    ]
    groups.append({"title": f"Market inputs at the close of {book.as_of}", "entries": market_items})
    groups.append(
        {
            "title": "Pricing model (method §2)",
            "entries": _flatten(book.assumptions.get("model", {})),
        }
    )
    groups.append(
        {"title": "Costs (method §3.4)", "entries": _flatten(book.assumptions.get("costs", {}))}
    )
    params = decision.parameters
    groups.append({"title": "Layers (method §6)", "entries": _flatten(params.get("layers", {}))})
    groups.append({"title": "Signals (method §5)", "entries": _flatten(params.get("signals", {}))})
    groups.append(
        {
            "title": "Approvals (method §6.5)",
            "entries": [
                ("approvers", ", ".join(settings.approvers)),
                ("approvals required", str(settings.approvals_required)),
            ],
        }
    )
    return groups


def _flatten(values: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for key in sorted(values):
        value = values[key]
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.extend(_flatten(value, name + "."))
        elif isinstance(value, float):
            out.append((name, f"{value:g}"))
        else:
            out.append((name, str(value)))
    return out


def _provenance(header: dict) -> list[dict]:
    items = {i["item"]: i for i in header["ingest"]["items"]}
    rows = []
    for f in header["freshness"]:
        item = items.get(f["series"], {})
        rows.append(
            {
                "series": f["series"],
                "description": f["description"],
                "publisher": f["publisher"],
                "last": f["last"],
                "source": f["source"],
                "origin": Path(item.get("origin", "")).name or item.get("origin", ""),
                # staleness relative to the ingest day is replaced by the as-of freshness above;
                # whether this run re-read an unchanged file is the run's business, not the data's
                "note": "; ".join(
                    part
                    for part in item.get("note", "").split("; ")
                    if part and not part.startswith(("stale feed", REUSED_NOTE))
                ),
            }
        )
    return rows


SIMULATION_PRESET = "cndr"
SIMULATION_VARIANT = "alvh"


def simulate_recent(
    con: duckdb.DuckDBPyConnection, as_of: date, settings: Settings
) -> dict[str, Any] | None:
    """The same rules over the last SIMULATION_YEARS years from the backtest engine (method §7):
    the `cndr` condor preset with the full ALVH hedge vs unhedged, under the settings in force.

    None when the backtest package is missing; {"unavailable": reason} when it cannot run on
    this warehouse (for example, too little history).
    """
    try:
        from alvh.backtest import BacktestConfig, load_inputs, run_backtest
        from alvh.backtest.presets import get_preset
    except ImportError:
        return None
    from alvh.core.errors import AlvhError

    signal_config, layer_config, costs = configs(settings)
    start = (pd.Timestamp(as_of) - pd.DateOffset(years=SIMULATION_YEARS)).date()
    config = BacktestConfig(
        preset=SIMULATION_PRESET,
        variants=(SIMULATION_VARIANT,),
        costs=costs,
        layers=layer_config,
    )
    try:
        inputs = load_inputs(con, start, as_of, signal_config)
        result = run_backtest(inputs, config)
    except (AlvhError, ValueError, KeyError, IndexError) as exc:
        return {"unavailable": f"the simulation could not run on this warehouse ({exc})"}
    except Exception as exc:  # a report must still go out; the note names the failure
        log.warning("simulated history failed for %s: %s", as_of, exc, exc_info=True)
        return {"unavailable": f"the simulation failed ({type(exc).__name__}: {exc})"}
    hedged = result.variants[SIMULATION_VARIANT]
    unhedged = result.variants["unhedged"]
    first, last = iso(result.days[0]), iso(result.days[-1])
    preset = get_preset(SIMULATION_PRESET)
    return {
        "dates": result.days,
        "hedged": hedged.equity,
        "unhedged": unhedged.equity,
        "label": (
            f"the {SIMULATION_PRESET} condor preset with the full ALVH hedge vs unhedged, "
            f"simulated {first} to {last} from {money(config.initial_equity)}"
        ),
        "footnote": (
            f"SIMULATED, not this book: backtest run {result.run_id} (method §7) of the "
            f"{SIMULATION_PRESET} preset ({preset.description}) over {first} to {last}, "
            f"variants '{SIMULATION_VARIANT}' (hedged) and 'unhedged', starting equity "
            f"{money(config.initial_equity)}, with the layer, signal and cost settings in "
            "force; options model-priced on the same path. docs/backtest.md has the rules."
        ),
    }


# ---------------------------------------------------------------------------------------------
# The whole context


def _day_head(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    settings: Settings,
    run_id: str | None,
    fn: Footnotes,
) -> tuple[DayBook, DayDecision, dict[str, Any]]:
    """The day's book and decision, and the sections the email summary is made of (the report
    and a later `alvh email` share them)."""
    book = load_day_book(con, as_of, settings)
    decision = load_day_decision(con, as_of, settings, book)
    head = {
        "title": f"ALVH Risk — daily report {as_of.isoformat()}",
        "as_of": as_of.isoformat(),
        "source_note": (
            "from the rows the daily run stored"
            if book.source == "stored" and decision.source == "stored"
            else "computed for this report (the daily run has not stored this day; nothing "
            "was written)"
        ),
        "header": _header(con, as_of, settings, run_id, fn),
        "summary": _summary(book, decision, fn),
        "layers": _layers(decision, settings, fn),
    }
    return book, decision, head


def build_context(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    settings: Settings,
    run_id: str | None = None,
    simulate: Callable | None = None,
) -> dict[str, Any]:
    """Everything the report template shows for `as_of`, formatted (see module docstring).

    `run` holds what differs between two renderings of the same day (generation time, run and
    ingest ids, commit); the content hash leaves it out.
    """
    fn = Footnotes()
    book, decision, head = _day_head(con, as_of, settings, run_id, fn)
    header = head["header"]
    generated = datetime.now(UTC)
    context = {
        **head,
        "as_of_long": f"{as_of:%A} {as_of.day} {as_of:%B %Y}",
        "close": f"close of {as_of.isoformat()}",
        "version": __version__,
        # A4 unless a `report_paper` setting says "Letter" (templates/report.css, @page)
        "paper": "Letter"
        if str(getattr(settings, "report_paper", "A4")).lower() == "letter"
        else "A4",
        "run": {
            "generated_at": generated.strftime("%Y-%m-%d %H:%M:%S UTC"),
            # W3C date-time for the PDF's metadata (WeasyPrint refuses the readable form)
            "generated_iso": generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "run_id": run_id or "ad hoc (not part of a pipeline run)",
            "git_commit": header["code"]["git_commit"],
            "flow_run_id": header["code"]["flow_run_id"] or "—",
            "ingest_run_id": header["ingest"]["run_id"],
            "ingest_started": header["ingest"].get("started", "—"),
        },
        "adherence": _adherence(con, as_of),
        "signals": _signals(con, as_of, settings, decision, fn),
        "equity": _equity(con, as_of, settings, book, fn, simulate),
        "scenarios": _scenarios(con, as_of, book, fn),
        "positions": _positions(book),
        "changes": _changes(con, as_of, book, decision),
        "assumptions": _assumptions(book, decision, settings),
        "provenance": _provenance(header),
    }
    fn.add(
        "provenance",
        "Data provenance: each series' latest value known by this close, its publisher, and "
        f"the file or URL read by the latest ingest run (mode {header['ingest']['mode']}, its "
        "id in the header); see Data provenance below and docs/data.md.",
    )
    context["footnotes"] = fn.items
    context["email"] = summary_from(context)
    return context


def summary_from(context: Mapping[str, Any]) -> dict[str, Any]:
    """The email's summary (layer states, key numbers, orders awaiting approval)."""
    layers = context["layers"]
    return {
        "as_of": context["as_of"],
        "title": context["title"],
        "banner": context["header"]["banner"],
        "market": context["summary"]["market"],
        "cards": [
            {
                "label": c["label"],
                "value": c["value"],
                "unit": c["unit"],
                "detail": c["detail"],
                "flag": c["flag"],
            }
            for c in context["summary"]["cards"]
        ],
        "vix": context["summary"]["vix"],
        "layers": [
            {
                "id": s["id"],
                "title": s["title"],
                "state": s["state"],
                "css": s["css"],
                "color": STATE_COLORS.get(s["css"], STATE_COLORS["off"]),
                "reason": s["reason"],
                "target": s["target"],
                "held": s["held"],
            }
            for s in layers["strip"]
        ],
        "pending": [o for o in layers["orders"] if o["status"] in ("proposed", "approved")],
        "required": layers["required"],
        "approvers": layers["approvers"],
        "stale_count": context["header"]["stale_count"],
        "source_note": context["source_note"],
    }


def summary_context(
    con: duckdb.DuckDBPyConnection, as_of: date, settings: Settings
) -> dict[str, Any]:
    """The email summary without rendering the whole report (for a later `alvh email`)."""
    _, _, head = _day_head(con, as_of, settings, None, Footnotes())
    return summary_from(head)
