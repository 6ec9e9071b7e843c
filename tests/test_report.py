"""The daily report (issue 6) with real parts: a warehouse loaded from the bundled snapshot, a
book with a hostile position name, two stored daily runs, WeasyPrint's PDF read back with pypdf,
and the HTML opened in headless Chromium.

The report is rendered once per module (module-scoped fixtures) to keep the file fast.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from alvh.report import build_report, existing_report, report_paths

DAY = date(2026, 8, 20)
PREVIOUS = date(2026, 8, 19)
ENTRY = date(2026, 8, 18)
HOSTILE = "<script>alert(1)</script>"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

HEADER = (
    "position_id,kind,expiry,quantity,entry_date,entry_price,"
    "put_long,put_short,call_short,call_long,strike"
)
BOOK = f"""{HEADER}
IC-2026-09,iron_condor,2026-09-18,10,{ENTRY},12.42,7200,7250,7900,7950,
{HOSTILE},iron_condor,2026-10-16,8,{ENTRY},14.7,7100,7150,8050,8100,
VXC-2026-09-23,vix_call,2026-09-16,1,{ENTRY},0.89,,,,,23
"""


def store_day(con, day: date, settings) -> None:
    """What the daily run persists for a day: marks, then signals, layers and orders."""
    from alvh.book.marks import mark_book, save_marks
    from alvh.hedge.day import run_layers, save_decision

    save_marks(con, mark_book(con, day))
    save_decision(con, run_layers(con, day, settings))


def build_home(root: Path, smtp_password: str | None = None):
    """A warehouse from the whole bundled snapshot, the test book, and two stored runs.

    The order L1 proposed on the first day is approved but not executed, so the second day's
    run expires it and proposes afresh.
    """
    from alvh.book.positions import import_book
    from alvh.core.resources import read_sql_statements
    from alvh.core.settings import Settings
    from alvh.data.ingest import ingest
    from alvh.hedge.orders import approve
    from alvh.store.warehouse import open_warehouse

    extra = {"smtp_password": smtp_password} if smtp_password else {}
    settings = Settings(home=root, **extra)
    con = open_warehouse(settings.warehouse_path)
    report = ingest(con, settings, date(2026, 11, 25), mode="snapshot")
    assert report.exit_code == 0
    book = root / "book.csv"
    book.write_text(BOOK)
    import_book(con, book, date(2026, 11, 25))
    con.execute(
        read_sql_statements("book/import.sql")["deposit"],
        {"entry_id": "deposit:test", "entry_date": ENTRY, "amount": 500_000.0, "note": "test"},
    )
    store_day(con, PREVIOUS, settings)
    first = con.execute("SELECT order_id FROM orders WHERE as_of = ?", [PREVIOUS]).fetchall()
    assert first, "L1 should propose VIX calls for a book holding one"
    approve(con, first[0][0], "risk-manager", settings)
    store_day(con, DAY, settings)
    return settings, con


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    settings, con = build_home(tmp_path_factory.mktemp("report_home"))
    yield settings, con
    con.close()


@pytest.fixture(scope="module")
def rendered(home):
    settings, con = home
    result = build_report(con, DAY, settings, run_id="run-test-1")
    return result, result.html.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pdf_text(rendered):
    from pypdf import PdfReader

    result, _ = rendered
    reader = PdfReader(str(result.pdf))
    return [page.extract_text() for page in reader.pages]


def stored_states(con) -> dict[str, str]:
    return dict(
        con.execute("SELECT layer, state FROM layer_states WHERE as_of = ?", [DAY]).fetchall()
    )


# --- files ------------------------------------------------------------------------------------


def test_files_land_where_interface_md_says_and_the_pdf_is_small(home, rendered):
    settings, _ = home
    result, _ = rendered
    html, pdf = report_paths(settings, DAY)
    assert (result.html, result.pdf) == (html, pdf)
    assert html == settings.reports_dir / "2026-08-20" / "alvh-2026-08-20.html"
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert 0 < pdf.stat().st_size <= 1_000_000
    assert 4 <= result.pages <= 12
    leftovers = [p.name for p in html.parent.iterdir() if p.name.endswith(".tmp")]
    assert not leftovers, "atomic writes leave no temporary files"
    again = existing_report(settings, DAY)
    assert again is not None
    assert (again.content_hash, again.pages) == (result.content_hash, result.pages)


def test_re_rendering_the_same_day_gives_the_same_content_hash(home, rendered):
    settings, con = home
    result, html = rendered
    second = build_report(con, DAY, settings, run_id="run-test-2")
    assert second.content_hash == result.content_hash
    assert second.pages == result.pages
    text = second.html.read_text(encoding="utf-8")
    assert "run-test-2" in text and "run-test-2" not in html

    def strip(page: str) -> str:  # the run block and generation stamp are all that may differ
        page = re.sub(r'<dl class="run-meta">.*?</dl>', "", page, flags=re.S)
        return re.sub(r'<meta name="dcterms.created"[^>]*>', "", page)

    assert strip(text) == strip(html)


# --- what the PDF says -----------------------------------------------------------------------


def test_pdf_text_has_the_as_of_and_every_layer_state(home, pdf_text):
    _, con = home
    text = "\n".join(pdf_text)
    assert "2026-08-20" in pdf_text[0]
    assert "daily report" in pdf_text[0]
    for layer, state in stored_states(con).items():
        # the strip prints "L1 · Base protection §6.1 ACTIVE": name and state on one card
        found = re.search(rf"{layer} · [A-Za-z\s]+§6\.\d\s*{state}\b", text)
        assert found, f"{layer} {state} not in the PDF's text"
    assert "page 1 of" in pdf_text[0]
    assert f"page {len(pdf_text)} of {len(pdf_text)}" in pdf_text[-1]


def test_pdf_shows_every_section(pdf_text):
    text = " ".join(" ".join(pdf_text).split())
    for heading in (
        "Summary",
        "Hedge layers",
        "Signals",
        "Hedged vs unhedged equity",
        "Scenarios: SPX shock × VIX response",
        "Break-even SPX levels",
        "Historical stress replay",
        "Positions",
        "What changed since the previous run",
        "Model assumptions in force",
        "Data provenance",
    ):
        assert heading in text, heading
    for event in ("2008-10", "2015-08", "2018-02", "2020-03", "2024-08"):
        assert event in text
    assert "OFFLINE SNAPSHOT" in text  # the warehouse was loaded from the bundled snapshot
    assert "SIMULATED" in text  # two stored days: the equity section is the simulation
    assert "Liquidity ratio".upper() in text.upper()


# --- HTML ------------------------------------------------------------------------------------


def test_a_hostile_position_name_is_escaped(rendered):
    _, html = rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert HOSTILE not in html
    assert "<script" not in html.lower()


def test_the_html_is_self_contained(rendered):
    _, html = rendered
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:|//|file:)""", html)
    assert "@import" not in html and "url(http" not in html
    assert html.count("<svg") == 8  # six sparklines, the equity chart, the risk graph, inline


