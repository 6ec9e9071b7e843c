"""The Prefect flows on Prefect's real engine (one test server for the session), and `alvh run`
as a user runs it: a subprocess, killed mid-transaction, or racing another run."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from alvh.store.warehouse import connect

pytest_plugins = ["conftest_flows"]

DAY = date(2026, 8, 20)
PDF_STUB = (
    "import alvh.report.render as r; r.render_pdf = lambda html, *a, **k: (b'%PDF stub', 1, []); "
    "from alvh.cli import entry_point; entry_point()"
)


def _query(home: Path, sql: str, *params):
    con = connect(home / "alvh.duckdb")
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _audit_breaks(home: Path) -> list:
    from alvh.store.audit import verify

    con = connect(home / "alvh.duckdb", read_only=True)
    try:
        return verify(con)[1]
    finally:
        con.close()


def _alvh(home: Path, api: str, *args: str, env: dict[str, str] | None = None, **popen):
    """`alvh <args>` in a subprocess (WeasyPrint's rasterising stubbed: see conftest_flows)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("ALVH_", "PREFECT_"))}
    full_env.update({"ALVH_HOME": str(home), "PREFECT_API_URL": api, **(env or {})})
    command = [sys.executable, "-c", PDF_STUB, *args]
    if popen:
        return subprocess.Popen(command, env=full_env, text=True, **popen)
    return subprocess.run(command, env=full_env, capture_output=True, text=True, timeout=120)


def _wait_for(path: Path, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.1)


def test_the_flow_runs_the_day_as_named_tasks_with_a_summary_artifact(
    prefect_api, day_settings, fast_pdf
):
    from prefect.artifacts import Artifact
    from prefect.client.orchestration import get_client

    from flows.daily import run_once

    result = run_once(None, source="snapshot", send_email=True)  # no SMTP host: a .eml file

    assert (result.as_of, result.exit_code) == (DAY, 0)
    assert result.step("email").facts["status"] == "written"
    assert Path(result.step("email").facts["eml_path"]).is_file()
    (flow_run_id,) = _query(
        day_settings.home, "SELECT flow_run_id FROM pipeline_runs WHERE run_id = ?", result.run_id
    )[0]
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(flow_run_id)
        tasks = client.read_task_runs()
    assert flow_run.name == "alvh-daily-2026-08-20"  # named after the day once it is settled
    assert flow_run.state.is_completed()
    names = {t.name.rsplit("-", 1)[0] for t in tasks if str(t.flow_run_id) == flow_run_id}
    steps = {"ingest", "mark-hedge-persist", "report", "email", "audit"}
    assert names == steps
    artifact = Artifact.get("alvh-daily-summary")
    assert "| L1 | ACTIVE |" in artifact.data and "2026-08-20" in artifact.data


def test_ingest_retries_only_while_live_publishers_are_unreachable(
    prefect_api, day_settings, monkeypatch, fast_pdf
):
    from publisher_server import closed_port_url

    import flows.daily
    from alvh.core.errors import UsageError

    fast_ingest = flows.daily.ingest.with_options(retry_delay_seconds=0)
    monkeypatch.setattr(flows.daily, "ingest", fast_ingest)
    monkeypatch.setenv("ALVH_CBOE_URL_TEMPLATE", closed_port_url() + "/{symbol}.csv")
    monkeypatch.setenv("ALVH_FRED_URL_TEMPLATE", closed_port_url() + "/{series}.csv")

    ingests = "SELECT count(*) FROM ingest_runs"
    before = _query(day_settings.home, ingests)[0][0]
    result = flows.daily.run_once(DAY, source="live", send_email=False)

    # three tries, then the day is computed on the data already there, and the run exits 4
    assert _query(day_settings.home, ingests)[0][0] == before + 3
    assert (result.exit_code, result.status) == (4, "warning")
    assert "ingest: SPX: cboe unreachable" in result.message
    assert (
        _query(day_settings.home, "SELECT count(*) FROM book_marks WHERE as_of = ?", DAY)[0][0] == 1
    )

    with pytest.raises(UsageError):  # a usage error is not retried
        flows.daily.run_once(date(2026, 8, 22), source="snapshot", send_email=False)
    assert _query(day_settings.home, ingests)[0][0] == before + 4


def test_an_smtp_failure_keeps_the_report_records_the_delivery_and_exits_4(
    prefect_api, day_settings, monkeypatch, fast_pdf
):
    from aiosmtpd.controller import Controller
    from publisher_server import closed_port_url

    from alvh.notify import send_summary
    from alvh.report import existing_report
    from flows.daily import run_once

    port = int(closed_port_url().rstrip("/").rsplit(":", 1)[1])
    monkeypatch.setenv("ALVH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ALVH_SMTP_PORT", str(port))
    monkeypatch.setenv("ALVH_SMTP_SECURITY", "none")
    monkeypatch.setenv("ALVH_MAIL_TO", "risk@example.com")

    result = run_once(DAY, source="snapshot", send_email=True)

    assert (result.exit_code, result.status) == (4, "warning")
    assert "alvh email --as-of 2026-08-20" in result.message
    report = existing_report(day_settings, DAY)
    assert report is not None and report.pdf.is_file()  # the report is kept
    failed = "SELECT count(*) FROM deliveries WHERE status = 'failed'"
    assert _query(day_settings.home, failed) == [(1,)]

    class Inbox:
        messages: list = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    smtp = Controller(inbox, hostname="127.0.0.1", port=free)
    smtp.start()
    try:  # what `alvh email --as-of` does later, once SMTP is back
        from alvh.core.settings import load_settings

        monkeypatch.setenv("ALVH_SMTP_PORT", str(free))
        con = connect(day_settings.warehouse_path)
        try:
            delivery = send_summary(con, DAY, load_settings(), report)
        finally:
            con.close()
    finally:
        smtp.stop()
    assert delivery.status == "sent" and len(inbox.messages) == 1


def test_backfill_flow_fills_a_range(prefect_api, day_settings):
    from flows.backfill import run_once

    result = run_once(date(2026, 8, 17), DAY, source="snapshot", progress=False)
    assert result.exit_code == 0 and result.step("backfill").counts["days"] == 4
    marked = _query(
        day_settings.home,
        "SELECT count(*) FROM layer_states WHERE as_of BETWEEN ? AND ?",
        date(2026, 8, 17),
        DAY,
    )
    assert marked == [(12,)]


def test_alvh_run_prints_the_report_paths_then_history_explains(
    prefect_api, day_settings, fast_pdf, capsys
):
    from alvh.cli.flows import history_command
    from alvh.pipeline import run_day

    home = day_settings.home
    run = _alvh(home, prefect_api, "run", "--source", "snapshot", "--no-email")
    assert run.returncode == 0, run.stderr
    assert str(home / "reports" / "2026-08-20" / "alvh-2026-08-20.pdf") in run.stdout
    assert str(home / "reports" / "2026-08-20" / "alvh-2026-08-20.html") in run.stdout
    assert "temporary server" not in run.stderr  # PREFECT_API_URL names a server
    assert "skipped: not asked for (--no-email)" in run.stdout  # says why no email went

    run_day(DAY, day_settings, source="snapshot", send_email=False)  # the same day again
    history = _alvh(home, prefect_api, "history", "--as-of", "2026-08-20")
    assert history.returncode == 0, history.stderr
    assert "same inputs, config and code" in history.stdout
    history_command(as_of=None, as_json=True)
    as_json = json.loads(capsys.readouterr().out)
    assert as_json["as_of"] == "2026-08-20" and len(as_json["runs"]) == 2


def test_a_run_killed_mid_transaction_leaves_the_warehouse_consistent(prefect_api, day_home):
    paused = _alvh(
        day_home,
        prefect_api,
        "run",
        "--as-of",
        "2026-08-20",
        "--source",
        "snapshot",
        "--no-email",
        env={"ALVH_PAUSE_AT": "persist"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(day_home / ".paused-at-persist", paused)
        os.kill(paused.pid, signal.SIGKILL)  # marks and decision written, not committed
    finally:
        paused.wait(timeout=30)

    derived = ("book_marks", "position_marks", "leg_marks", "signal_values", "layer_states")
    for table in derived:
        count = f"SELECT count(*) FROM {table} WHERE as_of = ?"  # noqa: S608
        assert _query(day_home, count, DAY) == [(0,)], table
    assert _query(day_home, "SELECT status FROM pipeline_runs") == [("running",)]

    assert _audit_breaks(day_home) == []
    after = _alvh(
        day_home, prefect_api, "run", "--as-of", "2026-08-20", "--source", "snapshot", "--no-email"
    )
    assert after.returncode == 0, after.stderr
    statuses = _query(day_home, "SELECT status FROM pipeline_runs ORDER BY started_at")
    assert statuses == [("abandoned",), ("success",)]
    assert _query(day_home, "SELECT count(*) FROM layer_states WHERE as_of = ?", DAY) == [(3,)]
    assert _audit_breaks(day_home) == []


def test_a_second_run_waits_for_the_first_or_exits_4(prefect_api, day_home):
    args = ("run", "--as-of", "2026-08-20", "--source", "snapshot", "--no-email")
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    marker = day_home / ".paused-at-mark"
    first = _alvh(day_home, prefect_api, *args, env={"ALVH_PAUSE_AT": "mark"}, **pipes)
    try:
        _wait_for(marker, first)  # the first run holds the warehouse, paused in `mark`
        impatient = _alvh(day_home, prefect_api, *args, "--wait", "0.5", **pipes)
        _, impatient_err = impatient.communicate(timeout=90)
        patient = _alvh(day_home, prefect_api, *args, "--wait", "90", **pipes)
        time.sleep(3)  # let it reach the warehouse and start waiting
        marker.unlink()  # the first run goes on
        _, err = first.communicate(timeout=90)
        _, patient_err = patient.communicate(timeout=90)
    finally:
        first.kill()
    assert impatient.returncode == 4
    assert "is in use by another process" in impatient_err and "waited 0.5 s" in impatient_err
    assert first.returncode == 0, err
    assert patient.returncode == 0, patient_err
    order = "SELECT started_at, finished_at, status FROM pipeline_runs ORDER BY started_at"
    (_, first_end, first_status), (second_start, _, second_status) = _query(day_home, order)
    assert (first_status, second_status) == ("success", "success")  # the impatient: no run
    assert second_start >= first_end  # the patient run began once the first had finished


def test_serve_registers_the_weekday_schedule(prefect_api, day_home):
    from prefect.client.orchestration import get_client

    served = _alvh(
        day_home, prefect_api, "serve", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        deployment = None
        with get_client(sync_client=True) as client:
            while deployment is None and time.monotonic() < deadline:
                assert served.poll() is None
                try:
                    deployment = client.read_deployment_by_name("alvh-daily/alvh-daily")
                except Exception:
                    time.sleep(0.5)
    finally:
        served.send_signal(signal.SIGINT)
        try:
            served.wait(timeout=20)
        except subprocess.TimeoutExpired:
            served.kill()
    assert deployment is not None
    (scheduled,) = deployment.schedules
    assert scheduled.schedule.cron == "30 16 * * 1-5"
    assert scheduled.schedule.timezone == "America/New_York"
    assert deployment.entrypoint == "flows.daily.alvh_daily"


def test_alvh_run_says_how_to_avoid_a_temporary_server_only_when_it_needs_one(prefect_api):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.daily import temporary_server_note

    assert temporary_server_note() is None  # the session's test server is configured
    with temporary_settings(updates={PREFECT_API_URL: None}):
        note = temporary_server_note()
    assert note and "PREFECT_API_URL" in note and "alvh serve" in note


def test_alvh_run_as_users_run_it_writes_a_real_pdf_and_leaves_its_logs_on_the_server(
    prefect_api, day_home
):
    """The console script itself (its quick exit included), Prefect's engine and WeasyPrint,
    nothing stubbed: the PDF reads back with the day and the layer states the run decided, and
    the flow run's last log line reached the server before the process ended."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterId,
        LogFilter,
        LogFilterFlowRunId,
    )
    from pypdf import PdfReader

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALVH_", "PREFECT_"))}
    env.update({"ALVH_HOME": str(day_home), "PREFECT_API_URL": prefect_api})
    alvh = Path(sys.executable).with_name("alvh")
    done = subprocess.run(
        [str(alvh), "run", "--source", "snapshot", "--no-email"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    pdf = day_home / "reports" / "2026-08-20" / "alvh-2026-08-20.pdf"
    assert str(pdf) in done.stdout
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "2026-08-20" in text
    states = _query(
        day_home, "SELECT layer, state FROM layer_states WHERE as_of = ? ORDER BY layer", DAY
    )
    assert [layer for layer, _ in states] == ["L1", "L2", "L3"]
    for layer, state in states:
        assert f"{layer} {state}" in done.stdout and state in text

    (flow_run_id,) = _query(
        day_home,
        "SELECT flow_run_id FROM pipeline_runs WHERE as_of = ? ORDER BY started_at DESC LIMIT 1",
        DAY,
    )[0]
    with get_client(sync_client=True) as client:
        (run,) = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
    assert run.state.is_completed()
    assert any("Finished in state Completed" in log.message for log in logs if not log.task_run_id)
