"""The report's context: every section's numbers, assembled for the templates (issue 6).

One module per section under `alvh/report/sections/` (header, summary, layers, signals,
equity, scenarios, stress, positions, model_vs_market, changes, notes), each taking its numbers
from the module that owns them; `alvh/report/day.py` loads the day's stored (or computed)
book and decision.

Templates only lay out what this module hands them (architecture.md). Each figure carries its
unit and the close it belongs to; every model number points to a footnote with the model's
assumptions; data provenance closes the report.

What it reads for `as_of`: the rows the daily run stored (book_marks, position_marks,
signal_values, layer_states, orders). A day not yet marked or decided is computed on the spot
with `mark_book` / `run_layers` and nothing is written; the report says which it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from alvh import __version__
from alvh.book.valuation import ModelParams
from alvh.core.settings import Settings
from alvh.report.day import DayBook, DayDecision, Footnotes, load_day_book, load_day_decision
from alvh.report.sections.changes import changes_section
from alvh.report.sections.equity import equity_section
from alvh.report.sections.header import header_section
from alvh.report.sections.layers import adherence_text, layers_section
from alvh.report.sections.model_vs_market import model_vs_market_section
from alvh.report.sections.notes import assumptions_section, provenance_section
from alvh.report.sections.positions import positions_section
from alvh.report.sections.scenarios import scenarios_section
from alvh.report.sections.signals import signals_section
from alvh.report.sections.summary import summary_section
from alvh.report.sections.what_if import what_if_section
from alvh.store import anchor

log = logging.getLogger(__name__)


# Layer-state colours for the email, where no stylesheet applies (same as report.css).
STATE_COLORS = {"active": "#1d5fa8", "armed": "#c98a00", "off": "#8a94a3"}


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
        "header": header_section(con, as_of, settings, run_id, fn),
        "summary": summary_section(book, decision, fn),
        "what_if": what_if_section(con, book, decision, settings),
        "layers": layers_section(decision, settings, fn),
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
            # the chain as this report saw it: a copy outside the warehouse (issue 15)
            "audit_head": anchor.head_text(con),
        },
        "adherence": adherence_text(con, as_of),
        "signals": signals_section(con, as_of, settings, decision, fn),
        "equity": equity_section(con, as_of, settings, book, fn, simulate),
        "scenarios": scenarios_section(con, as_of, book, fn),
        "positions": positions_section(book),
        "model_vs_market": model_vs_market_section(
            con, as_of, book, ModelParams.from_mapping(settings.model)
        ),
        "changes": changes_section(con, as_of, book, decision),
        "assumptions": assumptions_section(book, decision, settings),
        "provenance": provenance_section(header),
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
        "marks_basis": context["summary"]["marks_basis"],
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