def test_stored_rows_are_what_the_report_shows(home, rendered):
    _, con = home
    _, html = rendered
    from alvh.report.formatting import money

    assert "from the rows the daily run stored" in html
    value = con.execute("SELECT value FROM book_marks WHERE as_of = ?", [DAY]).fetchall()[0][0]
    assert value > 400_000 and f'<div class="value">{money(value)} <span' in html
    # the first day's order was approved but not executed on its day: the second day's run
    # expired it (an order is for its own close) and decided afresh
    expired = con.execute(
        "SELECT order_id FROM orders WHERE status = 'expired' AND as_of = ?", [PREVIOUS]
    ).fetchall()
    assert expired and f'data-order="{expired[0][0]}" data-status="approved"' not in html
    proposed = con.execute(
        "SELECT order_id FROM orders WHERE status = 'proposed' AND as_of = ?", [DAY]
    ).fetchall()
    for (order_id,) in proposed:
        assert f'data-order="{order_id}" data-status="proposed"' in html


def test_changes_since_the_previous_run_name_what_and_why(home, rendered):
    from alvh.report.changes import changes_since_previous

    _, con = home
    _, html = rendered
    changes = changes_since_previous(con, DAY)
    kinds = {c.kind for c in changes}
    assert "book" in kinds  # the market moved between the two days
    assert "order" in kinds  # the first day's order was approved, the second day proposed one
    book = [c for c in changes if c.kind == "book" and c.subject == "book value"]
    assert book and "SPX" in book[0].why and book[0].before != book[0].after
    assert "Compared with the stored run of 2026-08-19" in html


# --- headless Chromium -------------------------------------------------------------------------


