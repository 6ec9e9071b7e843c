"""The daily risk report: one HTML and one PDF per `as_of` from the same templates (issue 6).

    result = build_report(con, date(2026, 8, 20), settings, run_id="run-...")
    result.html, result.pdf      # reports/2026-08-20/alvh-2026-08-20.{html,pdf}
    result.content_hash          # the same for every rendering of the same day's content
    result.pages

`build_report` reads what the daily run stored for the day and computes (without writing) what
it has not stored yet. Files are written atomically: a reader never sees half a report. Beside
them, `alvh-YYYY-MM-DD.json` records the content hash, page count and generation time, so a
later `alvh email` can attach the report without rendering it again.

The content hash covers the rendered HTML with the per-rendering facts (generation time, run
id, ingest run id, commit) replaced by placeholders: re-rendering the same day with the same
data gives the same hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from alvh.core.settings import Settings

__all__ = ["ReportResult", "build_report", "existing_report", "report_paths"]

_VOLATILE_PLACEHOLDER = "·"


@dataclass(frozen=True)
class ReportResult:
    """Where one day's report went, and what it holds."""

    as_of: date
    html: Path
    pdf: Path
    content_hash: str
    pages: int
    pdf_bytes: int = 0
    generated_at: str = ""
    summary: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    timings: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    @property
    def manifest(self) -> Path:
        return self.html.with_suffix(".json")


def report_paths(settings: Settings, as_of: date) -> tuple[Path, Path]:
    """`reports/YYYY-MM-DD/alvh-YYYY-MM-DD.html` and `.pdf` (interface.md)."""
    folder = settings.reports_dir / as_of.isoformat()
    stem = f"alvh-{as_of.isoformat()}"
    return folder / f"{stem}.html", folder / f"{stem}.pdf"


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def content_hash(context: dict[str, Any]) -> str:
    """SHA-256 of the report's HTML with the per-rendering facts blanked out."""
    from alvh.report.render import render_html

    stable = {**context, "run": {k: _VOLATILE_PLACEHOLDER for k in context["run"]}}
    return hashlib.sha256(render_html(stable).encode("utf-8")).hexdigest()


def simulated_history(con: duckdb.DuckDBPyConnection, as_of: date, settings: Settings):
    """The same rules simulated over the last three years, when the backtest engine exists.

    Returns None while `alvh.backtest` offers no usable entry point; the report then shows the
    book's own history with a note instead of inventing numbers.
    """
    from alvh.report.sections.equity import simulate_recent

    return simulate_recent(con, as_of, settings)


def build_report(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    settings: Settings,
    run_id: str | None = None,
    *,
    simulate: Callable | None = simulated_history,
) -> ReportResult:
    """Render `as_of`'s report to HTML and PDF under `settings.reports_dir` (see module doc)."""
    from alvh.report.context import build_context
    from alvh.report.render import render_html, render_pdf

    timings: dict[str, float] = {}
    started = time.perf_counter()
    context = build_context(con, as_of, settings, run_id, simulate=simulate)
    timings["context"] = time.perf_counter() - started

    mark = time.perf_counter()
    html = render_html(context)
    digest = content_hash(context)
    timings["html"] = time.perf_counter() - mark

    mark = time.perf_counter()
    pdf, pages, blocked = render_pdf(html)
    timings["pdf"] = time.perf_counter() - mark
    if blocked:  # the templates reference nothing external; this is a bug, not a warning
        raise RuntimeError(f"the report asked for external resources: {blocked}")

    html_path, pdf_path = report_paths(settings, as_of)
    atomic_write(html_path, html.encode("utf-8"))
    atomic_write(pdf_path, pdf)
    result = ReportResult(
        as_of,
        html_path,
        pdf_path,
        digest,
        pages,
        len(pdf),
        context["run"]["generated_at"],
        context["email"],
        timings,
    )
    manifest = {
        "as_of": as_of.isoformat(),
        "html": html_path.name,
        "pdf": pdf_path.name,
        "content_hash": digest,
        "pages": pages,
        "pdf_bytes": len(pdf),
        "generated_at": result.generated_at,
        "run_id": run_id,
        # the email summary of exactly this rendering: a later `alvh email` (or the run's email
        # step in another process) sends what the attached PDF shows, not a recomputation
        "summary": result.summary,
    }
    atomic_write(result.manifest, json.dumps(manifest, indent=2, default=str).encode("utf-8"))
    timings["total"] = time.perf_counter() - started
    return result


def existing_report(settings: Settings, as_of: date) -> ReportResult | None:
    """The report already rendered for `as_of` (from its manifest), or None."""
    html_path, pdf_path = report_paths(settings, as_of)
    manifest = html_path.with_suffix(".json")
    if not (html_path.is_file() and pdf_path.is_file() and manifest.is_file()):
        return None
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return ReportResult(
        as_of,
        html_path,
        pdf_path,
        data["content_hash"],
        int(data["pages"]),
        int(data.get("pdf_bytes", pdf_path.stat().st_size)),
        data.get("generated_at", ""),
        data.get("summary"),
    )
