"""The report's positions table (issue 12): grouped by expiry with per-expiry greeks, any
structure's legs, undefined risk shown as such, and a table that fits the PDF page."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from alvh.book.positions import import_book, load_sample_book
from alvh.report.context import build_context
from alvh.report.formatting import money, number
from alvh.report.render import render_html

DAY = date(2026, 8, 20)
# a desk's book with long ids and large quantities: the widest numbers the table must hold
BIG_BOOK = """position_id,root,type,strike,expiry,quantity,entry_date,price,fees
DESK-CONDOR-OCTOBER-BROKEN-WING-LONG-NAME,SPX,P,6500,2026-10-16,250,2026-08-20,10.00,
DESK-CONDOR-OCTOBER-BROKEN-WING-LONG-NAME,SPX,P,6700,2026-10-16,-250,2026-08-20,20.00,
DESK-CONDOR-OCTOBER-BROKEN-WING-LONG-NAME,SPX,C,8100,2026-10-16,-250,2026-08-20,12.00,
DESK-CONDOR-OCTOBER-BROKEN-WING-LONG-NAME,SPX,C,8150,2026-10-16,250,2026-08-20,9.00,
PCS-SEPW,SPXW,P,7000,2026-09-11,-300,2026-08-20,15.00,
PCS-SEPW,SPXW,P,6900,2026-09-11,300,2026-08-20,10.00,
BFLY,SPX,C,7700,2026-10-16,100,2026-08-20,80.00,
BFLY,SPX,C,7800,2026-10-16,-200,2026-08-20,40.00,
BFLY,SPX,C,7950,2026-10-16,100,2026-08-20,15.00,
NAKED-CALL,SPX,C,8300,2026-09-18,-50,2026-08-20,3.00,
VCS-OCT,VIX,C,20,2026-10-21,1000,2026-08-20,2.00,
VCS-OCT,VIX,C,30,2026-10-21,-1000,2026-08-20,0.80,
"""


@pytest.fixture
def context(mini_warehouse, tmp_path):
    settings, con = mini_warehouse
    load_sample_book(con, date(2026, 11, 25))
    path = tmp_path / "big.csv"
    path.write_text(BIG_BOOK)
    import_book(con, path, date(2026, 11, 25))
    return build_context(con, DAY, settings, None)


def _boxes(box):
    yield box
    for child in getattr(box, "children", None) or []:
        yield from _boxes(child)


def test_positions_are_grouped_by_expiry_with_their_subtotals(context):
    section = context["positions"]
    expiries = [g["expiry"] for g in section["groups"]]
    assert expiries == sorted(expiries) and len(expiries) == len(set(expiries))
    assert expiries[0] == "2026-09-11"  # the SPXW weekly first
    october = next(g for g in section["groups"] if g["expiry"] == "2026-10-16")
    assert {r["id"] for r in october["rows"]} == {
        "IC-2026-10",
        "DESK-CONDOR-OCTOBER-BROKEN-WING-LONG-NAME",
        "BFLY",
    }
    rows = {r["id"]: r for g in section["groups"] for r in g["rows"]}
    assert rows["NAKED-CALL"]["max_loss"] == "undefined"
    assert rows["BFLY"]["kind"] == "butterfly"
    assert rows["PCS-SEPW"]["kind"] == "vertical (SPXW)"
    assert rows["VCS-OCT"]["kind"] == "VIX call spread"
    assert rows["BFLY"]["strikes"] == ["+1 C 7700", "-2 C 7800", "+1 C 7950"]
    assert rows["VCS-OCT"]["delta"].endswith("†")  # per point of the VIX future


def test_the_subtotal_of_an_expiry_sums_its_spx_positions(context, mini_warehouse):
    from alvh.book.marks import mark_book

    _, con = mini_warehouse
    marks = {m.position_id: m for m in mark_book(con, DAY).positions}
    section = context["positions"]
    october = next(g for g in section["groups"] if g["expiry"] == "2026-10-16")
    ids = [r["id"] for r in october["rows"]]
    assert october["subtotal"]["delta"] == number(sum(marks[i].delta for i in ids), 1, True)
    assert october["subtotal"]["max_loss"] == money(sum(marks[i].max_loss for i in ids))


def _assert_positions_table_fits(html: str) -> None:
    """The positions table's right edge, on every page it spans, is inside the page's."""
    from weasyprint import HTML

    document = HTML(string=html).render()
    found = 0
    for page in document.pages:
        content = page._page_box
        right = content.content_box_x() + content.width
        for box in _boxes(content):
            element = getattr(box, "element", None)
            if element is None or element.get("id") != "positions-table":
                continue
            if type(box).__name__ != "TableBox":
                continue
            found += 1
            edge = max(b.position_x + b.margin_width() for b in _boxes(box))
            assert edge <= right + 0.01, f"the positions table overflows by {edge - right:.1f} px"
    assert found


def test_the_positions_table_fits_the_pdf_page(context):
    _assert_positions_table_fits(render_html(context))


def test_the_risk_graph_is_zero_at_today_and_the_payoff_at_expiry(mini_warehouse):
    import numpy as np

    from alvh.book.positions import open_positions
    from alvh.book.risk_profile import MOVES, risk_curves
    from alvh.book.scenarios import history_inputs
    from alvh.book.valuation import ModelParams, build_legs, price_legs
    from alvh.data.market_day import load_market

    _, con = mini_warehouse
    load_sample_book(con, date(2026, 11, 25))
    condor = [p for p in open_positions(con, DAY) if p.position_id == "IC-2026-09"]
    legs = build_legs(condor)
    snapshot, params = load_market(con, DAY), ModelParams()
    fit, _ = history_inputs(con, DAY)
    curves = {c.label: c for c in risk_curves(legs, condor, snapshot, params, fit)}
    assert list(curves) == ["today", "+5 days", "expiry 2026-09-18"]
    at_spot = int(np.flatnonzero(np.isclose(MOVES, 0.0))[0])
    assert curves["today"].pnl[at_spot] == pytest.approx(0.0, abs=1e-6)
    # at its expiry the condor is worth its intrinsic value: P&L = payoff − today's value
    base = float((price_legs(legs, snapshot, params)[0] * legs.units).sum())
    expiry = curves["expiry 2026-09-18"]
    position = condor[0]
    payoff = np.array([sum(leg.payoff(s) for leg in position.legs) for s in expiry.spx])
    expected = (payoff - base) * 100 * position.quantity
    assert expiry.pnl == pytest.approx(expected, rel=1e-9, abs=1e-6)
    # the worst of it is the max loss (against the entry), less what is made since the entry
    q = position.quantity
    assert expiry.pnl.min() == pytest.approx(
        -position.max_loss() + (position.net_debit - base) * 100 * q, rel=1e-9
    )


def test_the_risk_graph_stands_beside_the_break_evens_inside_the_page(context):
    from weasyprint import HTML

    html = render_html(context)
    assert 'id="risk-graph"' in html and "Book P&amp;L vs SPX" in html
    document = HTML(string=html).render()
    boxes = {}
    for page in document.pages:
        content = page._page_box
        right = content.content_box_x() + content.width
        for box in _boxes(content):
            element = getattr(box, "element", None)
            if element is not None and type(box).__name__ == "BlockBox":
                if element.get("class") in ("scenario-side", "risk-graph"):
                    inner = [b.position_x + b.margin_width() for b in _boxes(box)]
                    boxes[element.get("class")] = (box.position_x, max(inner), box.position_y)
    side, graph = boxes["scenario-side"], boxes["risk-graph"]
    assert side[1] <= graph[0]  # nothing of the break-evens runs under the graph
    assert graph[1] <= right + 0.01
    assert side[2] == pytest.approx(graph[2])  # side by side, not one under the other


def test_the_book_after_the_proposed_orders_applies_them_without_writing(mini_warehouse):
    from alvh.book.marks import mark_book
    from alvh.report.sections.what_if import orders_what_if

    _, con = mini_warehouse
    load_sample_book(con, date(2026, 11, 25))
    before_rows = con.execute("SELECT count(*) FROM book_trades").fetchall()
    orders = [
        {
            "order_id": "o1",
            "action": "open",
            "strike": 24.0,
            "expiry": "2026-10-21",
            "quantity": 40,
            "price": 1.30,
            "cost": 5240.0,
            "recorded": False,
        },
        {
            "order_id": "o2",
            "action": "close",
            "strike": 23.0,
            "expiry": "2026-09-16",
            "quantity": 20,
            "price": 0.80,
            "cost": -1580.0,
            "position_id": "VXC-2026-09-23",
        },
    ]
    today = mark_book(con, DAY, with_day_pnl=False)
    after = mark_book(con, DAY, with_day_pnl=False, what_if=orders_what_if(orders, DAY))
    assert after.totals["cash"] == pytest.approx(today.totals["cash"] - 5240.0 + 1580.0)
    ids = {m.position_id for m in after.positions}
    assert "VXC-2026-09-23" not in ids and "what-if:o1" in ids
    new = next(m for m in after.positions if m.position_id == "what-if:o1")
    closed = next(m for m in today.positions if m.position_id == "VXC-2026-09-23")
    assert after.totals["hedge_value"] == pytest.approx(
        today.totals["hedge_value"] + new.value - closed.value
    )
    assert after.totals["risk_capital"] == pytest.approx(today.totals["risk_capital"])
    assert con.execute("SELECT count(*) FROM book_trades").fetchall() == before_rows


QUOTE_DAY = date(2023, 9, 1)
QUOTE_TABLE = "cboe_quote_table_spx_2023-09-01_cut.csv"  # the real slice the quote tests use
# positions the slice quotes (every leg of the first, all but the 4770 call of the second) and
# a VIX call it does not, with the widest ids and quantities the table must hold
QUOTED_BOOK = """\
position_id,kind,expiry,quantity,entry_date,entry_price,put_long,put_short,call_short,call_long,strike
DESK-CONDOR-OCTOBER-QUOTED-AT-MARKET-LONG-NAME,iron_condor,2023-10-20,250,2023-08-25,9.50,4250,4355,4655,4760,
HALF-QUOTED,iron_condor,2023-10-20,120,2023-08-25,9.50,4250,4355,4655,4770,
VIX-HEDGE,vix_call,2023-09-20,900,2023-08-25,0.80,,,,,20
"""
QUOTED_ID = "DESK-CONDOR-OCTOBER-QUOTED-AT-MARKET-LONG-NAME"


@pytest.fixture
def quoted_day(snapshot_copy, tmp_path):
    """The daily run's stored rows of a day with market marks, and its rendered report."""
    from alvh import pipeline
    from alvh.data.quotes.importer import import_quotes
    from alvh.report import build_report

    settings, con = snapshot_copy
    path = tmp_path / "quoted.csv"
    path.write_text(QUOTED_BOOK)
    import_book(con, path, date(2026, 11, 25))
    fixtures = Path(__file__).parent / "fixtures" / "option_chains"
    import_quotes(con, fixtures / QUOTE_TABLE, date(2026, 11, 25))
    with pipeline.daily_run(QUOTE_DAY, settings) as run_id:
        pipeline.book_and_hedge_step(run_id, QUOTE_DAY, settings)
    return settings, con, build_report(con, QUOTE_DAY, settings, run_id="run-quoted")


