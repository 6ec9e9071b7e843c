"""Fixtures for the daily-flow tests (tests/test_pipeline.py, tests/test_flows.py).

A day's home: a copy of the session's snapshot warehouse with a small book entered in July 2026,
so the days before the sample book's own entry date have positions to mark. `fast_pdf` replaces
only WeasyPrint's rasterisation with a stub: the report's context, HTML and content hash stay
real, and the PDF's own tests live with the report.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

DAY = date(2026, 8, 20)  # the latest day with SPX and VIX closes in the bundled snapshot
BOOK = """\
position_id,kind,expiry,quantity,entry_date,entry_price,put_long,put_short,call_short,call_long,strike
IC-2026-09,iron_condor,2026-09-18,10,2026-07-01,12.42,7200,7250,7900,7950,
IC-2026-10,iron_condor,2026-10-16,8,2026-07-01,14.7,7100,7150,8050,8100,
VXC-2026-09-23,vix_call,2026-09-16,20,2026-07-01,0.89,,,,,23
"""

FAST_PDF = (
    "import alvh.report.render as _render; "
    "_render.render_pdf = lambda html, *a, **k: (b'%PDF-1.7 stub', 1, [])"
)


def stub_pdf() -> None:
    exec(FAST_PDF, {})


@pytest.fixture(scope="session")
def flows_template_home(snapshot_warehouse, tmp_path_factory) -> Path:
    """The snapshot warehouse plus the test book, built once; copy it, never write to it."""
    from alvh.book.positions import import_book
    from alvh.store.warehouse import open_warehouse

    home = tmp_path_factory.mktemp("flows_template")
    shutil.copy(snapshot_warehouse, home / "alvh.duckdb")
    book = home / "book.csv"
    book.write_text(BOOK)
    con = open_warehouse(home / "alvh.duckdb")
    try:
        import_book(con, book, DAY)
    finally:
        con.close()
    return home


@pytest.fixture
def day_home(flows_template_home, tmp_path, monkeypatch) -> Path:
    """A private copy of the template home, made the process's ALVH_HOME."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(flows_template_home / "alvh.duckdb", home / "alvh.duckdb")
    for name in list(__import__("os").environ):
        if name.startswith("ALVH_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ALVH_HOME", str(home))
    return home


@pytest.fixture
def day_settings(day_home):
    from alvh.core.settings import load_settings

    return load_settings()


@pytest.fixture
def fast_pdf(monkeypatch):
    import alvh.report.render as render

    monkeypatch.setattr(render, "render_pdf", lambda html, *a, **k: (b"%PDF-1.7 stub", 1, []))


@pytest.fixture(scope="session")
def prefect_api() -> str:
    """One Prefect test server (SQLite in a temporary folder) for the whole session."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield PREFECT_API_URL.value()
