"""The daily unit as plain step functions: ingest → mark, signals and layers, persist →
report → email → audit (issue: daily flow). No Prefect here: `flows/daily.py` wraps each step in
a task, and `run_day` below runs the same steps in order without an orchestrator.

Each step takes the run id, a date and the settings, opens the warehouse itself, does one thing,
records its timing and row counts (`alvh.store.runs`), and returns small `StepResult`s. Steps
hand each other nothing but those values and what the previous step persisted (no module
state), so each may run in its own process: `book_and_hedge_step` marks the book, decides the
layers on those marks and writes the day's derived rows — marks, settlements, signals, layer
states, orders — in one transaction, so a run killed at any point leaves either the previous
version of the day or the new one, never a mixture; the email step sends the report, and the
summary, that the report step wrote to disk.

Exit codes of a run (interface.md): rejected input rows do not stop the day — it is computed on
the data that loaded and the run exits 3 at the end; a publisher unreachable in `live` mode or an
email that could not be delivered leaves the day complete and exits 4. When both happen, 4.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd

from alvh.book.marks import book_row, leg_rows, position_rows
from alvh.core.calendar import today_in_new_york
from alvh.core.errors import UsageError
from alvh.core.resources import read_sql_statements
from alvh.core.settings import Settings, load_settings
from alvh.store import anchor, runs
from alvh.store.warehouse import connect, transaction

# a transaction per ~quarter of sessions (20 days a chunk spent ~2 s of a 10-year backfill
# on the chunks' own statements)
BACKFILL_CHUNK_DAYS = 60


@dataclass(frozen=True)
class StepResult:
    """What one step did: small, JSON-ready values only (they cross Prefect task boundaries)."""

    step: str
    as_of: date
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    exit_code: int = 0
    message: str = ""


@dataclass(frozen=True)
class RunResult:
    """A whole run: its record in `pipeline_runs`, its steps, and the exit code it earns."""

    run_id: str
    as_of: date
    status: str
    exit_code: int
    message: str
    steps: list[StepResult]
    audit_head: tuple[int, str]

    def step(self, name: str) -> StepResult | None:
        return next((s for s in self.steps if s.step == name), None)

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["as_of"] = self.as_of.isoformat()
        for step in out["steps"]:
            step["as_of"] = step["as_of"].isoformat()
        return out


# ---------------------------------------------------------------------------------------------
# a run: hold the warehouse, record the run, record a failure


@contextmanager
def daily_run(
    as_of: date | None,
    settings: Settings,
    wait_seconds: float = runs.DEFAULT_WAIT_SECONDS,
    flow_run_id: str | None = None,
    kind: str = "daily",
) -> Iterator[str]:
    """Hold the warehouse for the run and record it; yields the run id. A step that raises
    closes the run as 'failed' (the steps already committed stay) and the error propagates."""
    with runs.hold_warehouse(settings.warehouse_path, wait_seconds) as con:
        runs.abandon_stale(con)
        run_id = runs.start(con, as_of or today_in_new_york(), settings, flow_run_id, kind)
        try:
            yield run_id
        except BaseException as exc:
            day = con.execute(_runs_sql()["run_as_of"], {"run_id": run_id}).fetchone()[0]
            text = f"{type(exc).__name__}: {exc}"
            runs.finish(con, run_id, day, runs.FAILED, text[:2000], {"error": type(exc).__name__})
            raise


def _runs_sql() -> dict[str, str]:
    return read_sql_statements("flows/runs.sql")


def _record(con: duckdb.DuckDBPyConnection, run_id: str, result: StepResult, **extra) -> StepResult:
    runs.record_step(con, run_id, result.as_of, result.step, result.seconds, result.counts, **extra)
    return result


def _pause_point(step: str, settings: Settings) -> None:
    """Fault-injection hook for the kill and concurrency tests: with ALVH_PAUSE_AT=<step> the
    run writes `$ALVH_HOME/.paused-at-<step>` and waits there — inside the step's transaction
    for `persist` — until that file is removed or ALVH_PAUSE_SECONDS (default 60) pass. Inert
    unless the variable is set."""
    if os.environ.get("ALVH_PAUSE_AT") != step:
        return
    marker = settings.home / f".paused-at-{step}"
    marker.write_text(str(os.getpid()))
    deadline = time.monotonic() + float(os.environ.get("ALVH_PAUSE_SECONDS", "60"))
    while marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


# ---------------------------------------------------------------------------------------------
# the steps


def ingest_step(
    run_id: str,
    as_of: date | None,
    settings: Settings,
    source: str = "auto",
    *,
    resolve: bool = True,
) -> StepResult:
    """Load the data as it stands today, then settle the day: `as_of`, or with none the latest
    trading day with SPX and VIX closes now in the warehouse. (Loading is always as of today in
    New York: re-running a past day must not reject the days after it as "future".) Rejected
    rows are quarantined and the day goes on (exit 3 at the end); the input-data fingerprint of
    the day is recorded with the step."""
    from alvh.data.ingest import ingest
    from alvh.data.market_day import latest_marked_day
    from alvh.data.status import series_status

    started = time.perf_counter()
    with connect(settings.warehouse_path) as con:
        today = today_in_new_york()
        report = ingest(con, settings, today, mode=source)
        day = as_of
        if resolve:
            day = latest_marked_day(con, as_of or today)
            if as_of is not None and day != as_of:
                raise UsageError(
                    f"--as-of {as_of}: the warehouse has no SPX and VIX closes for that day "
                    f"(not a trading day, or not loaded yet); the latest before it is {day}"
                )
        stale = {
            row.series: row.stale_days for row in series_status(con, settings, day) if row.stale
        }
        data_hash = runs.input_hash(con, day)
        _pause_point("ingest", settings)
        messages = report.reject_messages[:5] + [
            f"{item.item}: {item.note}" for item in report.unreachable
        ]
        result = StepResult(
            "ingest",
            day,
            time.perf_counter() - started,
            {name: report.total(name) for name in ("inserted", "updated", "unchanged", "rejected")},
            {
                "mode": report.mode,
                "ingest_run_id": report.run_id,
                "status": report.status,
                "sources": sorted({item.source for item in report.items}),
                "unreachable": [item.item for item in report.unreachable],
                "stale_series": stale,
                "input_hash": data_hash,
            },
            report.exit_code,
            "; ".join(messages),
        )
        return _record(con, run_id, result, data_hash=data_hash)


def _compute_marks(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    settings: Settings,
    config=None,
    **known: object,
):
    """The day's marks and the parameters they used: the surface fitted to the day's stored
    SPX quotes, else the defaults (`alvh.book.day_model`). `config`: the settings parsed once
    (`alvh.hedge.day.EngineConfig`, a backfill's), else here; `known`: what a backfill already
    has for the day (`mark_book`'s `snapshot`, `vix_response`, `book`, `rate_history`,
    `quote_days`) or does not need (`with_day_pnl`)."""
    from alvh.book.day_model import mark_day
    from alvh.hedge.day import EngineConfig

    config = config or EngineConfig.from_settings(settings)
    return mark_day(con, as_of, config.params, config.costs, **known)


def book_and_hedge_step(
    run_id: str, as_of: date, settings: Settings
) -> tuple[StepResult, StepResult, StepResult]:
    """Mark the book (method §4), decide signals, layers and orders (§5–§6), and replace the
    day's derived rows in one transaction — marks and settlements, signals, layer states and
    the day's proposals (approved or executed orders are kept).

    One step, so the marks and the decision pass between the three parts as values in one
    process, never through module state; a run killed at any point leaves the day's rows as
    they were or as they are now. Returns the `mark`, `layers` and `persist` records.
    """
    from alvh.book.day_model import save_day_surface
    from alvh.book.marks import save_marks
    from alvh.hedge.day import EngineConfig, run_layers, save_decision

    config = EngineConfig.from_settings(settings)
    with connect(settings.warehouse_path) as con:
        started = time.perf_counter()
        marks, model = _compute_marks(con, as_of, settings, config)
        _pause_point("mark", settings)
        marked = _record(con, run_id, _mark_result(marks, as_of, time.perf_counter() - started))

        started = time.perf_counter()
        # the day is marked once
        decision = run_layers(con, as_of, settings, marks=marks, config=config)
        _pause_point("layers", settings)
        decided = _record(
            con, run_id, _layers_result(decision, as_of, time.perf_counter() - started)
        )

        started = time.perf_counter()
        with transaction(con):  # save_marks' and save_decision's own transactions join it
            written = save_marks(con, marks)
            written["day_surfaces"] = save_day_surface(con, model, run_id)
            order_ids = save_decision(con, decision)
            _pause_point("persist", settings)
        result = StepResult(
            "persist",
            as_of,
            time.perf_counter() - started,
            {
                **written,
                "signals": len(decision.signals),
                "states": len(decision.layers),
                "orders": len(order_ids),
            },
            {"order_ids": order_ids},
        )
        return marked, decided, _record(con, run_id, result)


def _mark_result(marks, as_of: date, seconds: float) -> StepResult:
    t, s = marks.totals, marks.snapshot
    facts = {
        "spx": s.spx,
        "vix": s.vix,
        **{k: t[k] for k in ("value", "cash", "delta", "gamma", "vega", "theta")},
        "risk_capital": t["risk_capital"],
        "vega_offset_ratio": t["vega_offset_ratio"],
        "liquidity_ratio": t["liquidity_ratio"],
        "day_pnl": (marks.day_pnl or {}).get("total"),
        "vx_forward_sources": marks.assumptions.get("vx_forward_sources", []),
        "surface": marks.assumptions["surface"]["text"],
    }
    counts = {"positions": len(marks.positions), "legs": len(marks.legs)}
    return StepResult("mark", as_of, seconds, counts, facts)


def _layers_result(decision, as_of: date, seconds: float) -> StepResult:
    counts = {
        "signals": len(decision.signals),
        "states": len(decision.layers),
        "orders": len(decision.orders),
    }
    facts = {
        "layers": {
            name: {"state": st.state, "target": st.target_contracts, "held": st.held_contracts}
            for name, st in decision.layers.items()
        },
        "signals_active": [n for n, r in decision.signals.items() if r.active],
        "signals_unavailable": [n for n, r in decision.signals.items() if not r.available],
        "orders": [
            f"{o.layer} {o.action} {o.quantity} {o.instrument} {o.strike:g} {o.expiry}"
            for o in decision.orders
        ],
    }
    return StepResult("layers", as_of, seconds, counts, facts)


def report_step(run_id: str, as_of: date, settings: Settings) -> StepResult:
    """Render the day's HTML and PDF report from the stored rows."""
    from alvh.report import build_report

    started = time.perf_counter()
    with connect(settings.warehouse_path) as con:
        report = build_report(con, as_of, settings, run_id=run_id)
        _pause_point("report", settings)
        result = StepResult(
            "report",
            as_of,
            time.perf_counter() - started,
            {"pages": int(report.pages)},
            {
                "html": str(report.html),
                "pdf": str(report.pdf),
                "content_hash": report.content_hash,
                "pages": int(report.pages),
            },
        )
        return _record(con, run_id, result)


def email_step(
    run_id: str,
    as_of: date,
    settings: Settings,
    send: bool = True,
    *,
    attempts: int = 3,
    backoff_seconds: float = 1.0,
    credentials_loader=None,
) -> StepResult:
    """Send (or, with no SMTP host, write as .eml) the summary email of the day's report. An
    SMTP failure after the retries leaves the report saved and the delivery recorded as failed
    (`alvh email --as-of` resends it) and makes the run exit 4."""
    if not send:
        return StepResult(
            "email",
            as_of,
            0.0,
            {},
            {"status": "skipped", "detail": "not asked for (--no-email): nothing sent or written"},
        )
    from alvh.notify import send_summary
    from alvh.report import existing_report

    started = time.perf_counter()
    with connect(settings.warehouse_path) as con:
        report = existing_report(settings, as_of)  # as the report step wrote it
        if report is None:
            raise UsageError(f"no report rendered for {as_of}: run the report step first")
        delivery = send_summary(
            con,
            as_of,
            settings,
            report,
            attempts=attempts,
            backoff_seconds=backoff_seconds,
            credentials_loader=credentials_loader,
        )
        failed = delivery.status == "failed"
        message = ""
        if failed:
            message = (
                f"email not delivered ({delivery.detail}); the report is saved and "
                f"'alvh email --as-of {as_of}' sends it later"
            )
        result = StepResult(
            "email",
            as_of,
            time.perf_counter() - started,
            {"sent": int(delivery.status == "sent"), "failed": int(failed)},
            {
                "status": delivery.status,
                "detail": delivery.detail,
                "eml_path": str(delivery.eml_path) if delivery.eml_path else None,
            },
            4 if failed else 0,
            message,
        )
        return _record(con, run_id, result)


def run_exit_code(results: Sequence[StepResult]) -> int:
    """4 (environment) over 3 (bad input rows) over 0."""
    codes = {r.exit_code for r in results}
    return 4 if 4 in codes else 3 if 3 in codes else 1 if codes - {0} else 0


def audit_step(
    run_id: str, as_of: date, settings: Settings, results: Sequence[StepResult]
) -> RunResult:
    """Close the run: status and exit code from the steps, a last audit event with the day's
    fingerprints, and the audit head the run leaves behind."""
    exit_code = run_exit_code(results)
    status = runs.SUCCESS if exit_code == 0 else runs.WARNING
    problems = [f"{r.step}: {r.message}" for r in results if r.exit_code and r.message]
    message = f"exit {exit_code}" + (": " + " | ".join(problems) if problems else "")
    details: dict[str, Any] = {"exit_code": exit_code}
    for r in results:
        for key in ("input_hash", "content_hash"):
            if key in r.facts:
                details[key] = r.facts[key]
        if r.step == "layers":
            details["layers"] = {k: v["state"] for k, v in r.facts["layers"].items()}
        if r.step == "mark":  # which SPX surface priced the day (its fit or the defaults)
            details["surface"] = r.facts["surface"]
    with connect(settings.warehouse_path) as con:
        head = runs.finish(con, run_id, as_of, status, message[:2000], details)
    # the head also goes outside the warehouse, where a rewritten chain cannot follow it
    anchor.append(settings.audit_anchor_file, head, as_of=as_of, run_id=run_id)
    return RunResult(run_id, as_of, status, exit_code, message, list(results), head)


def run_day(
    as_of: date | None = None,
    settings: Settings | None = None,
    *,
    source: str = "auto",
    send_email: bool = True,
    wait_seconds: float = runs.DEFAULT_WAIT_SECONDS,
) -> RunResult:
    """The daily unit without Prefect: the same steps the `alvh-daily` flow runs, in order."""
    settings = settings or load_settings()
    with daily_run(as_of, settings, wait_seconds) as run_id:
        loaded = ingest_step(run_id, as_of, settings, source)
        day = loaded.as_of
        marked, decided, saved = book_and_hedge_step(run_id, day, settings)
        report = report_step(run_id, day, settings)
        delivery = email_step(run_id, day, settings, send_email)
        steps = [loaded, marked, decided, saved, report, delivery]
        return audit_step(run_id, day, settings, steps)


# ---------------------------------------------------------------------------------------------
# backfill: the daily unit over a range, set-based writes per chunk of days


def marked_days(con: duckdb.DuckDBPyConnection, start: date, end: date) -> list[date]:
    """The days in [start, end] with SPX and VIX closes: the days the daily unit can run."""
    sql = read_sql_statements("flows/backfill.sql")["marked_days"]
    return [row[0] for row in con.execute(sql, {"start": start, "end": end}).fetchall()]


def _write_chunk(con: duckdb.DuckDBPyConnection, days: list[date], staged: dict) -> None:
    """One DELETE and one INSERT per table for the chunk (inside the caller's transaction)."""
    sql = read_sql_statements("flows/backfill.sql")
    marks_sql = read_sql_statements("book/marks.sql")
    span = {"first": days[0], "last": days[-1]}
    for name in ("delete_legs", "delete_positions", "delete_book", "delete_signals"):
        con.execute(sql[name], span)
    con.execute(sql["delete_states"], span)
    frames = {
        "legs": (marks_sql["insert_legs"], staged["legs"]),
        "marked": (marks_sql["insert_positions"], staged["positions"]),
        "books": (sql["insert_book"], staged["books"]),
        "signal_rows": (sql["insert_signals"], staged["signals"]),
        "state_rows": (sql["insert_states"], staged["states"]),
    }
    for view, (statement, parts) in frames.items():
        parts = [p for p in parts if len(p)]
        if not parts:
            continue
        frame = pd.concat(parts, ignore_index=True)
        con.register(view, frame)
        try:
            con.execute(statement)
        finally:
            con.unregister(view)


def _settle(con: duckdb.DuckDBPyConnection, settlements: pd.DataFrame) -> None:
    """Enter the day's settlements at once, as the daily run's `save_marks` does — the ledger
    entry and the journal's settle trade — so the next day sees them settled, not pending."""
    if not len(settlements):
        return
    sql = read_sql_statements("book/marks.sql")
    con.register("settlements", settlements.assign(recorded_at=datetime.now()))
    try:
        con.execute(sql["insert_settlements"])
        con.execute(sql["insert_settlement_trades"])
    finally:
        con.unregister("settlements")


def backfill_step(
    run_id: str,
    start: date,
    end: date,
    settings: Settings,
    *,
    chunk_days: int = BACKFILL_CHUNK_DAYS,
    progress: bool = False,
) -> StepResult:
    """Mark, decide and persist every marked day in [start, end], in date order. Signals and
    layer states are computed once for the range and each day's marks reuse the day before's
    for the day P&L; each chunk of days is one transaction with set-based writes. Orders are
    proposed and expired and expiries settled day by day, as the daily runs would have (later
    days see earlier days' proposals and settlements)."""
    from tqdm import tqdm

    from alvh.book.day_model import day_surface_row, save_day_surfaces
    from alvh.book.market_quotes import quote_days
    from alvh.book.range_book import BookHistory
    from alvh.book.range_marks import CashRateHistory
    from alvh.book.scenarios import VixResponseHistory
    from alvh.data.market_day import MarketPanel
    from alvh.hedge.day import EngineConfig, decision_rows, record_orders, run_layers
    from alvh.hedge.order_state import OrderState
    from alvh.hedge.range_engine import range_decision_inputs
    from alvh.hedge.vix_closes import PreviousVix
    from alvh.store.audit import Chain

    started = time.perf_counter()
    with connect(settings.warehouse_path) as con:
        days = marked_days(con, start, end)
        if not days:
            raise UsageError(f"no day with SPX and VIX closes between {start} and {end}")
        decided = range_decision_inputs(con, days, settings)
        market, responses = MarketPanel(con, days), VixResponseHistory(con, days[-1])
        rates, book = CashRateHistory(con, days[-1]), BookHistory(con)
        quoted = quote_days(con)
        orders, previous_vix = OrderState(con, days[0], days[-1]), PreviousVix(con, days[-1])
        config = EngineConfig.from_settings(settings)
        totals = {"days": 0, "legs": 0, "positions": 0, "signals": 0, "states": 0, "orders": 0}
        totals["day_surfaces"] = 0
        bar = tqdm(total=len(days), unit="day", desc="backfill", disable=not progress)
        try:
            for first in range(0, len(days), chunk_days):
                chunk = days[first : first + chunk_days]
                staged: dict[str, list] = {
                    k: [] for k in ("legs", "positions", "books", "signals", "states")
                }
                surfaces = []
                with transaction(con):
                    chain = Chain(con)  # the audit head carried through the chunk
                    for day in chunk:
                        marks, model = _compute_marks(
                            con,
                            day,
                            settings,
                            config,
                            with_day_pnl=False,  # not stored: book_marks has no day P&L
                            snapshot=market.snapshot(day),
                            vix_response=responses.fit(day),
                            rate_history=rates,
                            book=book,
                            quote_days=quoted,
                            pending_premium=orders.pending_premium(day),
                        )
                        decision = run_layers(
                            con,
                            day,
                            settings,
                            marks=marks,
                            signals=decided.signals,
                            states=decided.states_on(day),
                            open_book=book.open_positions,
                            orders=orders,
                            previous_vix=previous_vix,
                            config=config,
                        )
                        ids = record_orders(con, decision, orders, chain, backfill_run=run_id)
                        if marks.assumptions["settlements_pending"]:
                            _settle(con, book.settle(day))
                        signals, states = decision_rows(decision)
                        if (row := day_surface_row(model, run_id)) is not None:
                            surfaces.append(row)
                        staged["legs"].append(marks)
                        staged["positions"].append(marks)
                        staged["books"].append(book_row(marks))
                        staged["signals"].extend(signals)
                        staged["states"].extend(states)
                        totals["days"] += 1
                        totals["legs"] += marks.leg_count
                        totals["positions"] += len(marks.positions)
                        totals["signals"] += len(signals)
                        totals["states"] += len(states)
                        totals["orders"] += len(ids)
                        bar.update(1)
                    # a frame per chunk, not per day (a missing ratio: NaN, stored as NULL)
                    staged["legs"] = [leg_rows(*staged["legs"])]
                    staged["positions"] = [position_rows(*staged["positions"])]
                    staged["books"] = [pd.DataFrame(staged["books"])]
                    staged["signals"] = [pd.DataFrame(staged["signals"])]
                    staged["states"] = [pd.DataFrame(staged["states"])]
                    # the marks took the pending premium from `orders`: one write a chunk
                    orders.write(con)
                    _write_chunk(con, chunk, staged)
                    totals["day_surfaces"] += save_day_surfaces(con, chunk[0], chunk[-1], surfaces)
                    chain.flush()
        finally:
            bar.close()
        result = StepResult(
            "backfill",
            end,
            time.perf_counter() - started,
            totals,
            {"start": days[0].isoformat(), "end": days[-1].isoformat()},
        )
        return _record(con, run_id, result)


def backfill_reports_step(
    run_id: str, start: date, end: date, settings: Settings, *, progress: bool = False
) -> StepResult:
    """Render the report of every marked day in [start, end] (optional: PDFs take a while)."""
    from tqdm import tqdm

    from alvh.report import build_report

    started = time.perf_counter()
    with connect(settings.warehouse_path) as con:
        days = marked_days(con, start, end)
        pages = 0
        for day in tqdm(days, unit="report", desc="reports", disable=not progress):
            pages += int(build_report(con, day, settings, run_id=run_id).pages)
        result = StepResult(
            "reports", end, time.perf_counter() - started, {"reports": len(days), "pages": pages}
        )
        return _record(con, run_id, result)


def run_backfill(
    start: date,
    end: date,
    settings: Settings | None = None,
    *,
    source: str = "auto",
    reports: bool = False,
    progress: bool = False,
    wait_seconds: float = runs.DEFAULT_WAIT_SECONDS,
) -> RunResult:
    """The daily unit over [start, end] without Prefect (the `alvh-backfill` flow's steps)."""
    if start > end:
        raise UsageError(f"--start {start} is after --end {end}")
    settings = settings or load_settings()
    with daily_run(end, settings, wait_seconds, kind="backfill") as run_id:
        loaded = ingest_step(run_id, end, settings, source, resolve=False)
        filled = backfill_step(run_id, start, end, settings, progress=progress)
        steps = [loaded, filled]
        if reports:
            steps.append(backfill_reports_step(run_id, start, end, settings, progress=progress))
        return audit_step(run_id, end, settings, steps)


def history_lines(con: duckdb.DuckDBPyConnection, as_of: date) -> list[str]:
    """`alvh history`: the day's runs against the previous one, then what changed and why."""
    from alvh.report.changes import changes_since_previous

    lines: list[str] = []
    day_runs = runs.runs_of_day(con, as_of)
    if day_runs:
        latest = day_runs[0]
        lines.append(
            f"run {latest['run_id']} ({latest['status']}) at {latest['started_at']:%Y-%m-%d %H:%M}"
            f": package {latest['package_version']}"
            + (f", commit {latest['git_commit'][:12]}" if latest["git_commit"] else "")
            + f", config {latest['config_hash']}, inputs {latest['input_hash']}"
        )
        if len(day_runs) > 1:
            before = day_runs[1]
            same = [
                k
                for k in ("input_hash", "config_hash", "package_version", "git_commit")
                if latest[k] == before[k]
            ]
            changed = [
                k
                for k in ("input_hash", "config_hash", "package_version", "git_commit")
                if latest[k] != before[k]
            ]
            lines.append(
                f"previous run of {as_of}: {before['run_id']} ({before['status']}); "
                + (f"changed: {', '.join(changed)}" if changed else "same inputs, config and code")
                + (f"; unchanged: {', '.join(same)}" if changed and same else "")
            )
    else:
        lines.append(f"no finished run of the daily unit for {as_of}")
    changes = changes_since_previous(con, as_of)
    if not changes:
        lines.append("no changes since the previous run")
    for change in changes:
        lines.append(
            f"  {change.kind:<12} {change.subject}: {change.before} → {change.after}"
            + (f"  ({change.why})" if change.why else "")
        )
    return lines


def summary_lines(result: RunResult) -> list[str]:
    """What `alvh run` and `alvh backfill` print: one line per step, then the report paths."""
    lines = [f"{result.run_id} as of {result.as_of}: {result.status} (exit {result.exit_code})"]
    for s in result.steps:
        counts = " ".join(f"{k}={v}" for k, v in s.counts.items())
        lines.append(f"  {s.step:<9} {s.seconds:6.2f} s  {counts}")
        f = s.facts
        if s.step == "ingest":
            if f.get("stale_series"):
                stale = ", ".join(f"{k} ({v} sessions)" for k, v in f["stale_series"].items())
                lines.append(f"            stale series used as last known: {stale}")
        elif s.step == "mark":
            sources = ", ".join(f["vx_forward_sources"]) or "n/a"
            lines.append(
                f"            SPX {f['spx']:,.2f}  VIX {f['vix']:.2f}  value ${f['value']:,.0f}  "
                f"vega ${f['vega']:,.0f}  VIX futures from: {sources}"
            )
            lines.append(f"            SPX surface: {f['surface']}")
        elif s.step == "layers":
            states = "  ".join(
                f"{k} {v['state']} (held {v['held']}, target {v['target']})"
                for k, v in f["layers"].items()
            )
            lines.append(f"            {states}; {len(f['orders'])} order(s) proposed")
        elif s.step == "report":
            lines.append(f"            {f['html']}")
            lines.append(f"            {f['pdf']}")
        elif s.step == "email":
            path = f.get("eml_path")
            where = f" → {path}" if path and path not in (f.get("detail") or "") else ""
            lines.append(f"            {f['status']}: {f.get('detail') or ''}{where}")
        if s.message:
            lines.append(f"            {s.message}")
    lines.append(f"audit head {result.audit_head[0]} {result.audit_head[1][:16]}")
    return lines
