"""The `alvh-daily` flow: one trading day of ALVH Risk, after the close.

Load the day's market and macro data (live publishers, falling back to the bundled snapshot);
mark the condor book; read the signals and set the three hedge layers; save the day's marks,
signals, layer states and proposed orders in one transaction; render the HTML and PDF report;
email the summary; and close the run in the hash-chained audit history. The run holds the
warehouse from start to finish, so a second run waits (bounded) or exits 4.

Each task is a thin wrapper over one step of `alvh.pipeline`, which holds the domain logic and
runs the same steps without Prefect (`alvh.pipeline.run_day`). Tasks take dates, ids and flags
and open the warehouse themselves. Only `ingest` retries, with back-off, and only when a live
publisher could not be reached; the email step retries SMTP itself (three attempts, backing
off) so the delivery log keeps one row per send. The run's summary — layer states and the key
numbers — is published as a markdown artifact (`alvh-daily-summary`).

    .venv/bin/alvh run [--as-of DATE] [--no-email]       # this flow, once, in this process
    .venv/bin/alvh serve                                 # on its schedule, weekdays 16:30 New York
"""

from __future__ import annotations

import os
from datetime import date

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.runtime import flow_run, task_run
from prefect.tasks import exponential_backoff

from alvh import pipeline
from alvh.core.errors import EnvironmentProblem
from alvh.core.settings import load_settings
from alvh.pipeline import RunResult, StepResult
from alvh.store import runs
from flows.credentials import load_prefect_email_block


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


INGEST_RETRIES = 2


class PublishersUnreachable(EnvironmentProblem):
    """A live publisher did not answer: worth another try after a pause."""


def _retry_when_unreachable(task, task_run, state) -> bool:
    try:
        state.result()
    except PublishersUnreachable:
        return True
    except Exception:
        return False
    return False


@task(
    name="ingest",
    retries=INGEST_RETRIES,
    retry_delay_seconds=exponential_backoff(backoff_factor=30),
    retry_condition_fn=_retry_when_unreachable,
    cache_policy=NONE,
)
def ingest(run_id: str, as_of: date | None, source: str) -> StepResult:
    """Load market and macro data and settle the day (the latest with SPX and VIX closes)."""
    result = pipeline.ingest_step(run_id, as_of, load_settings(), source)
    if result.facts["unreachable"] and task_run.run_count <= INGEST_RETRIES:
        raise PublishersUnreachable(result.message)
    _name_run_after(result.as_of)
    return result


@task(name="mark-hedge-persist", cache_policy=NONE)
def mark_hedge_persist(run_id: str, as_of: date) -> list[StepResult]:
    """Mark the book (method §4); signals, layer states, targets and proposed orders (§5–§6);
    the day's derived rows replaced in one transaction."""
    return list(pipeline.book_and_hedge_step(run_id, as_of, load_settings()))


@task(name="report", cache_policy=NONE)
def report(run_id: str, as_of: date) -> StepResult:
    """Render the day's HTML and PDF report."""
    return pipeline.report_step(run_id, as_of, load_settings())


@task(name="email", cache_policy=NONE)
def email(run_id: str, as_of: date, send: bool) -> StepResult:
    """Email the summary (or write the .eml when no SMTP host is configured)."""
    return pipeline.email_step(
        run_id, as_of, load_settings(), send, credentials_loader=load_prefect_email_block
    )


@task(name="audit", cache_policy=NONE)
def audit(run_id: str, as_of: date, steps: list[StepResult]) -> RunResult:
    """Close the run in pipeline_runs and the audit log; publish its summary as an artifact."""
    result = pipeline.audit_step(run_id, as_of, load_settings(), steps)
    create_markdown_artifact(
        summary_markdown(result),
        key="alvh-daily-summary",
        description=f"ALVH Risk as of {as_of}: layer states and key numbers",
    )
    return result


def _run_name() -> str:
    as_of = flow_run.parameters.get("as_of")
    return f"alvh-daily-{as_of}" if as_of else f"alvh-daily-latest-{pipeline.today_in_new_york()}"


def _name_run_after(day: date) -> None:
    """Once the day is settled, the flow run's name carries it (runs without --as-of start as
    'alvh-daily-latest-<today>')."""
    run_id = flow_run.id
    if not run_id or flow_run.name == f"alvh-daily-{day}":
        return
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        client.update_flow_run(run_id, name=f"alvh-daily-{day}")


