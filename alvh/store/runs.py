"""Run records of the daily pipeline and the warehouse-busy policy (issue: daily flow).

Each run of the daily unit (or of a backfill) is one row of `pipeline_runs`, inserted when the
run starts and updated after every step, so a run that was killed shows how far it got: its
Prefect flow-run id, the `as_of` it computed, the package version and git commit, the config
hash, a fingerprint of the input data, per-step timings and row counts. Every step and the end
of the run also append to the hash-chained `audit_log`; the run records the audit head it left
behind so `audit verify` can tell when rows were later cut off the end.

Warehouse-busy policy: a run holds the DuckDB file for its whole length (one process writes
at a time; DuckDB's own file lock enforces it). A second run waits for the lock, polling, for at
most `wait_seconds` (default 30 s: long enough for a day's run, which takes a few seconds, to
finish), then gives up with exit 4 and a message naming the warehouse. `wait_seconds=0` fails at
once. Runs left 'running' by a process that no longer holds the lock were killed or crashed:
the next run marks them 'abandoned' (and says so in the audit log) before it starts.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import duckdb

from alvh.core.errors import EnvironmentProblem
from alvh.core.resources import read_sql_statements
from alvh.core.settings import Settings
from alvh.store import DEFAULT_WAIT_SECONDS, audit
from alvh.store.warehouse import bring_up_to_date, connect, transaction

POLL_SECONDS = 0.25

# pipeline_runs.status
RUNNING, SUCCESS, WARNING, FAILED, ABANDONED = (
    "running",
    "success",  # every step did its work: exit 0
    "warning",  # the day was computed and saved, but something needs attention: exit 3 or 4
    "failed",  # a step raised: the day is not complete
    "abandoned",  # the process died mid-run
)


def _sql() -> dict[str, str]:
    return read_sql_statements("flows/runs.sql")


# ---------------------------------------------------------------------------------------------
# the warehouse-busy policy


def _is_lock_conflict(exc: EnvironmentProblem) -> bool:
    cause = exc.__cause__
    return isinstance(cause, duckdb.IOException) and "lock" in str(cause).lower()


def acquire_warehouse(
    path: Path, wait_seconds: float = DEFAULT_WAIT_SECONDS
) -> duckdb.DuckDBPyConnection:
    """A read-write connection to the warehouse, waiting at most `wait_seconds` for another
    process to release it; then EnvironmentProblem (exit 4) naming the file and the wait."""
    deadline = time.monotonic() + max(wait_seconds, 0.0)
    while True:
        try:
            con = connect(path)
        except EnvironmentProblem as exc:
            if not _is_lock_conflict(exc):
                raise
            if time.monotonic() >= deadline:
                waited = f"waited {wait_seconds:g} s" if wait_seconds > 0 else "did not wait"
                raise EnvironmentProblem(
                    f"the warehouse {path} is in use by another process (another run, or a "
                    f"command such as 'alvh layers'); {waited}. Try again when it ends."
                ) from exc
            time.sleep(POLL_SECONDS)
            continue
        return bring_up_to_date(con, path)


@contextmanager
def hold_warehouse(
    path: Path, wait_seconds: float = DEFAULT_WAIT_SECONDS
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Hold the warehouse for a whole run. Steps that open their own connections in this
    process share the held database (DuckDB keeps one instance per file and process), so no
    other process can slip in between two steps."""
    con = acquire_warehouse(path, wait_seconds)
    try:
        yield con
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# what a run records about itself


def package_version() -> str:
    try:
        from importlib.metadata import version

        return version("alvh-risk")
    except Exception:  # not installed as a distribution (a bare checkout)
        from alvh import __version__

        return __version__


def git_commit(start: Path | None = None) -> str | None:
    """The checkout's commit when the code runs from a git work tree, read from `.git` without
    running git; `ALVH_GIT_COMMIT` wins (set it where the code was installed from a wheel)."""
    explicit = os.environ.get("ALVH_GIT_COMMIT")
    if explicit:
        return explicit.strip()
    here = (start or Path(__file__)).resolve()
    for folder in [here, *here.parents]:
        dot_git = folder / ".git"
        if dot_git.is_file():  # a worktree: "gitdir: PATH"
            text = dot_git.read_text(encoding="utf-8").strip()
            if not text.startswith("gitdir:"):
                return None
            dot_git = (folder / text.removeprefix("gitdir:").strip()).resolve()
        if dot_git.is_dir():
            return _resolve_head(dot_git)
    return None


def _resolve_head(git_dir: Path) -> str | None:
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not head.startswith("ref:"):
        return head or None
    ref = head.removeprefix("ref:").strip()
    common = git_dir
    if (git_dir / "commondir").is_file():
        common = (git_dir / (git_dir / "commondir").read_text().strip()).resolve()
    for base in (git_dir, common):
        loose = base / ref
        if loose.is_file():
            return loose.read_text(encoding="utf-8").strip() or None
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8").splitlines():
            if line.endswith(" " + ref):
                return line.split(" ", 1)[0]
    return None


