"""Summary cards: book value, day P&L, risk capital, liquidity; greeks and VIX sensitivity."""

from __future__ import annotations

from alvh.report.day import DayBook, DayDecision, Footnotes
from alvh.report.formatting import money, number

MODEL_TEXT = (
    "SPX legs by Black–Scholes on a VIX-derived skewed surface, VIX calls by Black-76 on the "
    "modelled or observed VIX future (method §2). Parameters under Model assumptions."
)


def legs_at_market(book: DayBook) -> tuple[int, int]:
    """(legs marked at a quote's mid, legs marked) over the day's positions."""
    marked = sum(int(p.get("legs_marked") or 0) for p in book.positions)
    return sum(int(p.get("legs_at_market") or 0) for p in book.positions), marked


def marks_basis(book: DayBook) -> str:
    """What the day's figures rest on, in a few words (the page footer and the email say it)."""
    at_market, marked = legs_at_market(book)
    if not at_market:
        return "Model-priced figures"
    if at_market == marked:
        return f"Every leg marked at its {book.as_of} quote"
    return f"{at_market} of {marked} legs marked at their {book.as_of} quote, the rest model-priced"


def marks_note(book: DayBook) -> str:
    """The footnote on how the book is marked: a day with stored quotes marks at them."""
    at_market, marked = legs_at_market(book)
    if not at_market:
        return (
            f"Options are model-priced: no two-sided quote of {book.as_of} is stored for a leg "
            f"of the book ('alvh quotes import' loads a day's quotes). {MODEL_TEXT}"
        )
    rest = marked - at_market
    model = f"the other {rest} are model-priced: {MODEL_TEXT}" if rest else MODEL_TEXT
    return (
        f"{at_market} of {marked} legs are marked at the mid of their two-sided quote of "
        f"{book.as_of}, with the model beside them under Model vs market; {model}"
    )


def summary_section(book: DayBook, decision: DayDecision, fn: Footnotes) -> dict:
    t = book.totals
    model = fn.add("model", marks_note(book))
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
        "marks_basis": marks_basis(book),
        "source": book.source,
    }
