"""`alvh report [--as-of]` and `alvh email [--as-of]` (interface.md).

No date given: the latest trading day with SPX and VIX closes in the warehouse (only the CLI
turns "no date" into a date). `alvh email` sends the report already rendered for the day, or
renders it first; a failed delivery exits 4 (interface.md: SMTP unreachable after retries).
"""

from __future__ import annotations

from typing import Annotated

import typer

from alvh.cli.app import app
from alvh.cli.options import current_settings, marked_day

AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="The day, YYYY-MM-DD (default: latest with SPX and VIX).",
        show_default=False,
    ),
]


@app.command("report")
def report_command(as_of: AsOf = None) -> None:
    """Render one day's report to HTML and PDF (reads the stored run; computes what is missing)."""
    from alvh.report import build_report
    from alvh.store.warehouse import connect

    settings = current_settings()
    con = connect(settings.warehouse_path, read_only=True)
    try:
        day = marked_day(con, as_of)
        result = build_report(con, day, settings)
    finally:
        con.close()
    typer.echo(f"report for {day}: {result.pages} pages, content {result.content_hash[:16]}")
    typer.echo(f"  html {result.html}")
    typer.echo(f"  pdf  {result.pdf} ({result.pdf_bytes / 1024:.0f} KiB)")


@app.command("email")
def email_command(as_of: AsOf = None) -> None:
    """(Re)send one day's summary email with the PDF; no SMTP host writes a .eml instead."""
    from alvh.core.errors import EnvironmentProblem
    from alvh.notify import send_summary
    from alvh.report import build_report, existing_report
    from alvh.store.warehouse import open_warehouse

    settings = current_settings()
    con = open_warehouse(settings.warehouse_path)
    try:
        day = marked_day(con, as_of)
        report = existing_report(settings, day)
        if report is None:
            typer.echo(f"no report rendered for {day} yet: rendering it first")
            report = build_report(con, day, settings)
        delivery = send_summary(
            con, day, settings, report, credentials_loader=_block_loader(settings)
        )
    finally:
        con.close()
    if delivery.status == "failed":
        raise EnvironmentProblem(f"email for {day} not delivered: {delivery.detail}")
    typer.echo(f"email for {day} {delivery.status}: {delivery.detail}")


def _block_loader(settings):
    """The Prefect block reader when `ALVH_SMTP_BLOCK` is set (the CLI sits above flows/)."""
    if not settings.smtp_block:
        return None
    try:
        from flows.credentials import load_prefect_email_block
    except ImportError as exc:
        from alvh.core.errors import EnvironmentProblem

        raise EnvironmentProblem(
            f"ALVH_SMTP_BLOCK is set but the Prefect layer cannot load ({exc}): install "
            "Prefect and the email-block extra (pip install 'alvh-risk[email-block]')"
        ) from exc
    return load_prefect_email_block
