"""The daily unit without Prefect (alvh.pipeline, alvh.store.runs): records, idempotency, atomicity,
the warehouse-busy policy, abandoned runs, backfill."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date

import pytest

from alvh import pipeline
from alvh.core.errors import EnvironmentProblem, UsageError
from alvh.store import runs
from alvh.store.warehouse import connect

pytest_plugins = ["conftest_flows"]

DAY = date(2026, 8, 20)
DERIVED = {
    "book_marks": "as_of",
    "position_marks": "as_of, position_id",
    "leg_marks": "as_of, position_id, leg",
    "signal_values": "as_of, signal",
    "layer_states": "as_of, layer",
}


def _rows(day_settings, day: date) -> dict[str, list]:
    con = connect(day_settings.warehouse_path)
    try:
        out = {
            table: con.execute(
                f"SELECT * FROM {table} WHERE as_of = ? ORDER BY {order}",  # noqa: S608
                [day],
            ).fetchall()
            for table, order in DERIVED.items()
        }
        out["orders"] = con.execute(
            "SELECT * EXCLUDE (created_at) FROM orders WHERE as_of = ? ORDER BY order_id", [day]
        ).fetchall()
        out["cash_ledger"] = con.execute("SELECT * FROM cash_ledger ORDER BY entry_id").fetchall()
        return out
    finally:
        con.close()


def _query(day_settings, sql: str, *params):
    con = connect(day_settings.warehouse_path)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_a_day_is_recorded_step_by_step_with_its_audit_head(day_settings, fast_pdf):
    result = pipeline.run_day(DAY, day_settings, source="snapshot", send_email=False)

    assert result.status == runs.SUCCESS and result.exit_code == 0
    assert [s.step for s in result.steps] == [
        "ingest",
        "mark",
        "layers",
        "persist",
        "report",
        "email",
    ]
    assert result.step("report").facts["pdf"].endswith("reports/2026-08-20/alvh-2026-08-20.pdf")
    (row,) = _query(
        day_settings,
        "SELECT status, as_of, package_version, config_hash, input_hash, step_timings, "
        "row_counts, audit_head_seq, audit_head_hash, finished_at FROM pipeline_runs "
        "WHERE run_id = ?",
        result.run_id,
    )
    status, as_of, version, config, inputs, timings, counts, seq, digest, finished = row
    assert (status, as_of, version) == ("success", DAY, "0.1.0")
    assert config == day_settings.config_hash() and len(inputs) == 16 and finished is not None
    assert set(json.loads(timings)) == {"ingest", "mark", "layers", "persist", "report"}
    assert json.loads(counts)["persist"] == {
        "legs": 9,  # two condors of four legs and one call
        "positions": 3,
        "settled": 0,
        "day_surfaces": 0,  # no option quotes stored for the day: the defaults, no row
        "signals": 6,
        "states": 3,
        "orders": json.loads(counts)["layers"]["orders"],
    }
    assert (seq, digest) == result.audit_head
    events = [
        r[0]
        for r in _query(
            day_settings,
            "SELECT event FROM audit_log WHERE subject = ? ORDER BY seq",
            result.run_id,
        )
    ]
    assert events == ["pipeline_run_started"] + ["pipeline_step"] * 5 + ["pipeline_run_finished"]
    assert _query(day_settings, "SELECT max(seq) FROM audit_log")[0][0] == seq


def test_rerunning_a_day_changes_nothing_but_the_run_records(day_settings, fast_pdf):
    first = pipeline.run_day(DAY, day_settings, source="snapshot", send_email=False)
    before = _rows(day_settings, DAY)
    second = pipeline.run_day(DAY, day_settings, source="snapshot", send_email=False)
    after = _rows(day_settings, DAY)

    assert before == after
    assert before["book_marks"] and before["layer_states"]
    for step in ("report", "ingest"):
        key = "content_hash" if step == "report" else "input_hash"
        assert first.step(step).facts[key] == second.step(step).facts[key]
    assert second.audit_head[0] > first.audit_head[0]
    statuses = _query(day_settings, "SELECT status FROM pipeline_runs ORDER BY started_at")
    assert statuses == [("success",), ("success",)]


def test_the_day_is_written_in_one_transaction(day_settings, monkeypatch, fast_pdf):
    """A failure after the marks were written but before the decision rolls the marks back."""
    import alvh.hedge.day

    pipeline.run_day(DAY, day_settings, source="snapshot", send_email=False)
    before = _rows(day_settings, DAY)
    with connect(day_settings.warehouse_path) as con:  # a stale mark the failing run would replace
        con.execute("UPDATE book_marks SET value = -1 WHERE as_of = ?", [DAY])
    before["book_marks"] = _rows(day_settings, DAY)["book_marks"]

    def broken(con, decision):
        raise RuntimeError("disk full")

    monkeypatch.setattr(alvh.hedge.day, "save_decision", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        pipeline.run_day(DAY, day_settings, source="snapshot", send_email=False)

    assert _rows(day_settings, DAY) == before  # the marks written first were rolled back too
    (status, message), *_ = _query(
        day_settings, "SELECT status, message FROM pipeline_runs ORDER BY started_at DESC"
    )
    assert status == "failed" and "disk full" in message


def test_no_date_means_the_latest_day_with_spx_and_vix(day_settings, fast_pdf):
    result = pipeline.run_day(None, day_settings, source="snapshot", send_email=False)
    assert result.as_of == DAY  # SPX has 2026-08-21, VIX ends on the 20th
    stale = result.step("ingest").facts["stale_series"]
    assert "DEXJPUS" in stale and "SPX" not in stale


def test_a_day_without_closes_is_a_usage_error_and_a_failed_run(day_settings):
    with pytest.raises(UsageError, match="no SPX and VIX closes"):
        pipeline.run_day(date(2026, 8, 22), day_settings, source="snapshot", send_email=False)
    assert _query(day_settings, "SELECT status FROM pipeline_runs") == [("failed",)]


def test_rejected_input_rows_still_complete_the_day_and_exit_3(
    day_settings, mini_snapshot, monkeypatch, fast_pdf
):
    path = mini_snapshot / "macro" / "DGS2.csv"
    lines = path.read_text().splitlines()
    lines[5] = lines[5].split(",")[0] + ",NaN"
    path.write_text("\n".join(lines) + "\n")
    day_settings = day_settings.model_copy(update={"snapshot_dir": mini_snapshot})

    result = pipeline.run_day(DAY, day_settings, source="snapshot", send_email=False)

    assert (result.exit_code, result.status) == (3, runs.WARNING)
    assert "DGS2.csv: row 6" in result.message
    assert result.step("persist") is not None and _rows(day_settings, DAY)["book_marks"]


def test_a_busy_warehouse_is_waited_for_then_exit_4(day_settings):
    """Another process holds the DuckDB file: a bounded wait, then a clear exit-4 error."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('held', "
            "flush=True); time.sleep(float(sys.argv[2]))",
            str(day_settings.warehouse_path),
            "2.5",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(EnvironmentProblem, match="in use by another process.*waited 0.5 s"):
            runs.acquire_warehouse(day_settings.warehouse_path, wait_seconds=0.5)
        assert 0.4 < time.monotonic() - started < 2.0
        assert EnvironmentProblem.exit_code == 4
        con = runs.acquire_warehouse(day_settings.warehouse_path, wait_seconds=30)  # waits it out
        waited = time.monotonic() - started
        con.close()
        assert 1.5 < waited < 10
    finally:
        holder.kill()
        holder.wait()