def _require_chromium() -> None:
    """Skip where no browser is installed — except under `make test` (and so CI), which installs
    one and sets ALVH_REQUIRE_BROWSER: there a missing browser fails instead of passing quietly."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("ALVH_REQUIRE_BROWSER"):
        pytest.fail(f"chromium not found at {CHROMIUM}; scripts/install-system-deps.sh --test")
    pytest.skip("chromium is not installed (scripts/install-system-deps.sh --test)")


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess:
    """Headless Chromium with its own profile and nothing reaching out; `args` say what to do."""
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def chromium_dom(rendered, tmp_path_factory):
    _require_chromium()
    result, _ = rendered
    done = chromium(tmp_path_factory.mktemp("chromium-profile"), "--dump-dom", result.html.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_chromium_shows_the_layer_strip(home, chromium_dom):
    _, con = home
    dom = chromium_dom
    assert 'id="layer-strip"' in dom
    for layer, state in stored_states(con).items():
        card = re.search(rf'<article[^>]*id="layer-{layer}"[^>]*>', dom)
        assert card, f"layer {layer} missing from the rendered DOM"
        assert f'data-state="{state}"' in card.group(0)
        body = dom[card.end() : dom.index("</article>", card.end())]
        assert f'<span class="state" data-role="state">{state}</span>' in body


def test_chromium_runs_no_script_from_a_position_name(chromium_dom):
    dom = chromium_dom
    assert "<script" not in dom.lower()  # nothing in the DOM became a script element
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # the name is text


def test_chromium_screenshot_has_the_layer_colours(rendered, tmp_path_factory):
    """Pixels, not markup: the rendered page shows the state badges' colours."""
    _require_chromium()
    import numpy as np
    from PIL import Image

    result, _ = rendered
    out = tmp_path_factory.mktemp("shot") / "page.png"
    done = chromium(
        out.parent / "profile",
        "--hide-scrollbars",
        "--window-size=1200,2200",
        f"--screenshot={out}",
        result.html.as_uri(),
    )
    assert done.returncode == 0 and out.exists(), done.stderr[-2000:]
    pixels = np.asarray(Image.open(out).convert("RGB")).astype(int)
    active = (abs(pixels - [0x1D, 0x5F, 0xA8]).sum(axis=2) < 12).sum()  # --state-active
    assert active > 200, "no ACTIVE badge/border pixels in the screenshot"
    ink = (abs(pixels - [0x1F, 0x29, 0x33]).sum(axis=2) < 12).sum()  # --ink
    assert ink > 1000, "no text in the ink colour: a blank page?"


# --- the parts --------------------------------------------------------------------------------


def test_charts_are_deterministic_and_namespaced():
    import numpy as np
    import pandas as pd

    from alvh.report import charts

    days = pd.bdate_range("2025-08-20", "2026-08-20")
    values = np.sin(np.arange(len(days)) / 9.0)
    args = (days.to_numpy(), values, np.full(len(days), 0.5), values > 0.5)
    first = charts.sparkline("spark-x", *args)
    assert first == charts.sparkline("spark-x", *args)
    assert first.startswith('<svg class="chart-svg" data-chart="spark-x" ')
    assert "<metadata" not in first and "Date" not in first
    ids = re.findall(r'\bid="([^"]+)"', first)
    assert all(i.startswith("spark-x-") for i in ids)  # several charts share one page
    assert ids == []  # no ids at all (alvh/report/svg.py): nothing to clash between charts


def test_figures_have_a_typeset_minus_and_no_negative_zero():
    from alvh.report.formatting import iso, money, money_k, number, percent

    assert money(-1234.4) == "\u2212$1,234" and money(1234.6, signed=True) == "+$1,235"
    assert money(-0.4) == "$0" and number(-0.004, 2, signed=True) == "0.00"  # rounds to zero
    assert number(0.5, 2, signed=True) == "+0.50" and number(-1e6, 0) == "\u22121,000,000"
    assert percent(-0.1234) == "\u221212.3%" and percent(0.05, 0, signed=True) == "+5%"
    assert money_k(-22_040) == "\u221222.0k" and money_k(640) == "+0.6k" and money_k(12) == "0.0k"
    for missing in (None, float("nan"), float("inf"), "x"):
        assert money(missing) == number(missing) == percent(missing) == money_k(missing) == "n/a"
    assert iso(None) == iso(float("nan")) == "n/a" and iso("2026-08-20 16:00") == "2026-08-20"


def test_templates_fail_loudly_on_a_missing_value():
    from jinja2 import UndefinedError

    from alvh.report.render import render

    with pytest.raises(UndefinedError):
        render("report.html.j2", {"title": "x"})