@flow(
    name="alvh-daily",
    flow_run_name=_run_name,
    description="One trading day: ingest → mark → signals and layers → persist → report → "
    "email → audit.",
)
def alvh_daily(
    as_of: date | None = None,
    source: str = "auto",
    send_email: bool = True,
    wait_seconds: float = runs.DEFAULT_WAIT_SECONDS,
) -> RunResult:
    """The daily unit for `as_of` (default: the latest trading day with SPX and VIX closes)."""
    settings = load_settings()
    with pipeline.daily_run(as_of, settings, wait_seconds, flow_run.id) as run_id:
        loaded = ingest(run_id, as_of, source)
        marked, decided, saved = mark_hedge_persist(run_id, loaded.as_of)
        rendered = report(run_id, loaded.as_of)
        delivered = email(run_id, loaded.as_of, send_email)
        steps = [loaded, marked, decided, saved, rendered, delivered]
        return audit(run_id, loaded.as_of, steps)


def summary_markdown(result: RunResult) -> str:
    """The Prefect UI's view of a day: layer states, the book's key numbers, the files."""
    lines = [f"# ALVH Risk — {result.as_of}", "", f"Run `{result.run_id}`: **{result.status}**"]
    lines += [f"(exit {result.exit_code}). {result.message}", ""]
    decided, marked = result.step("layers"), result.step("mark")
    if decided:
        lines += ["| layer | state | held | target |", "|---|---|---:|---:|"]
        for name, layer in decided.facts["layers"].items():
            lines.append(f"| {name} | {layer['state']} | {layer['held']} | {layer['target']} |")
        active = ", ".join(decided.facts["signals_active"]) or "none"
        lines += ["", f"Signals on: {active}. Orders proposed: {len(decided.facts['orders'])}."]
        lines += [f"- {order}" for order in decided.facts["orders"]]
    if marked:
        f = marked.facts
        ratio = f["vega_offset_ratio"]
        lines += [
            "",
            "| SPX | VIX | book value | day P&L | vega $/pt | theta $/day | risk capital | "
            "vega offset |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {f['spx']:,.2f} | {f['vix']:.2f} | ${f['value']:,.0f} | "
            + (f"${f['day_pnl']:,.0f}" if f["day_pnl"] is not None else "n/a")
            + f" | {f['vega']:,.0f} | {f['theta']:,.0f} | ${f['risk_capital']:,.0f} | "
            + (f"{ratio:.2f}" if ratio is not None else "n/a")
            + " |",
        ]
    loaded = result.step("ingest")
    if loaded and loaded.facts.get("stale_series"):
        stale = ", ".join(f"{k} ({v})" for k, v in loaded.facts["stale_series"].items())
        lines += ["", f"Stale series, used at their last value (sessions behind): {stale}."]
    rendered = result.step("report")
    if rendered:
        f = rendered.facts
        lines += ["", f"Report: `{f['html']}`, `{f['pdf']}` "]
        lines += [f"({f['pages']} pages, content {f['content_hash'][:12]})."]
    timings = ", ".join(f"{s.step} {s.seconds:.2f} s" for s in result.steps)
    lines += ["", f"Step times: {timings}."]
    return "\n".join(lines)


def run_once(
    as_of: date | None = None,
    *,
    source: str = "auto",
    send_email: bool = True,
    wait_seconds: float = runs.DEFAULT_WAIT_SECONDS,
) -> RunResult:
    """Run the flow once in this process, as `alvh run` does (see docs/operations.md).

    Flow-run heartbeats default to off here: they exist to let a server notice a crashed
    long-running flow, the run lasts seconds, and ending the heartbeat thread costs up to a
    second at exit. Set PREFECT_FLOWS_HEARTBEAT_FREQUENCY to keep them. Without
    PREFECT_API_URL, Prefect starts a temporary local server (about 5 s); point PREFECT_API_URL
    at a running server (`prefect server start`, or the one `alvh serve` starts) to skip that.
    """
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    with temporary_settings(set_defaults={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        return alvh_daily(
            as_of=as_of, source=source, send_email=send_email, wait_seconds=wait_seconds
        )


if __name__ == "__main__":
    result = run_once()
    print("\n".join(pipeline.summary_lines(result)))
    raise SystemExit(result.exit_code)