def test_a_run_left_running_is_marked_abandoned_by_the_next(day_settings, fast_pdf):
    con = connect(day_settings.warehouse_path)
    try:
        runs.start(con, DAY, day_settings)  # as if killed right after starting
    finally:
        con.close()
    result = pipeline.run_day(DAY, day_settings, source="snapshot", send_email=False)
    statuses = _query(day_settings, "SELECT status FROM pipeline_runs ORDER BY started_at")
    assert statuses == [("abandoned",), ("success",)]
    events = [r[0] for r in _query(day_settings, "SELECT event FROM audit_log ORDER BY seq")]
    assert "pipeline_run_abandoned" in events and result.exit_code == 0


def test_tampering_after_a_run_is_detected(day_settings, fast_pdf):
    from alvh.store.audit import verify

    pipeline.run_day(DAY, day_settings, source="snapshot", send_email=False)
    con = connect(day_settings.warehouse_path)
    try:
        assert verify(con)[1] == []
        last = con.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
        con.execute("DELETE FROM audit_log WHERE seq = ?", [last])  # cut the tail
        problems = [b.problem for b in verify(con)[1]]
    finally:
        con.close()
    assert any("cut off the end" in p for p in problems)


def test_backfill_writes_what_the_daily_runs_write(day_settings, fast_pdf):
    start = date(2026, 8, 14)
    filled = pipeline.run_backfill(start, DAY, day_settings, source="snapshot")
    assert filled.exit_code == 0
    assert filled.step("backfill").counts["days"] == 5  # Aug 14, 17-20: five sessions
    backfilled = {d: _rows(day_settings, d) for d in (date(2026, 8, 17), DAY)}
    for day in backfilled:
        pipeline.run_day(day, day_settings, source="snapshot", send_email=False)
        daily = _rows(day_settings, day)
        for table in DERIVED:
            assert daily[table] == backfilled[day][table], (day, table)
    marked = _query(
        day_settings,
        "SELECT count(DISTINCT as_of) FROM book_marks WHERE as_of BETWEEN ? AND ?",
        start,
        DAY,
    )
    assert marked == [(5,)]


