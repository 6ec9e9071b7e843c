"""Positions table, grouped by expiry with per-expiry greeks: each position's structure (its
legs), entry and mark, value, P&L, greeks, max loss and break-evens (issue 12). On a day when
any position was marked at market (issue 11), each also shows its model mark beside the
market's, the residual (model − market: the model's error, as in the Model vs market section
and `alvh quotes residuals`) and what it was marked at; a model-only day's table has no such
columns."""

from __future__ import annotations

from itertools import groupby

from alvh.core.numbers import finite_or_none
from alvh.report.day import DayBook
from alvh.report.formatting import iso, money, number

MULTIPLIER = 100.0

KIND_LABELS = {
    "iron_condor": "iron condor",
    "vertical": "vertical",
    "butterfly": "butterfly",
    "single": "single",
    "vix_call": "VIX call",
    "vix_call_spread": "VIX call spread",
    "custom": "custom",
}


def _is_hedge(p: dict) -> bool:
    return p.get("sleeve", "condor" if p["kind"] == "iron_condor" else "hedge") == "hedge"


def _structure(p: dict) -> list[str]:
    """The legs as a desk writes them: a condor's wings, else '+1 P 5100' per leg."""
    if p["kind"] == "iron_condor" and finite_or_none(p.get("put_long")) is not None:
        return [
            f"P {p['put_long']:g}/{p['put_short']:g}",
            f"C {p['call_short']:g}/{p['call_long']:g}",
        ]
    if p.get("legs"):
        return [f"{units:+d} {kind} {strike:g}" for units, kind, strike in p["legs"]]
    if finite_or_none(p.get("strike")) is not None:
        return [f"strike {p['strike']:g}"]
    return []


def _breakevens(p: dict) -> list[str]:
    found = [
        number(v) for v in (p.get("breakeven_low"), p.get("breakeven_high")) if finite_or_none(v)
    ]
    return found or ["—"]


def _max_loss(p: dict) -> str:
    if p.get("risk") == "undefined":
        return "undefined"
    return money(p["max_loss"]) if finite_or_none(p.get("max_loss")) is not None else "—"


def _marked_at_market(p: dict) -> bool:
    return p.get("mark_source", "model") != "model"


def _model_value(p: dict) -> float:
    """The position's value in USD had every leg been priced by the model: marks are quoted as
    a desk quotes them (a credit position's is what it costs to close), values as assets."""
    side = -1.0 if p.get("entry_side") == "credit" else 1.0
    return float(p["value"]) + side * (p["model_mark"] - p["mark"]) * MULTIPLIER * p["quantity"]


def _vs_model(p: dict) -> dict:
    """Market and model mark (points) and the residual, model − market, in points of the mark
    and in USD of value for the whole position."""
    return {
        "market": number(p["mark"]),
        "model": number(p["model_mark"]),
        "residual": number(p["model_mark"] - p["mark"], 2, True),
        "residual_usd": money(_model_value(p) - p["value"], signed=True),
        "source": p["mark_source"],
    }


def _vs_model_total(rows: list[dict]) -> dict:
    """Market and model value (USD) of `rows` and the residual, model − market."""
    market = sum(float(p["value"]) for p in rows)
    model = sum(_model_value(p) for p in rows)
    return {
        "market": money(market),
        "model": money(model),
        "residual_usd": money(model - market, signed=True),
    }


def _row(p: dict) -> dict:
    hedge = _is_hedge(p)
    # a VIX position's delta and gamma are per point of its VIX future and its vega per point
    # of VIX-option vol: marked †, and not in the SPX totals
    dagger = " †" if hedge else ""
    root = p.get("root")
    kind = KIND_LABELS.get(p["kind"], p["kind"]) + (f" ({root})" if root == "SPXW" else "")
    return {
        "id": p["position_id"],
        "kind": kind,
        "strikes": _structure(p),
        "quantity": str(int(p["quantity"])),
        "entry": number(p.get("entry_price")),
        "mark": number(p["mark"]),
        "value": money(p["value"]),
        "pnl": money(p["pnl"], signed=True),
        "pnl_css": "bad" if (p["pnl"] or 0) < 0 else "good",
        "delta": number(p["delta"], 1, True) + dagger,
        "gamma": number(p["gamma"], 3, True) + dagger,
        "vega": number(p["vega"], 0, True) + dagger,
        "theta": number(p["theta"], 0, True),
        "vix_sens": number(p["vix_sensitivity"], 0, True),
        "max_loss": _max_loss(p),
        "breakevens": _breakevens(p),
        "vs_model": _vs_model(p),
    }


def _subtotal(rows: list[dict]) -> dict:
    """Per-expiry sums: SPX greeks of the SPX positions, theta and VIX +1 of all, max loss of
    the SPX positions whose risk is defined."""
    spx = [p for p in rows if not _is_hedge(p)]
    return {
        "value": money(sum(p["value"] for p in rows)),
        "pnl": money(sum(p["pnl"] for p in rows), signed=True),
        "delta": number(sum(p["delta"] for p in spx), 1, True) if spx else "—",
        "gamma": number(sum(p["gamma"] for p in spx), 3, True) if spx else "—",
        "vega": number(sum(p["vega"] for p in spx), 0, True) if spx else "—",
        "theta": number(sum(p["theta"] for p in rows), 0, True),
        "vix_sens": number(sum(p["vix_sensitivity"] for p in rows), 0, True),
        "max_loss": money(sum(p["max_loss"] or 0 for p in spx)) if spx else "—",
        "vs_model": _vs_model_total(rows),
    }


def positions_section(book: DayBook) -> dict:
    ordered = sorted(book.positions, key=lambda r: (iso(r["expiry"]), r["kind"], r["position_id"]))
    groups = []
    for expiry, members in groupby(ordered, key=lambda r: iso(r["expiry"])):
        members = list(members)
        groups.append(
            {
                "expiry": expiry,
                "count": len(members),
                "rows": [_row(p) for p in members],
                "subtotal": _subtotal(members),
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
        "vs_model": _vs_model_total(book.positions),
    }
    return {
        # market and model side by side only on a day something was marked at market
        "at_market": any(_marked_at_market(p) for p in book.positions),
        "groups": groups,
        "rows": [row for group in groups for row in group["rows"]],
        "totals": totals,
        "count": len(ordered),
        "source": book.source,
    }