def test_pdf_rendering_never_fetches_from_the_network():
    from alvh.report.render import render_pdf

    html = (
        '<html><body><img src="http://192.0.2.1/x.png">'
        '<link rel="stylesheet" href="https://192.0.2.1/x.css"><p>offline</p></body></html>'
    )
    pdf, pages, blocked = render_pdf(html)
    assert pdf.startswith(b"%PDF-") and pages == 1
    assert sorted(blocked) == ["http://192.0.2.1/x.png", "https://192.0.2.1/x.css"]


def test_a_day_not_stored_is_computed_and_nothing_is_written(home):
    from alvh.report.context import build_context

    _, con = home
    before = con.execute("SELECT count(*) FROM book_marks").fetchall()[0][0]
    context = build_context(con, ENTRY, home[0], simulate=None)
    assert "computed for this report" in context["source_note"]
    assert {s["id"] for s in context["layers"]["strip"]} == {"L1", "L2", "L3"}
    assert con.execute("SELECT count(*) FROM book_marks").fetchall()[0][0] == before
    assert context["equity"]["mode"] == "book-short"
    assert "No numbers are printed" in context["equity"]["note"]


def test_the_books_own_history_is_used_when_it_is_long_enough(tmp_path):
    """Enough stored days: equity and drawdown come from book_marks, hedged vs unhedged."""
    import pandas as pd

    from alvh.core import calendar
    from alvh.core.settings import Settings
    from alvh.report.day import DayBook, Footnotes
    from alvh.report.sections.equity import MIN_BOOK_HISTORY_SESSIONS
    from alvh.report.sections.equity import equity_section as _equity
    from alvh.store.warehouse import open_warehouse

    settings = Settings(home=tmp_path)
    con = open_warehouse(settings.warehouse_path)
    days = calendar.trading_days(date(2026, 1, 2), date(2026, 6, 30))[
        : MIN_BOOK_HISTORY_SESSIONS + 5
    ]
    con.execute(
        "INSERT INTO positions VALUES ('H', 'vix_call', DATE '2026-12-16', 10, DATE '2026-01-02',"
        " 1.0, NULL, NULL, NULL, NULL, 20, 'test', 'test')"
    )
    con.execute(
        "INSERT INTO cash_ledger VALUES ('p:H', DATE '2026-01-02', -1000, 'hedge_premium', 'H', '')"
    )
    hedge = [4000.0 if 25 <= i <= 35 else 1000.0 for i in range(len(days))]  # pays in the dip
    for i, day in enumerate(days):
        value = 100_000.0 - (8_000.0 if 25 <= i <= 35 else 0.0) + hedge[i] - 1000.0
        con.execute(
            "INSERT INTO book_marks VALUES (?, 7000, 15, 0.04, 0.015, ?, 0, ?, ?, 0, 0, 0, 0, "
            "10000, 0, 0, NULL, NULL, '{}')",
            [day.date(), value - hedge[i], hedge[i], value],
        )
    book = DayBook(days[-1].date(), "stored", {}, [], None, "", {}, 7000.0, 15.0)
    section = _equity(con, days[-1].date(), settings, book, Footnotes(), simulate=None)
    con.close()
    assert section["mode"] == "book" and not section["simulated"]
    assert section["chart"].startswith("<svg")
    stats = {s["label"]: s for s in section["stats"]}
    hedged = float(stats["Maximum drawdown"]["hedged"].replace("\u2212", "-").rstrip("%"))
    unhedged = float(stats["Maximum drawdown"]["unhedged"].replace("\u2212", "-").rstrip("%"))
    assert unhedged == pytest.approx(-8.0, abs=0.05)  # 8,000 off 100,000 without the hedge
    assert hedged > unhedged  # the hedge's payoff in the dip shallows the drawdown
    assert pd.notna(section["reduction"])


def test_a_liquidity_ratio_below_one_is_flagged():
    from alvh.report.day import DayBook, DayDecision, Footnotes
    from alvh.report.sections.summary import summary_section as _summary

    totals = dict.fromkeys(
        (
            "value delta gamma vega theta risk_capital condor_vix_sensitivity "
            "hedge_vix_sensitivity vega_offset_ratio cash condor_value hedge_value"
        ).split(),
        1.0,
    )
    decision = DayDecision(DAY, "stored", {}, {}, [], {}, {"layers": {"l2_offset": 0.4}})
    for ratio, flag in ((0.8, "bad"), (1.2, "good"), (None, "good")):
        book = DayBook(DAY, "stored", {**totals, "liquidity_ratio": ratio}, [], None, "", {}, 1, 1)
        card = next(
            c for c in _summary(book, decision, Footnotes())["cards"] if c["key"] == "liquidity"
        )
        assert card["flag"] == flag
        assert ("BELOW 1" in card["detail"]) == (flag == "bad")


