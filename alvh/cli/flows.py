"""`alvh run`, `alvh backfill`, `alvh serve`, `alvh history` (interface.md): the daily flow.

Prefect is reached only inside `run`, `backfill` and `serve`, through `flows/` (the layer above
the library), so every other command runs without an orchestrator.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from alvh.cli.app import app
from alvh.cli.options import (
    AsOfOption,
    SourceOption,
    current_settings,
    ingest_mode,
    optional_day,
    parse_date,
    today_in_new_york,
)
from alvh.core.errors import UsageError
from alvh.store import DEFAULT_WAIT_SECONDS

Wait = Annotated[
    float,
    typer.Option(
        "--wait",
        help="Seconds to wait for another process to release the warehouse before exiting 4.",
        min=0,
    ),
]


@app.command("run")
def run_command(
    as_of: AsOfOption = None,
    no_email: Annotated[
        bool, typer.Option("--no-email", help="Render the report but send no email.")
    ] = False,
    source: SourceOption = "auto",
    wait: Wait = DEFAULT_WAIT_SECONDS,
) -> None:
    """The daily flow: ingest → mark → signals → layers → persist → report → email → audit.

    Without --as-of: the latest trading day with SPX and VIX closes once the data is loaded.
    Prints the report paths. Exit 3 when input rows were rejected (the day is still computed on
    the data that loaded), 4 when the warehouse stays busy or the email could not be sent.
    """
    from alvh.cli.process import quiet_known_tracebacks
    from alvh.pipeline import summary_lines
    from flows.daily import run_once, temporary_server_note

    day, mode = optional_day(as_of), ingest_mode(source)
    current_settings()  # a bad setting is exit 2 here, before Prefect starts
    quiet_known_tracebacks()
    note = temporary_server_note()
    if note:
        typer.echo(note, err=True)
    result = run_once(day, source=mode, send_email=not no_email, wait_seconds=wait)
    typer.echo("\n".join(summary_lines(result)))
    raise typer.Exit(result.exit_code)


@app.command("backfill")
def backfill_command(
    start: Annotated[str, typer.Option("--start", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--end", help="Last day, YYYY-MM-DD.")],
    source: SourceOption = "auto",
    reports: Annotated[
        bool, typer.Option("--reports/--no-reports", help="Also render each day's report.")
    ] = False,
    wait: Wait = DEFAULT_WAIT_SECONDS,
) -> None:
    """The daily unit over a range of days, with a progress bar (no emails)."""
    from alvh.cli.process import quiet_known_tracebacks
    from alvh.pipeline import summary_lines
    from flows.backfill import run_once

    first, last = parse_date(start, "--start"), parse_date(end, "--end")
    mode = ingest_mode(source)
    if first > last:
        raise UsageError(f"--start {first} is after --end {last}")
    from alvh.core import calendar

    if len(calendar.trading_days(first, last)) == 0:  # before Prefect starts, as --as-of is
        raise UsageError(
            f"--start {first} to --end {last} holds no NYSE trading day (weekend or holiday)"
        )
    current_settings()  # a bad setting is exit 2 here, before Prefect starts
    quiet_known_tracebacks()
    result = run_once(first, last, source=mode, reports=reports, wait_seconds=wait)
    typer.echo("\n".join(summary_lines(result)))
    raise typer.Exit(result.exit_code)


@app.command("serve")
def serve_command(
    port: Annotated[
        int, typer.Option("--port", help="Port of the local Prefect server, when one is started.")
    ] = 4200,
) -> None:
    """Serve the daily flow on its schedule: weekdays 16:30 America/New_York.

    Uses the Prefect server at PREFECT_API_URL; without one, starts a local Prefect server
    (UI and API on 127.0.0.1:PORT) for as long as this command runs. Ctrl-C stops both.
    """
    from flows.serve import serve

    serve(port=port)


@app.command("history")
def history_command(
    as_of: AsOfOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What changed since the previous run, and why: layer states, signals, orders, greeks,
    positions and data revisions; with the day's run records (inputs, config, code)."""
    from alvh.data.market_day import latest_marked_day
    from alvh.pipeline import history_lines
    from alvh.report.changes import changes_since_previous
    from alvh.store.runs import latest_run_day, runs_of_day
    from alvh.store.warehouse import connect

    settings = current_settings()
    with connect(settings.warehouse_path, read_only=True) as con:
        day = (
            optional_day(as_of)
            or latest_run_day(con)
            or latest_marked_day(con, today_in_new_york())
        )
        if as_json:
            payload = {
                "as_of": day.isoformat(),
                "runs": runs_of_day(con, day),
                "changes": [c.as_json() for c in changes_since_previous(con, day)],
            }
            typer.echo(json.dumps(payload, indent=2, default=str))
            return
        typer.echo(f"history as of {day}")
        typer.echo("\n".join(history_lines(con, day)))
