"""Model assumptions and data provenance: the report's closing notes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alvh.core.settings import Settings
from alvh.data.ingest import REUSED_NOTE
from alvh.report.day import DayBook, DayDecision
from alvh.report.formatting import number, percent


def assumptions_section(book: DayBook, decision: DayDecision, settings: Settings) -> list[dict]:
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
            "entries": [
                ("SPX surface (§2.1)", book.surface_text),
                *_flatten(book.assumptions.get("model", {})),
            ],
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


def provenance_section(header: dict) -> list[dict]:
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
