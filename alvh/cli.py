"""The `alvh` command line (interface.md): commands, exit codes, JSON shapes.

Only the CLI turns "no date given" into a date; everything below it takes `as_of` explicitly.
Exit codes: 0 success, 1 unexpected, 2 usage, 3 bad input data, 4 environment problem.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, NoReturn
from zoneinfo import ZoneInfo

import typer

from alvh.errors import AlvhError, UsageError

NEW_YORK = ZoneInfo("America/New_York")

app = typer.Typer(
    help="ALVH Risk: SPX iron condors hedged with VIX calls (Adaptive Layered VIX Hedge).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="What the warehouse holds.", no_args_is_help=True)
app.add_typer(data_app, name="data")
book_app = typer.Typer(
    help="The condor book: import positions, show them marked.", no_args_is_help=True
)
app.add_typer(book_app, name="book")
orders_app = typer.Typer(
    help="Proposed hedge orders and their approvals (method §6.5).", no_args_is_help=True
)
app.add_typer(orders_app, name="orders")
audit_app = typer.Typer(help="The tamper-evident audit history.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="The date to act for, YYYY-MM-DD.", show_default=False)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (interface.md shape).")]


def today_in_new_york() -> date:
    return datetime.now(NEW_YORK).date()


def parse_as_of(text: str | None) -> date:
    """`--as-of` as a date: today in New York when absent; never in the future."""
    if text is None:
        return today_in_new_york()
    try:
        value = date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"--as-of {text!r} is not a date in the form YYYY-MM-DD") from exc
    if value > today_in_new_york():
        raise UsageError(f"--as-of {value} is in the future")
    return value


def _settings():
    from alvh.settings import load_settings

    return load_settings()


def _print_ingest(report) -> None:
    for item in report.items:
        counts = (
            f"+{item.inserted} ~{item.updated} ={item.unchanged} !{item.rejected}"
            if item.status not in ("unreachable",)
            else ""
        )
        note = f"  ({item.note})" if item.note else ""
        typer.echo(f"  {item.item:<16} {item.status:<11} {item.source:<8} {counts}{note}")
    typer.echo(
        f"ingest {report.run_id} as of {report.as_of} ({report.mode}): "
        f"{report.total('inserted')} inserted, {report.total('updated')} updated, "
        f"{report.total('unchanged')} unchanged, {report.total('rejected')} rejected "
        f"in {report.duration:.2f} s"
    )
    messages = report.reject_messages
    if messages:
        typer.echo(f"{len(messages)} rows rejected and quarantined in rejected_rows:", err=True)
        for message in messages[:20]:
            typer.echo(f"  {message}", err=True)
        if len(messages) > 20:
            typer.echo(f"  ... and {len(messages) - 20} more (see rejected_rows)", err=True)
    for item in report.unreachable:
        typer.echo(f"  {item.item}: {item.note}; no fallback allowed (--source live)", err=True)


@app.command()
def init() -> None:
    """Create or migrate the warehouse, load the bundled data and, into an empty book, the sample
    book (idempotent)."""
    from alvh.book import load_sample_book
    from alvh.ingest import ingest
    from alvh.warehouse import open_warehouse

    settings = _settings()
    with open_warehouse(settings.warehouse_path) as con:
        typer.echo(f"warehouse {settings.warehouse_path}")
        report = ingest(con, settings, today_in_new_york(), mode="snapshot")
        _print_ingest(report)
        sample = load_sample_book(con, today_in_new_york())
        if sample is not None:
            typer.echo(f"sample book loaded: {sample.inserted} positions from {sample.file}")
        else:
            typer.echo("book already holds positions: sample book not loaded")
    raise typer.Exit(report.exit_code)


@app.command("ingest")
def ingest_command(
    source: Annotated[
        str, typer.Option("--source", help="auto | snapshot | live", case_sensitive=False)
    ] = "auto",
    as_of: AsOfOption = None,
    revalidate: Annotated[
        bool,
        typer.Option(
            "--revalidate",
            help="Validate and write every file again, even one identical to an earlier load.",
        ),
    ] = False,
) -> None:
    """Load or refresh market and macro data (auto: live publishers, else the snapshot)."""
    from alvh.ingest import MODES, ingest
    from alvh.warehouse import open_warehouse

    mode = source.lower()
    if mode not in MODES:
        raise UsageError(f"--source must be one of {', '.join(MODES)}, not {source!r}")
    day = parse_as_of(as_of)
    settings = _settings()
    with open_warehouse(settings.warehouse_path) as con:
        report = ingest(con, settings, day, mode=mode, revalidate=revalidate)
    _print_ingest(report)
    raise typer.Exit(report.exit_code)


@data_app.command("status")
def data_status(as_of: AsOfOption = None, as_json: JsonOption = False) -> None:
    """One row per series: first date, last date, rows, trading days stale, source."""
    from alvh.status import series_status
    from alvh.warehouse import connect

    day = parse_as_of(as_of)
    settings = _settings()
    with connect(settings.warehouse_path, read_only=True) as con:
        rows = series_status(con, settings, day)
    if as_json:
        typer.echo(json.dumps([row.as_json() for row in rows], indent=2))
        return
    typer.echo(f"data status as of {day} ({settings.warehouse_path})")
    typer.echo(f"{'series':<16} {'first':<10} {'last':<10} {'rows':>7} {'stale':>6}  source")
    for row in rows:
        flag = "  STALE" if row.stale else ""
        typer.echo(
            f"{row.series:<16} {row.first:<10} {row.last:<10} {row.rows:>7} "
            f"{row.stale_days:>6}  {row.source}{flag}"
        )


@book_app.command("import")
def book_import(
    file: Annotated[Path, typer.Argument(help="Book CSV (interface.md columns).")],
) -> None:
    """Load positions from a CSV file; one bad row refuses the whole file (exit 3)."""
    from alvh.book import import_book
    from alvh.warehouse import open_warehouse

    settings = _settings()
    with open_warehouse(settings.warehouse_path) as con:
        report = import_book(con, file, today_in_new_york())
    typer.echo(
        f"imported {file}: {report.inserted} new position(s), {report.unchanged} already in the "
        f"book ({report.import_id})"
    )


def _marked_day(con, as_of: str | None) -> date:
    """--as-of, or the latest trading day with SPX and VIX closes in the warehouse."""
    from alvh.marketdata import latest_marked_day

    return parse_as_of(as_of) if as_of else latest_marked_day(con, today_in_new_york())


@book_app.command("show")
def book_show(as_of: AsOfOption = None, as_json: JsonOption = False) -> None:
    """Positions marked by the model with dollar greeks, P&L and book totals (method §4)."""
    from alvh.marks import mark_book
    from alvh.warehouse import connect

    settings = _settings()
    with connect(settings.warehouse_path, read_only=True) as con:
        marks = mark_book(con, _marked_day(con, as_of))
    if as_json:
        typer.echo(json.dumps(marks.as_json(), indent=2, default=str))
        return
    typer.echo(
        f"book as of {marks.as_of}: SPX {marks.snapshot.spx:,.2f}  VIX "
        f"{marks.snapshot.vix:.2f}  (model-priced, method §2)"
    )
    typer.echo(
        f"{'position':<24} {'kind':<11} {'qty':>4} {'expiry':<10} {'mark':>8} "
        f"{'P&L $':>10} {'delta $':>9} {'vega $':>9} {'theta $':>8}"
    )
    for p in marks.positions:
        typer.echo(
            f"{p.position_id[:24]:<24} {p.kind:<11} {p.quantity:>4} {p.expiry!s:<10} "
            f"{p.mark:>8.2f} {p.pnl:>10,.0f} {p.delta:>9,.1f} {p.vega:>9,.0f} "
            f"{p.theta:>8,.0f}"
        )
    t = marks.totals
    ratio = "n/a" if t["vega_offset_ratio"] is None else f"{t['vega_offset_ratio']:.2f}"
    liquidity = "unbounded" if t["liquidity_ratio"] is None else f"{t['liquidity_ratio']:.2f}"
    typer.echo(
        f"value ${t['value']:,.0f} (cash ${t['cash']:,.0f})  risk capital "
        f"${t['risk_capital']:,.0f}  VIX +1: condors ${t['condor_vix_sensitivity']:,.0f}, "
        f"hedge ${t['hedge_vix_sensitivity']:,.0f}  vega offset {ratio}  "
        f"liquidity {liquidity}"
    )


@app.command()
def layers(as_of: AsOfOption = None, as_json: JsonOption = False) -> None:
    """Signals and layer states for one day, with reasons and proposed orders (stored)."""
    from alvh.engine import run_layers, save_decision
    from alvh.warehouse import open_warehouse

    settings = _settings()
    with open_warehouse(settings.warehouse_path) as con:
        decision = run_layers(con, _marked_day(con, as_of), settings)
        save_decision(con, decision)
    if as_json:
        typer.echo(json.dumps(decision.as_json(), indent=2, default=str))
        return
    typer.echo(f"ALVH layers as of {decision.as_of}")
    for name, reading in decision.signals.items():
        flag = "ACTIVE" if reading.active else ("off" if reading.available else "unavailable")
        typer.echo(f"  {name} {flag:<11} {reading.detail}")
    for state in decision.layers.values():
        typer.echo(
            f"  {state.layer} {state.state:<6} target {state.target_contracts:>4} held "
            f"{state.held_contracts:>4}  {state.reason}"
        )
        if state.capped:
            typer.echo(f"     {state.cap_detail}")
    for order_id, order in zip(decision.order_ids, decision.orders, strict=True):
        typer.echo(
            f"  order {order_id}: {order.action} {order.quantity} {order.instrument} "
            f"{order.strike:g} {order.expiry} at {order.price:.2f} (${order.cost:,.0f})"
        )
    if not decision.orders:
        typer.echo("  no orders proposed")


@orders_app.command("list")
def orders_list(
    status: Annotated[
        str | None, typer.Option(help="proposed | approved | executed | expired")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Orders with their approvals, newest first."""
    from alvh.orders import list_orders
    from alvh.warehouse import connect

    settings = _settings()
    with connect(settings.warehouse_path, read_only=True) as con:
        frame = list_orders(con, status)
    records = json.loads(frame.to_json(orient="records", date_format="iso"))
    for record in records:
        for key in ("as_of", "expiry"):
            record[key] = (record[key] or "")[:10]
    if as_json:
        typer.echo(json.dumps(records, indent=2))
        return
    if not records:
        typer.echo("no orders")
    for r in records:
        typer.echo(
            f"{r['order_id']:<28} {r['status']:<9} {r['layer']} {r['action']:<5} "
            f"{r['quantity']:>4} {r['instrument']} {r['strike']:g} {r['expiry']} at "
            f"{r['price']:.2f}  approvals {r['approvals']}"
            f"{' (' + r['approved_by'] + ')' if r['approved_by'] else ''}"
        )


