"""The `alvh` commands of the daily flow: `run`, `backfill`, `serve`, `history` (interface.md).

Typer command functions, registered on the `alvh` app by `alvh.cli`. Prefect is imported only
inside `run`, `backfill` and `serve` (through `flows/`), so the rest of the CLI stays quick and
`alvh/` stays usable without an orchestrator. `python -m alvh.flows_cli ...` runs them on the
`alvh` app too, registering any that `alvh.cli` has not.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from alvh.errors import UsageError
from alvh.runs import DEFAULT_WAIT_SECONDS

AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="The date to act for, YYYY-MM-DD.", show_default=False),
]
Source = Annotated[
    str,
    typer.Option(
        "--source", help="auto | snapshot | live (as for 'alvh ingest').", case_sensitive=False
    ),
]
Wait = Annotated[
    float,
    typer.Option(
        "--wait",
        help="Seconds to wait for another process to release the warehouse before exiting 4.",
        min=0,
    ),
]


def _day(text: str | None) -> date | None:
    from alvh.cli import parse_as_of

    return parse_as_of(text) if text else None


def _mode(source: str) -> str:
    from alvh.ingest import MODES

    mode = source.lower()
    if mode not in MODES:
        raise UsageError(f"--source must be one of {', '.join(MODES)}, not {source!r}")
    return mode


def run_command(
    as_of: AsOf = None,
    no_email: Annotated[
        bool, typer.Option("--no-email", help="Render the report but send no email.")
    ] = False,
    source: Source = "auto",
    wait: Wait = DEFAULT_WAIT_SECONDS,
) -> None:
    """The daily flow: ingest → mark → signals → layers → persist → report → email → audit.

    Without --as-of: the latest trading day with SPX and VIX closes once the data is loaded.
    Prints the report paths. Exit 3 when input rows were rejected (the day is still computed on
    the data that loaded), 4 when the warehouse stays busy or the email could not be sent.
    """
    from alvh.pipeline import summary_lines
    from flows.daily import run_once

    day, mode = _day(as_of), _mode(source)
    note = temporary_server_note()
    if note:
        typer.echo(note, err=True)
    result = run_once(day, source=mode, send_email=not no_email, wait_seconds=wait)
    typer.echo("\n".join(summary_lines(result)))
    raise typer.Exit(result.exit_code)


def temporary_server_note() -> str | None:
    """What to say when no Prefect server is configured: Prefect then starts a temporary one
    for the run, which costs more than the run itself (docs/operations.md)."""
    from prefect.settings import get_current_settings

    if get_current_settings().api.url:
        return None
    return (
        "note: no PREFECT_API_URL, so Prefect starts a temporary server for this run (5-10 s). "
        "A long-running server skips that: run 'alvh serve' (or 'prefect server start') and set "
        "PREFECT_API_URL=http://127.0.0.1:4200/api; see docs/operations.md."
    )


def backfill_command(
    start: Annotated[str, typer.Option("--start", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--end", help="Last day, YYYY-MM-DD.")],
    source: Source = "auto",
    reports: Annotated[
        bool, typer.Option("--reports/--no-reports", help="Also render each day's report.")
    ] = False,
    wait: Wait = DEFAULT_WAIT_SECONDS,
) -> None:
    """The daily unit over a range of days, with a progress bar (no emails)."""
    from alvh.pipeline import summary_lines
    from flows.backfill import run_once

    first, last, mode = _day(start), _day(end), _mode(source)
    if first > last:
        raise UsageError(f"--start {first} is after --end {last}")
    result = run_once(first, last, source=mode, reports=reports, wait_seconds=wait)
    typer.echo("\n".join(summary_lines(result)))
    raise typer.Exit(result.exit_code)


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


def history_command(
    as_of: AsOf = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What changed since the previous run, and why: layer states, signals, orders, greeks,
    positions and data revisions; with the day's run records (inputs, config, code)."""
    from alvh.marketdata import latest_marked_day
    from alvh.pipeline import history_lines, today_in_new_york
    from alvh.report.changes import changes_since_previous
    from alvh.runs import latest_run_day, runs_of_day
    from alvh.settings import load_settings
    from alvh.warehouse import connect

    settings = load_settings()
    with connect(settings.warehouse_path, read_only=True) as con:
        day = _day(as_of) or latest_run_day(con) or latest_marked_day(con, today_in_new_york())
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


COMMANDS = {
    "run": run_command,
    "backfill": backfill_command,
    "serve": serve_command,
    "history": history_command,
}


def main() -> None:
    """Run the `alvh` CLI with these commands registered (those `alvh.cli` lacks)."""
    from alvh import cli

    present = {c.name or c.callback.__name__ for c in cli.app.registered_commands}
    for name, function in COMMANDS.items():
        if name not in present:
            cli.app.command(name)(function)
    cli.entry_point()


if __name__ == "__main__":
    main()