def test_layer_and_signal_switches_are_changes_with_their_reason():
    from alvh.report.changes import DayState, _layer_changes, _signal_changes

    def state(day, l3, s4):
        layers = {
            "L3": {
                "state": l3,
                "reason": f"{l3}: S4 {'on' if s4 else 'off'} (RSI 74)",
                "target_contracts": 0,
                "held_contracts": 0,
            }
        }
        signals = {"S4": {"active": s4, "available": True, "detail": "RSI(14) 74.0 (>= 70: yes)"}}
        return DayState(day, {}, {}, layers, signals)

    before, after = state(PREVIOUS, "OFF", False), state(DAY, "ARMED", True)
    (layer,) = _layer_changes(before, after)
    assert (layer.subject, layer.before, layer.after) == ("L3", "OFF", "ARMED")
    assert "RSI 74" in layer.why
    (signal,) = _signal_changes(before, after)
    assert (signal.before, signal.after) == ("off", "ACTIVE") and "RSI(14) 74.0" in signal.why
    assert _layer_changes(after, after) == [] and _signal_changes(after, after) == []


def test_the_banner_names_items_the_snapshot_served_when_live_publishers_failed(tmp_path):
    from alvh.core.settings import Settings
    from alvh.report.day import Footnotes
    from alvh.report.sections.header import header_section as _header
    from alvh.store.warehouse import open_warehouse

    settings = Settings(home=tmp_path)
    con = open_warehouse(settings.warehouse_path)
    for run_id, mode, started in (
        ("old", "snapshot", "2026-08-20 17:00"),
        ("new", "auto", "2026-08-21 17:00"),
    ):
        con.execute(
            "INSERT INTO ingest_runs (run_id, started_at, as_of, source_mode, status) "
            "VALUES (?, ?, DATE '2026-08-20', ?, 'ok')",
            [run_id, started, mode],
        )
    con.executemany(
        "INSERT INTO ingest_run_items (run_id, item, source, origin, status, note) "
        "VALUES ('new', ?, ?, 'x', ?, ?)",
        [
            ["SPX", "live", "loaded", ""],
            ["VIX", "snapshot", "fallback", "live unreachable (timeout): snapshot used"],
        ],
    )
    header = _header(con, DAY, settings, None, Footnotes())
    con.close()
    banner = header["banner"]
    assert banner["title"].startswith("OFFLINE SNAPSHOT served for 1 item(s)")
    assert banner["lines"] == ["VIX: live unreachable (timeout): snapshot used"]
    assert header["ingest"]["run_id"] == "new" and header["ingest"]["mode"] == "auto"


def test_the_header_names_the_ingest_run_that_served_the_day_not_a_later_one(tmp_path):
    """Re-rendering a day after later ingest runs gives the same header (content hash)."""
    from alvh.core.settings import Settings
    from alvh.report.day import Footnotes
    from alvh.report.sections.header import header_section as _header
    from alvh.store.warehouse import open_warehouse

    settings = Settings(home=tmp_path)
    con = open_warehouse(settings.warehouse_path)
    for run_id, as_of, mode, started in (
        ("before", "2026-08-19", "auto", "2026-08-19 17:00"),
        ("served", "2026-08-20", "snapshot", "2026-08-20 17:00"),
        ("later", "2026-08-21", "auto", "2026-08-21 17:00"),
    ):
        con.execute(
            "INSERT INTO ingest_runs (run_id, started_at, as_of, source_mode, status) "
            "VALUES (?, ?, ?, ?, 'ok')",
            [run_id, started, as_of, mode],
        )
    served = _header(con, DAY, settings, None, Footnotes())
    none_yet = _header(con, date(2026, 8, 24), settings, None, Footnotes())
    con.close()
    assert served["ingest"]["run_id"] == "served" and served["ingest"]["mode"] == "snapshot"
    assert served["banner"]["title"].startswith("OFFLINE SNAPSHOT")
    assert none_yet["ingest"]["run_id"] == "later"  # no run reached the day: the latest one