@orders_app.command("approve")
def orders_approve(
    order_id: Annotated[str, typer.Argument(help="The order's id ('alvh orders list').")],
    approver: Annotated[str, typer.Option("--as", help="Your approver name (configured).")],
) -> None:
    """Approve an order as a named approver (k of m, each approver counts once)."""
    from alvh.orders import approve
    from alvh.warehouse import open_warehouse

    settings = _settings()
    with open_warehouse(settings.warehouse_path) as con:
        status = approve(con, order_id, approver, settings)
    typer.echo(f"order {order_id}: approved by {approver}; status {status}")


@orders_app.command("execute")
def orders_execute(
    order_id: Annotated[str, typer.Argument(help="An approved order's id.")],
    price: Annotated[float, typer.Option("--price", help="Fill price per unit, index points.")],
) -> None:
    """Record an approved order's fill; the book and the cash account change accordingly."""
    from alvh.orders import execute
    from alvh.warehouse import open_warehouse

    settings = _settings()
    with open_warehouse(settings.warehouse_path) as con:
        from alvh import calendar

        summary = execute(
            con,
            order_id,
            price,
            calendar.latest_trading_day(today_in_new_york()),
            __import__("alvh.engine", fromlist=["configs"]).configs(settings)[2],
        )
    typer.echo(f"order {order_id} executed: {summary}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit chain; exit 3 when any row was edited or deleted."""
    from alvh.audit import verify
    from alvh.warehouse import connect

    settings = _settings()
    with connect(settings.warehouse_path, read_only=True) as con:
        checked, breaks = verify(con)
    if breaks:
        typer.echo(f"audit chain BROKEN: {len(breaks)} problem(s) in {checked} rows", err=True)
        for item in breaks:
            typer.echo(f"  row {item.seq}: {item.problem}", err=True)
        raise typer.Exit(3)
    typer.echo(f"audit chain intact: {checked} rows verified")


def _register_commands() -> None:
    """Commands whose bodies live beside their domain (kept light at import time)."""
    from alvh.backtest.cli import backtest_command, sweep_command
    from alvh.flows_cli import backfill_command, history_command, run_command, serve_command
    from alvh.report.cli import email_command, report_command

    app.command("run")(run_command)
    app.command("backfill")(backfill_command)
    app.command("serve")(serve_command)
    app.command("history")(history_command)
    app.command("report")(report_command)
    app.command("email")(email_command)
    app.command("backtest")(backtest_command)
    app.command("sweep")(sweep_command)


_register_commands()


def main() -> None:
    """Console entry point: maps our errors to interface.md's exit codes."""
    try:
        # Without standalone mode, a command's `typer.Exit(code)` comes back as the return value.
        code = app(standalone_mode=False)
    except AlvhError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("aborted", err=True)
        sys.exit(1)
    except Exception as exc:
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # click's usage errors: exit 2
            exc.show()
            sys.exit(exc.exit_code)
        typer.echo(f"unexpected error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def entry_point() -> None:
    """The `alvh` console script: `main`, then an exit that skips the interpreter's teardown."""
    try:
        main()
    except SystemExit as exc:
        _exit_without_teardown(_exit_status(exc.code))
    _exit_without_teardown(0)


def _exit_status(code: object) -> int:
    """What `sys.exit(code)` would make the process exit with."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _exit_without_teardown(code: int) -> NoReturn:
    """Exit as Python would, minus the final teardown of every imported module.

    Tearing down pandas, DuckDB, Prefect and WeasyPrint costs a new process about half a
    second (measured: `alvh run` 6.6 s → 6.1 s), and does nothing for us: every warehouse
    connection and file is closed by its own `with`/`finally`. What matters of a normal exit
    still happens, in its order: atexit handlers (Prefect drains its log and event queues
    there, logging flushes its handlers), then stdout and stderr are flushed. While a
    non-daemon thread still runs, Python's own exit joins it instead.
    """
    main_thread = threading.main_thread()
    if any(t is not main_thread and not t.daemon for t in threading.enumerate()):
        sys.exit(code)
    atexit._run_exitfuncs()  # the handlers a normal exit runs, in their order
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing left to lose
            pass
    os._exit(code)


if __name__ == "__main__":
    entry_point()