def test_a_day_marked_at_market_shows_market_and_model_side_by_side(quoted_day):
    from alvh.report.context import build_context

    settings, con, _ = quoted_day
    stored = {
        row[0]: row[1:]
        for row in con.execute(
            "SELECT position_id, mark, model_mark, mark_source, value, quantity "
            "FROM position_marks WHERE as_of = ?",
            [QUOTE_DAY],
        ).fetchall()
    }
    section = build_context(con, QUOTE_DAY, settings, None)["positions"]
    assert section["at_market"] is True
    rows = {r["id"]: r["vs_model"] for r in section["rows"]}
    assert {k: r["source"] for k, r in rows.items()} == {
        QUOTED_ID: "market",
        "HALF-QUOTED": "mixed",
        "VIX-HEDGE": "model",
    }
    mark, model_mark, _, value, quantity = stored[QUOTED_ID]
    assert (rows[QUOTED_ID]["market"], rows[QUOTED_ID]["model"]) == (
        number(mark),
        number(model_mark),
    )
    assert rows[QUOTED_ID]["residual"] == number(model_mark - mark, 2, True)
    # model − market, as the Model vs market section: a condor the model says costs less to
    # close than the market does is worth more to the model (value residual of opposite sign)
    residual_usd = (mark - model_mark) * 100 * quantity
    assert rows[QUOTED_ID]["residual_usd"] == money(residual_usd, signed=True)
    october = next(g for g in section["groups"] if g["expiry"] == "2023-10-20")
    condors = {pid: row for pid, row in stored.items() if pid != "VIX-HEDGE"}
    residuals = [(m - mm) * 100 * q for m, mm, _, _, q in condors.values()]
    assert october["subtotal"]["vs_model"]["residual_usd"] == money(sum(residuals), signed=True)
    assert october["subtotal"]["vs_model"]["market"] == money(
        sum(row[3] for row in condors.values())
    )
    assert rows["VIX-HEDGE"]["residual"] == number(0.0, 2, True)