def input_hash(con: duckdb.DuckDBPyConnection, as_of: date) -> str:
    """A fingerprint of the inputs of `as_of` (see sql/flows/runs.sql): equal fingerprints mean
    the day was computed from the same data; a revision or a new position changes it."""
    rows = con.execute(_sql()["input_hash"], {"as_of": as_of}).fetchall()
    text = ";".join(f"{part}:{n}:{h}" for part, n, h in rows)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def new_run_id(kind: str = "daily") -> str:
    return f"{kind}-{datetime.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def abandon_stale(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Mark runs left 'running' as abandoned. Call it only while holding the warehouse: then
    no live process can own them."""
    sql = _sql()
    stale = con.execute(sql["running"]).fetchall()
    with transaction(con):
        for run_id, as_of, started_at, timings in stale:
            con.execute(sql["abandon"], {"run_id": run_id, "finished_at": datetime.now()})
            audit.append(
                con,
                "pipeline_run_abandoned",
                {"started_at": started_at, "steps_done": sorted(json.loads(timings or "{}"))},
                as_of=as_of,
                subject=run_id,
            )
    return [row[0] for row in stale]


def abandon_stale_ingests(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Mark ingest runs left 'running' as abandoned, as `abandon_stale` does for pipeline runs.
    Call it only while holding the warehouse for writing (an ingest does): DuckDB lets one
    process write at a time, so no live ingest can own them."""
    rows = con.execute(_sql()["abandon_ingests"], {"finished_at": datetime.now()}).fetchall()
    return sorted(row[0] for row in rows)


def fail_ingest(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """An ingest that raised is 'failed', not left 'running' (its committed items stay)."""
    con.execute(_sql()["fail_ingest"], {"run_id": run_id, "finished_at": datetime.now()})


def start(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    settings: Settings,
    flow_run_id: str | None = None,
    kind: str = "daily",
) -> str:
    """Insert the run's row ('running') and its audit event; returns the run id."""
    run_id = new_run_id(kind)
    details = {
        "flow_run_id": flow_run_id,
        "package_version": package_version(),
        "git_commit": git_commit(),
        "config_hash": settings.config_hash(),
    }
    with transaction(con):
        con.execute(
            _sql()["insert"],
            {"run_id": run_id, "as_of": as_of, "started_at": datetime.now(), **details},
        )
        audit.append(con, "pipeline_run_started", details, as_of=as_of, subject=run_id)
    return run_id


def record_step(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    as_of: date,
    step: str,
    seconds: float,
    counts: Mapping[str, int],
    *,
    data_hash: str | None = None,
) -> None:
    """Add one step's timing and row counts to the run's row and append it to the audit log."""
    sql = _sql()
    with transaction(con):
        timings_text, counts_text = con.execute(sql["progress"], {"run_id": run_id}).fetchone()
        timings = json.loads(timings_text or "{}")
        all_counts = json.loads(counts_text or "{}")
        timings[step] = round(seconds, 4)
        if counts:
            all_counts[step] = dict(counts)
        con.execute(
            sql["record_step"],
            {
                "run_id": run_id,
                "as_of": as_of,
                "step_timings": json.dumps(timings),
                "row_counts": json.dumps(all_counts, sort_keys=True),
                "input_hash": data_hash,
            },
        )
        details: dict[str, object] = {"step": step, "seconds": round(seconds, 4), **counts}
        if data_hash:
            details["input_hash"] = data_hash
        audit.append(con, "pipeline_step", details, as_of=as_of, subject=run_id)


def finish(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    as_of: date,
    status: str,
    message: str,
    details: Mapping[str, object] | None = None,
) -> tuple[int, str]:
    """Close the run: its status, message and the audit head it leaves (returned)."""
    with transaction(con):
        audit.append(
            con,
            "pipeline_run_finished",
            {"status": status, "message": message, **(details or {})},
            as_of=as_of,
            subject=run_id,
        )
        seq, digest = audit.head(con)
        con.execute(
            _sql()["finish"],
            {
                "run_id": run_id,
                "status": status,
                "finished_at": datetime.now(),
                "message": message,
                "audit_head_seq": seq,
                "audit_head_hash": digest,
            },
        )
    return seq, digest


def runs_of_day(con: duckdb.DuckDBPyConnection, as_of: date) -> list[dict[str, object]]:
    """The finished runs of `as_of`, newest first, as dicts (JSON columns decoded)."""
    cursor = con.execute(_sql()["runs_of_day"], {"as_of": as_of})
    names = [d[0] for d in cursor.description]
    out = []
    for row in cursor.fetchall():
        record = dict(zip(names, row, strict=True))
        for key in ("step_timings", "row_counts"):
            record[key] = json.loads(record[key] or "{}")
        out.append(record)
    return out


def latest_run_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The latest `as_of` with a finished daily run, or None."""
    return con.execute(_sql()["latest_day"]).fetchone()[0]
