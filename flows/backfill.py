"""The `alvh-backfill` flow: the daily unit over a range of days.

Load the data once, up to the last day; then mark, decide and persist every trading day with SPX
and VIX closes in the range, in date order, one transaction and a handful of set-based writes
per chunk of days (orders are proposed and expired day by day, as the daily runs would have);
optionally render each day's report; close the run in the audit history. No emails.

The tasks are deliberately coarse — one for the whole range — because a Prefect task costs
tens of milliseconds of orchestration and a day of work costs a few hundred; the progress bar
(stderr) shows the days go by.

    .venv/bin/alvh backfill --start 2026-01-02 --end 2026-08-20 [--reports]
"""

from __future__ import annotations

import os
from datetime import date

from prefect import flow, task
from prefect.cache_policies import NONE

from alvh import pipeline
from alvh.core.settings import load_settings
from alvh.pipeline import RunResult, StepResult
from alvh.store import runs


@task(name="ingest", cache_policy=NONE)
def ingest(run_id: str, end: date, source: str) -> StepResult:
    """Load market and macro data up to the last day of the range."""
    return pipeline.ingest_step(run_id, end, load_settings(), source, resolve=False)


@task(name="mark-decide-persist", cache_policy=NONE)
def mark_decide_persist(run_id: str, start: date, end: date, progress: bool) -> StepResult:
    """Every marked day of the range: marks, signals, layers, orders; set-based writes."""
    return pipeline.backfill_step(run_id, start, end, load_settings(), progress=progress)


@task(name="reports", cache_policy=NONE)
def reports(run_id: str, start: date, end: date, progress: bool) -> StepResult:
    """The report of every marked day of the range."""
    return pipeline.backfill_reports_step(run_id, start, end, load_settings(), progress=progress)


@task(name="audit", cache_policy=NONE)
def audit(run_id: str, end: date, steps: list[StepResult]) -> RunResult:
    """Close the run in pipeline_runs and the audit log."""
    return pipeline.audit_step(run_id, end, load_settings(), steps)


@flow(name="alvh-backfill", flow_run_name="alvh-backfill-{start}-to-{end}")
def alvh_backfill(
    start: date,
    end: date,
    source: str = "auto",
    with_reports: bool = False,
    progress: bool = False,
    wait_seconds: float = runs.DEFAULT_WAIT_SECONDS,
) -> RunResult:
    """The daily unit for every trading day from `start` to `end`."""
    settings = load_settings()
    with pipeline.daily_run(end, settings, wait_seconds, kind="backfill") as run_id:
        loaded = ingest(run_id, end, source)
        filled = mark_decide_persist(run_id, start, end, progress)
        steps = [loaded, filled]
        if with_reports:
            steps.append(reports(run_id, start, end, progress))
        return audit(run_id, end, steps)


def run_once(
    start: date,
    end: date,
    *,
    source: str = "auto",
    reports: bool = False,
    wait_seconds: float = runs.DEFAULT_WAIT_SECONDS,
    progress: bool = True,
) -> RunResult:
    """Run the backfill flow in this process, as `alvh backfill` does. Unlike `alvh run`, flow
    heartbeats stay on: a backfill can last minutes, and a server should notice if it dies."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    return alvh_backfill(
        start=start,
        end=end,
        source=source,
        with_reports=reports,
        progress=progress,
        wait_seconds=wait_seconds,
    )
