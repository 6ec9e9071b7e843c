"""Summary cards: book value, day P&L, risk capital, liquidity; greeks and VIX sensitivity."""

from __future__ import annotations

from alvh.report.day import DayBook, DayDecision, Footnotes
from alvh.report.formatting import money, number


def summary_section(book: DayBook, decision: DayDecision, fn: Footnotes) -> dict:
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
