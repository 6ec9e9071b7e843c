"""The warehouse: numbered migrations applied once and recorded, locks reported clearly."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import duckdb
import pytest

from alvh.core.errors import EnvironmentProblem
from alvh.store.warehouse import connect, migrate, migration_files, open_warehouse, transaction


def test_migrations_apply_once_and_are_recorded(tmp_path):
    con = open_warehouse(tmp_path / "alvh.duckdb")
    recorded = con.execute("SELECT version, name FROM schema_migrations").fetchall()
    assert [v for v, _ in recorded] == [v for v, _, _ in migration_files()]
    assert migrate(con) == []
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    assert {
        "series",
        "observations",
        "observation_revisions",
        "vix_futures",
        "event_calendar",
        "rejected_rows",
        "ingest_runs",
        "ingest_run_items",
    } <= tables
    con.close()


def test_an_edited_migration_is_refused(tmp_path):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_first.sql").write_text("CREATE TABLE a (x INTEGER);")
    con = connect(tmp_path / "alvh.duckdb")
    assert migrate(con, migrations) == ["0001_first"]
    (migrations / "0001_first.sql").write_text("CREATE TABLE a (x BIGINT);")
    with pytest.raises(EnvironmentProblem, match="changed after it was applied"):
        migrate(con, migrations)


def test_a_failing_migration_leaves_nothing_behind(tmp_path):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_ok.sql").write_text("CREATE TABLE a (x INTEGER);")
    (migrations / "0002_broken.sql").write_text("CREATE TABLE b (y INTEGER); SELEC oops;")
    con = connect(tmp_path / "alvh.duckdb")
    with pytest.raises(Exception):  # noqa: B017 - DuckDB's parser error type is incidental
        migrate(con, migrations)
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    assert "a" in tables and "b" not in tables
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchall()[0][0] == 1


def test_a_warehouse_held_by_another_process_is_an_environment_problem(tmp_path):
    path = tmp_path / "alvh.duckdb"
    connect(path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(path)!r})
            print("held", flush=True)
            sys.stdin.readline()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(EnvironmentProblem, match="in use by another process"):
            connect(path)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_a_transaction_inside_another_joins_it(tmp_path):
    """The outermost block decides: an error after a nested block has ended still undoes the
    nested block's writes, and an error inside a nested block undoes the outer's too."""
    con = connect(tmp_path / "t.duckdb")
    con.execute("CREATE TABLE t (x INTEGER NOT NULL)")

    def write(value: int) -> None:  # a writer with its own transaction, as save_marks has
        with transaction(con):
            con.execute("INSERT INTO t VALUES (?)", [value])

    with pytest.raises(RuntimeError, match="after"):
        with transaction(con):
            write(1)
            write(2)
            raise RuntimeError("after the nested blocks ended")
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 0

    with pytest.raises(duckdb.ConstraintException):
        with transaction(con):
            write(3)
            with transaction(con):
                con.execute("INSERT INTO t VALUES (NULL)")  # violates the constraint below
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 0

    with transaction(con):
        write(4)
        write(5)
    write(6)
    assert sorted(r[0] for r in con.execute("SELECT x FROM t").fetchall()) == [4, 5, 6]
    con.close()


def test_a_nested_failure_caught_by_the_caller_still_undoes_everything(tmp_path):
    """A nested block cannot be undone alone: if its error is caught inside the outer block, the
    outer one rolls back and says so, rather than commit the nested block's half (a Python
    error) or let DuckDB's COMMIT of an aborted transaction drop every row silently."""
    con = connect(tmp_path / "t.duckdb")
    con.execute("CREATE TABLE t (x INTEGER NOT NULL)")

    def half_write() -> None:  # a writer that fails after its first statement
        with transaction(con):
            con.execute("INSERT INTO t VALUES (1)")
            raise ValueError("the writer's second step failed")

    def bad_statement() -> None:
        with transaction(con):
            con.execute("INSERT INTO t VALUES (NULL)")

    for writer, error in ((half_write, ValueError), (bad_statement, duckdb.ConstraintException)):
        with pytest.raises(RuntimeError, match="nested transaction block failed") as raised:
            with transaction(con):
                con.execute("INSERT INTO t VALUES (2)")
                with pytest.raises(error):
                    writer()
        assert isinstance(raised.value.__cause__, error)
        assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    with transaction(con):  # the connection is usable again
        con.execute("INSERT INTO t VALUES (3)")
    assert con.execute("SELECT x FROM t").fetchall() == [(3,)]
    con.close()


def test_marks_stored_before_mark_sources_become_the_models(tmp_path):
    """0011: rows marked before market marks existed were all marked by the model."""
    import shutil

    earlier = tmp_path / "migrations"
    earlier.mkdir()
    for version, _, path in migration_files():
        if version < 11:
            shutil.copy(path, earlier / path.name)
    con = connect(tmp_path / "alvh.duckdb")
    migrate(con, earlier)
    con.execute(
        "INSERT INTO leg_marks VALUES ('2026-08-20', 'IC', 'put_long', 'put', 6500, "
        "'2026-09-18', -2, 6800, 0.21, 12.5, -0.2, 0.001, 5.0, -1.0)"
    )
    con.execute(
        "INSERT INTO position_marks VALUES ('2026-08-20', 'IC', 'iron_condor', 2, '2026-09-18', "
        "4.25, -850, 300, 10, -0.1, -200, 50, -120, 9000, 6550, 7850)"
    )
    assert migrate(con)[0] == "0011_mark_sources"  # then the later ones
    assert con.execute("SELECT mark_source, model_price, model_vol FROM leg_marks").fetchall() == [
        ("model", 12.5, 0.21)
    ]
    assert con.execute("SELECT mark_source, model_mark FROM position_marks").fetchall() == [
        ("model", 4.25)
    ]
    with pytest.raises(duckdb.ConstraintException, match="mark_source"):  # a writer must say
        con.execute(
            "INSERT INTO position_marks (as_of, position_id, kind, quantity, expiry, mark, "
            "value, pnl, delta, gamma, vega, theta, vix_sensitivity, model_mark) VALUES "
            "('2026-08-21', 'IC', 'iron_condor', 2, '2026-09-18', 4, -800, 350, 10, -0.1, "
            "-200, 50, -120, 4)"
        )
    con.close()