def test_git_commit_is_read_from_the_checkout_without_git(tmp_path, monkeypatch):
    monkeypatch.delenv("ALVH_GIT_COMMIT", raising=False)
    assert runs.git_commit(tmp_path / "not-a-checkout" / "x.py") is None
    git = tmp_path / "repo" / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "packed-refs").write_text("# pack-refs\n" + "ab" * 20 + " refs/heads/main\n")
    module = tmp_path / "repo" / "alvh" / "runs.py"
    module.parent.mkdir()
    module.touch()
    assert runs.git_commit(module) == "ab" * 20
    (git / "refs" / "heads" / "main").write_text("cd" * 20 + "\n")
    assert runs.git_commit(module) == "cd" * 20
    monkeypatch.setenv("ALVH_GIT_COMMIT", "feed")
    assert runs.git_commit(module) == "feed"


def test_a_run_that_reuses_unchanged_input_renders_what_a_full_load_rendered(
    day_settings, fast_pdf, monkeypatch
):
    """The first run of a day loads the files; a re-run finds them unchanged and skips them
    (docs/data.md). The day's report must not tell the two apart."""
    import alvh.data.ingest as ingest_module
    from alvh.data.ingest import REUSED_NOTE

    with monkeypatch.context() as revalidating:  # as `alvh ingest --revalidate` would
        revalidating.setattr(ingest_module._Writer, "loaded_before", lambda *a, **k: None)
        loaded = pipeline.run_day(DAY, day_settings, source="snapshot", send_email=False)
    reused = pipeline.run_day(DAY, day_settings, source="snapshot", send_email=False)
    notes = _query(
        day_settings,
        "SELECT run_id, note FROM ingest_run_items WHERE item = 'SPX' ORDER BY run_id",
    )
    runs = {
        step.facts["ingest_run_id"]: step for step in (loaded.step("ingest"), reused.step("ingest"))
    }
    reuse_notes = {run_id: REUSED_NOTE in note for run_id, note in notes if run_id in runs}
    assert reuse_notes == {
        loaded.step("ingest").facts["ingest_run_id"]: False,
        reused.step("ingest").facts["ingest_run_id"]: True,
    }
    assert (
        loaded.step("report").facts["content_hash"] == reused.step("report").facts["content_hash"]
    )
    assert loaded.step("ingest").facts["input_hash"] == reused.step("ingest").facts["input_hash"]


def test_the_email_step_sends_what_the_report_step_persisted(day_settings, fast_pdf, tmp_path):
    """No module state between steps: the email step reads the report (and its summary) from
    the manifest the report step wrote, so it works from another process too."""
    from alvh.report import existing_report

    result = pipeline.run_day(DAY, day_settings, source="snapshot", send_email=False)
    run_id = result.run_id
    report = existing_report(day_settings, DAY)
    assert report.summary is not None and report.summary["as_of"] == DAY.isoformat()
    manifest = json.loads(report.manifest.read_text())
    manifest["summary"]["layers"][0]["state"] = "MANIFEST-STATE"
    report.manifest.write_text(json.dumps(manifest))

    sent = pipeline.email_step(run_id, DAY, day_settings, send=True)

    eml = next(day_settings.reports_dir.rglob("*.eml"))
    assert sent.counts == {"sent": 0, "failed": 0}
    assert "MANIFEST-STATE" in eml.read_text()
