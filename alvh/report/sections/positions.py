"""Positions table: each position's mark, P&L, greeks, max loss and break-evens."""

from __future__ import annotations

from alvh.core.numbers import finite_or_none
from alvh.report.day import DayBook
from alvh.report.formatting import iso, money, number


def positions_section(book: DayBook) -> dict:
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