def _positions_table(html: str) -> str:
    start = html.index('id="positions-table"')
    return html[start : html.index("</table>", start)]


def test_the_market_columns_fit_the_pdf_page(quoted_day):
    from pypdf import PdfReader

    _, _, result = quoted_day
    html = result.html.read_text(encoding="utf-8")
    _assert_positions_table_fits(html)
    table = html[
        html.index('id="positions-table"') : html.index(
            "</table>", html.index('id="positions-table"')
        )
    ]
    assert "Residual<br>marked at" in table and 'data-source="mixed"' in table
    text = "\n".join(page.extract_text() for page in PdfReader(str(result.pdf)).pages)
    start = text.index("Positions\n")
    positions = text[start : text.index("Model vs market", start)]
    # the right-most column's header and each of its values, whole
    assert re.search(r"Market\s+model\s+Residual\s+marked\s+at\s", positions)
    for source in ("market", "mixed", "model"):
        assert re.search(rf"^{source}$", positions, re.MULTILINE), source
    _, con, _ = quoted_day
    for mark, model_mark, quantity in con.execute(
        "SELECT mark, model_mark, quantity FROM position_marks WHERE as_of = ? AND kind = "
        "'iron_condor'",
        [QUOTE_DAY],
    ).fetchall():
        residual = money((mark - model_mark) * 100 * quantity, signed=True)
        assert re.search(rf"^{re.escape(residual)}$", positions, re.MULTILINE), residual


