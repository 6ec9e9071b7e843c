"""The backtest report (issue 7): HTML and PDF from one backtest on the snapshot warehouse.

One backtest per module (cndr, unhedged + l1 + alvh, from 2015) keeps the file fast; the CLI
test runs `alvh backtest --out DIR` as a subprocess on a copy of the warehouse.
"""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from markupsafe import escape
from test_cli import run_alvh

from alvh.backtest import BacktestConfig, load_inputs, run_backtest
from alvh.backtest.report import backtest_context, write_backtest_report
from alvh.report.formatting import percent

START = date(2015, 1, 2)
VARIANTS = ("unhedged", "l1", "alvh")


@pytest.fixture(scope="module")
def report(snapshot_warehouse, tmp_path_factory):
    from pypdf import PdfReader

    from alvh.store.warehouse import connect

    con = connect(snapshot_warehouse, read_only=True)
    try:
        inputs = load_inputs(con, START)
        result = run_backtest(inputs, BacktestConfig(preset="cndr", variants=VARIANTS))
        out = tmp_path_factory.mktemp("backtest_report")
        html_path, pdf_path, pages = write_backtest_report(result, out, con)
    finally:
        con.close()
    html = html_path.read_text(encoding="utf-8")
    reader = PdfReader(io.BytesIO(pdf_path.read_bytes()))
    pdf_text = "\n".join(page.extract_text() for page in reader.pages)
    return {
        "result": result,
        "html": html,
        "pdf": pdf_text,
        "pages": pages,
        "n_pdf_pages": len(reader.pages),
    }


def test_pdf_carries_preset_verdict_variants_and_claim_median(report):
    result, text = report["result"], report["pdf"]
    assert report["pages"] == report["n_pdf_pages"] >= 2
    flat = re.sub(r"\s+", " ", text)
    assert "cndr" in flat
    assert result.run_id in flat
    assert result.claim["verdict"].upper() in flat
    for name in VARIANTS:
        assert name in flat
    median = percent(result.claim["median"])
    assert median in report["html"]
    assert median in flat
    assert "35% to 55%" in flat


def test_html_has_one_row_per_event_and_per_variant_and_no_script(report):
    result, html = report["result"], report["html"]
    assert "<script" not in html.lower()
    assert html.count('class="event-row') == len(result.events)
    for ev in result.events["event"]:
        assert f'data-event="{ev}"' in html
    metrics = html.split('id="metrics"')[1].split("</table>")[0]
    assert metrics.count("<tr data-variant=") == len(VARIANTS)
    costs = html.split('id="costs"')[1].split("</table>")[0]
    assert costs.count("<tr data-variant=") == len(VARIANTS) - 1  # hedged variants only
    # charts inline, the VX model-vs-market table computed from the warehouse
    assert html.count('class="chart-svg"') == 3
    vx = html.split('id="vx-errors"')[1].split("</table>")[0]
    assert "overall" in vx and "VX1" in vx and "VX2" in vx


def test_claim_prints_its_interval_and_why_a_variant_cut_less_than_l1(report):
    result, html = report["result"], report["html"]
    low, high = result.claim["median_interval_90"]
    flat = re.sub(r"\s+", " ", report["pdf"])
    assert f"bootstrap 90 % interval {percent(low)} to {percent(high)}" in html
    table = html.split('id="largest-spikes"')[1].split("</table>")[0]
    spikes = result.claim["largest_spikes"]
    assert table.count('<tr class="spike') == sum(len(s["variants"]) for s in spikes) > 0
    for spike in spikes:
        for v in spike["variants"].values():
            if v["worse_than_l1"]:
                assert str(escape(v["why"])) in table  # autoescaped: L1&#39;s
                assert v["why"][:40] in flat


def test_context_formats_every_number_with_a_unit(report):
    ctx = backtest_context(report["result"])  # no warehouse: the VX section says so
    assert ctx["vx_rows"] == []
    assert "not computed" in ctx["vx_note"]
    for row in ctx["metrics"]:
        assert row["cagr"].endswith("%") and row["max_dd"].endswith("%")
        assert row["final_equity"].startswith("$")
    assert ctx["claim"]["saved_per_cost"].endswith(" pp")


def test_cli_backtest_writes_the_html_and_pdf_report(snapshot_copy, tmp_path):
    settings, con = snapshot_copy
    con.close()
    out = tmp_path / "bt"
    run = run_alvh(
        "backtest",
        "--start",
        "2020-01-02",
        "--variants",
        "l1",
        "--out",
        str(out),
        home=settings.home,
    )
    assert run.returncode == 0, run.stderr
    assert (out / "backtest.html").is_file()
    assert (out / "backtest.pdf").read_bytes().startswith(b"%PDF")
    assert "backtest.pdf" in run.stdout and "backtest.html" in run.stdout