def test_a_model_only_day_has_no_market_columns(context):
    section = context["positions"]
    assert section["at_market"] is False
    html = render_html(context)
    table = html[
        html.index('id="positions-table"') : html.index(
            "</table>", html.index('id="positions-table"')
        )
    ]
    assert "marked at" not in table and "data-source" not in table
    assert 'colspan="12"' in table


def test_the_footer_and_notes_say_how_many_legs_the_days_quotes_mark(quoted_day):
    from pypdf import PdfReader

    _, con, result = quoted_day
    at_market, marked = con.execute(
        "SELECT count(*) FILTER (WHERE mark_source = 'market'), count(*) FROM leg_marks "
        "WHERE as_of = ?",
        [QUOTE_DAY],
    ).fetchone()
    assert 0 < at_market < marked  # the VIX call and the unquoted 4770 call are the model's
    basis = f"{at_market} of {marked} legs marked at their 2023-09-01 quote, the rest model-priced"
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(str(result.pdf)).pages]
    for number_, page in enumerate(pages, 1):
        assert f"{basis}: see Model assumptions and Data provenance" in page, number_
    text = " ".join(pages)
    assert "Options are model-priced" not in text
    assert (
        f"{at_market} of {marked} legs are marked at the mid of their two-sided quote of "
        f"2023-09-01, with the model beside them under Model vs market; the other "
        f"{marked - at_market} are model-priced" in text
    )


def test_a_model_only_day_says_its_figures_are_the_models(context):
    assert context["summary"]["marks_basis"] == "Model-priced figures"
    assert context["email"]["marks_basis"] == "Model-priced figures"
    notes = " ".join(item["text"] for item in context["footnotes"])
    assert "Options are model-priced: no two-sided quote of 2026-08-20 is stored" in notes
