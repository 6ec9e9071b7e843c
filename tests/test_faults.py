"""Faults a desk will hit (issue 15, item 3): each ends in one clear line and the exit code of
interface.md (4 for the environment), never a traceback, and leaves a warehouse that opens.

The environment is real: a file where ALVH_HOME should be, a directory on a file system that
refuses writes (procfs), warehouse files truncated, zeroed, overwritten or foreign, a schema
from a newer version, and a file-size limit (RLIMIT_FSIZE, the kernel's own refusal: no root
needed) for a disk that cannot take the write.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from alvh.store.warehouse import connect, open_warehouse

ALVH = [sys.executable, "-m", "alvh.cli"]
pytest_plugins = ["conftest_flows"]


def alvh_in_process(monkeypatch, capsys, home: Path, *args: str) -> tuple[int, str]:
    """Run `alvh ARGS` in this process with ALVH_HOME=home; (exit code, stderr)."""
    from alvh.cli.process import main

    for key in list(os.environ):
        if key.startswith("ALVH_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ALVH_HOME", str(home))
    monkeypatch.setattr(sys, "argv", ["alvh", *args])
    with pytest.raises(SystemExit) as ended:
        main()
    return ended.value.code, capsys.readouterr().err


def alvh_process(
    home: Path,
    *args: str,
    file_size_limit: int | None = None,
    memory_limit: int | None = None,
    timeout=180,
):
    """Run `alvh ARGS` as a user does, optionally under a file-size limit (a disk that is full)
    or an address-space limit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALVH_")}
    env["ALVH_HOME"] = str(home)

    def limit() -> None:
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))
        if memory_limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    return subprocess.run(
        [*ALVH, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        preexec_fn=limit,
    )


def one_clear_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "unexpected error" not in err, err
    return lines[0]


@pytest.fixture
def small_warehouse(tmp_path) -> Path:
    """A warehouse with the schema and enough rows to span many blocks."""
    home = tmp_path / "home"
    con = open_warehouse(home / "alvh.duckdb")
    con.execute(
        "INSERT INTO series VALUES "
        "('SPX', 'S&P 500', 'index', 'daily', 'cboe', 'https://cboe.example', 1, 1e5, 'close')"
    )
    con.execute(
        "INSERT INTO observations "
        "SELECT 'SPX', DATE '1900-01-01' + i::INTEGER, random() * 1000, "
        "DATE '1900-01-01' + i::INTEGER, 'test', 'ingest-test' FROM range(40000) t(i)"
    )
    con.execute("CHECKPOINT")
    con.close()
    return home


# ---------------------------------------------------------------------------------------------
# ALVH_HOME


def test_an_alvh_home_that_is_a_file_is_exit_4_saying_so(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    home.write_text("not a directory")
    for where in (home, home / "below"):
        code, err = alvh_in_process(monkeypatch, capsys, where, "ingest", "--source", "snapshot")
        assert code == 4, err
        line = one_clear_line(err)
        assert "is a file, not a directory" in line and "set ALVH_HOME to a directory" in line


def test_an_alvh_home_that_cannot_be_written_is_exit_4(tmp_path, monkeypatch, capsys):
    # procfs refuses new files and directories, also to root
    for home in (Path("/proc/alvh-home"), Path("/proc")):
        code, err = alvh_in_process(monkeypatch, capsys, home, "ingest", "--source", "snapshot")
        assert code == 4, err
        line = one_clear_line(err)
        assert str(home) in line and "ALVH_HOME" in line


def test_a_missing_alvh_home_is_exit_4_for_a_reading_command(tmp_path, monkeypatch, capsys):
    code, err = alvh_in_process(monkeypatch, capsys, tmp_path / "nowhere", "data", "status")
    assert code == 4, err
    assert "run 'alvh init' first" in one_clear_line(err)


# ---------------------------------------------------------------------------------------------
# the warehouse file


def _truncate(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 3)


def _zero(path: Path) -> None:
    path.write_bytes(bytes(path.stat().st_size))


def _overwrite_blocks(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(size // 4)
        handle.write(os.urandom(size // 2))


def _foreign_text(path: Path) -> None:
    path.write_text("date,close\n2026-08-20,7674.37\n")


def _foreign_duckdb(path: Path) -> None:
    path.unlink()
    with duckdb.connect(str(path)) as other:
        other.execute("CREATE TABLE customers (name VARCHAR)")


@pytest.mark.parametrize(
    "damage", [_truncate, _zero, _overwrite_blocks, _foreign_text, _foreign_duckdb]
)
@pytest.mark.parametrize("command", [("data", "status"), ("ingest", "--source", "snapshot")])
def test_a_damaged_or_foreign_warehouse_is_exit_4_saying_what_to_do(
    small_warehouse, damage, command, monkeypatch, capsys
):
    path = small_warehouse / "alvh.duckdb"
    damage(path)
    before = path.read_bytes()
    code, err = alvh_in_process(monkeypatch, capsys, small_warehouse, *command)
    assert code == 4, err
    line = one_clear_line(err)
    assert str(path) in line and "move" in line and "alvh init" in line
    assert path.read_bytes() == before  # nothing written into a file that is not ours


def test_a_warehouse_from_a_newer_version_is_refused_with_exit_4(
    small_warehouse, monkeypatch, capsys
):
    path = small_warehouse / "alvh.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (9001, 'future', 'x')"
        )
    for command in (("data", "status"), ("ingest", "--source", "snapshot")):
        code, err = alvh_in_process(monkeypatch, capsys, small_warehouse, *command)
        assert code == 4, err
        line = one_clear_line(err)
        assert "newer version of ALVH Risk" in line and "9001" in line and str(path) in line
    with duckdb.connect(str(path), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert "ingest_runs" in tables  # untouched, not migrated "back"


# ---------------------------------------------------------------------------------------------
# a disk that cannot take the write


def test_a_full_disk_while_writing_the_warehouse_is_exit_4_and_nothing_half_written(tmp_path):
    home = tmp_path / "home"
    full = alvh_process(home, "init", file_size_limit=6_000_000)
    assert full.returncode == 4, full.stderr
    line = one_clear_line(full.stderr)
    assert "cannot write the warehouse" in line and "run the command again" in line
    again = alvh_process(home, "init")  # space freed: the same command completes the job
    assert again.returncode == 0, again.stderr
    with connect(home / "alvh.duckdb", read_only=True) as con:
        running = con.execute("SELECT count(*) FROM ingest_runs WHERE status = 'running'")
        assert running.fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM positions").fetchone()[0] == 4


def test_a_full_disk_while_writing_the_report_is_exit_4_and_leaves_no_partial_file(
    snapshot_warehouse, tmp_path
):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(snapshot_warehouse, home / "alvh.duckdb")
    full = alvh_process(home, "report", "--as-of", "2026-08-20", file_size_limit=20_000)
    assert full.returncode == 4, full.stderr
    line = one_clear_line(full.stderr)
    assert "file-size limit" in line and "run the command again" in line
    folder = home / "reports" / "2026-08-20"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_disk_errors_are_told_apart_from_bugs():
    import errno

    from alvh.cli.process import environment_problem

    full = OSError(errno.ENOSPC, "No space left on device")
    wrapped = RuntimeError("the report step failed")
    wrapped.__cause__ = full
    assert "the disk is full" in str(environment_problem(wrapped))
    assert environment_problem(OSError(errno.ENOENT, "No such file")) is None
    assert environment_problem(ValueError("a bug")) is None
    damaged = duckdb.Error("Corrupt database file: computed checksum 1 does not match stored 2")
    assert "damaged" in str(environment_problem(damaged))
    assert environment_problem(duckdb.CatalogException("Table x does not exist")) is None


# ---------------------------------------------------------------------------------------------
# an ingest that died


def test_an_ingest_killed_mid_way_is_marked_abandoned_by_the_next(tmp_path, mini_snapshot):
    """A real SIGKILL inside `ingest` (after its run row is committed, before it finishes)."""
    home = tmp_path / "home"
    script = textwrap.dedent(f"""
        import os, signal
        from datetime import date
        from alvh.core.settings import Settings
        from alvh.data import ingest as module
        from alvh.store.warehouse import open_warehouse

        def killed(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)

        module._ingest_items = killed
        settings = Settings(home={str(home)!r}, snapshot_dir={str(mini_snapshot)!r})
        con = open_warehouse(settings.warehouse_path)
        module.ingest(con, settings, date(2026, 11, 25), mode="snapshot")
    """)
    died = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert died.returncode == -9, died.stderr
    with connect(home / "alvh.duckdb", read_only=True) as con:
        assert con.execute("SELECT status FROM ingest_runs").fetchall() == [("running",)]

    from datetime import date

    from alvh.core.settings import Settings
    from alvh.data.ingest import ingest

    settings = Settings(home=home, snapshot_dir=mini_snapshot)
    with open_warehouse(settings.warehouse_path) as con:
        report = ingest(con, settings, date(2026, 11, 25), mode="snapshot")
        statuses = dict(con.execute("SELECT run_id, status FROM ingest_runs").fetchall())
        finished = con.execute(
            "SELECT count(*) FROM ingest_runs "
            "WHERE status = 'abandoned' AND finished_at IS NOT NULL"
        ).fetchone()[0]
    assert statuses.pop(report.run_id) == "ok"
    assert list(statuses.values()) == ["abandoned"] and finished == 1


def test_an_ingest_that_raises_is_marked_failed(tmp_path, mini_snapshot, monkeypatch):
    from datetime import date

    from alvh.core.settings import Settings
    from alvh.data import ingest as module

    def broken(*args, **kwargs):
        raise RuntimeError("a reader blew up")

    monkeypatch.setattr(module, "_ingest_items", broken)
    settings = Settings(home=tmp_path, snapshot_dir=mini_snapshot)
    with open_warehouse(settings.warehouse_path) as con:
        with pytest.raises(RuntimeError, match="blew up"):
            module.ingest(con, settings, date(2026, 11, 25), mode="snapshot")
        assert con.execute("SELECT status FROM ingest_runs").fetchall() == [("failed",)]


# ---------------------------------------------------------------------------------------------
# book import: file size, absurd values, lookalike ids (exit 3 at import, the book unchanged)

BOOK_HEADER = (
    "position_id,kind,expiry,quantity,entry_date,entry_price,put_long,put_short,call_short,"
    "call_long,strike"
)
GOOD_CONDOR = "IC-SEP,iron_condor,2026-09-18,10,2026-08-21,6.40,7200,7250,7950,8000,"


@pytest.fixture
def book_home(tmp_path) -> Path:
    home = tmp_path / "book_home"
    open_warehouse(home / "alvh.duckdb").close()
    return home


def _book(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "book.csv"
    path.write_text("\n".join([BOOK_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _refused(monkeypatch, capsys, home: Path, file: Path | str) -> tuple[str, list[tuple]]:
    """Import `file`, expect exit 3 and an unchanged book; the message and the recorded rows."""
    code, err = alvh_in_process(monkeypatch, capsys, home, "book", "import", str(file))
    assert code == 3, err
    assert "unexpected error" not in err
    with connect(home / "alvh.duckdb", read_only=True) as con:
        assert con.execute("SELECT count(*) FROM positions").fetchone()[0] == 0
        rows = con.execute(
            "SELECT line, column_name, rule, raw_value, message FROM rejected_rows"
        ).fetchall()
    return err, rows


def test_an_endless_book_file_is_refused_by_its_size_as_one_rejected_row(book_home):
    # a real process under a memory limit: unbounded, the read of /dev/zero would fill it
    refused = alvh_process(book_home, "book", "import", "/dev/zero", memory_limit=3 << 30)
    assert refused.returncode == 3, refused.stderr[-500:]
    assert "/dev/zero: larger than 5,000,000 bytes" in refused.stderr
    with connect(book_home / "alvh.duckdb", read_only=True) as con:
        rules = con.execute("SELECT rule FROM rejected_rows").fetchall()
        assert con.execute("SELECT count(*) FROM positions").fetchone()[0] == 0
    assert rules == [("file_too_large",)]


def test_a_garbage_book_records_a_bounded_number_of_rejected_rows(
    book_home, tmp_path, monkeypatch, capsys
):
    garbage = [f"x{i},zz,nope,-1,bad,bad,,,,,{'y' * 2000}" for i in range(1500)]
    err, rows = _refused(monkeypatch, capsys, book_home, _book(tmp_path, *garbage))
    from alvh.book.limits import MAX_MESSAGE_CHARS, MAX_RECORDED_PROBLEMS

    assert len(rows) == MAX_RECORDED_PROBLEMS + 1
    assert rows[-1][2] == "more_problems" and "more problem(s)" in rows[-1][4]
    assert max(len(row[4]) for row in rows) <= MAX_MESSAGE_CHARS
    assert max(len(row[3]) for row in rows) <= MAX_MESSAGE_CHARS
    assert len(err) < 20 * (MAX_MESSAGE_CHARS + 10) + 500  # the message is bounded too


ABSURD = [
    (
        "quantity",
        "IC-Q,iron_condor,2026-09-18,99999999999999999999,2026-08-21,6.4,7200,7250,7950,8000,",
        "quantity_limit",
    ),
    (
        "quantity",
        "IC-Q,iron_condor,2026-09-18,1000001,2026-08-21,6.4,7200,7250,7950,8000,",
        "quantity_limit",
    ),
    (
        "quantity",
        f"IC-Q,iron_condor,2026-09-18,{'9' * 5000},2026-08-21,6.4,7200,7250,7950,8000,",
        "quantity_limit",
    ),
    (
        "call_long",
        "IC-S,iron_condor,2026-09-18,10,2026-08-21,6.4,7200,7250,7950,1e308,",
        "implausible_value",
    ),
    (
        "put_long",
        "IC-S,iron_condor,2026-09-18,10,2026-08-21,6.4,-1e308,7250,7950,8000,",
        "implausible_value",
    ),
    ("strike", "VX-S,vix_call,2026-09-16,20,2026-08-21,0.95,,,,,1.7e308", "implausible_value"),
    (
        "entry_price",
        "IC-P,iron_condor,2026-09-18,10,2026-08-21,1e308,7200,7250,7950,8000,",
        "implausible_value",
    ),
]


@pytest.mark.parametrize(("column", "row", "rule"), ABSURD)
def test_absurd_book_values_are_exit_3_at_import_naming_row_and_column(
    column, row, rule, book_home, tmp_path, monkeypatch, capsys
):
    err, rows = _refused(monkeypatch, capsys, book_home, _book(tmp_path, GOOD_CONDOR, row))
    assert f"row 3, column '{column}'" in err and f"rule: {rule}" in err
    assert [(r[0], r[1], r[2]) for r in rows] == [(3, column, rule)]


LOOKALIKE_IDS = [
    (" IC-2026-09", "surrounding_space"),
    ("IC-2026-09 ", "surrounding_space"),
    ("IC\u200b-2026-09", "invisible_character"),  # zero-width space
    ("IC\u2060-2026-09", "invisible_character"),  # word joiner
    ("\ufeffIC-2026-09", "invisible_character"),  # byte-order mark
    ("IC-\u202e90-6202", "invisible_character"),  # right-to-left override
    ("IC-\u2067X\u2069-09", "invisible_character"),  # right-to-left isolate
    ("IC\u009b-2026-09", "invisible_character"),  # C1 control sequence introducer
    ("IC\u0085-2026-09", "invisible_character"),  # next line
    ("IC\u2028-2026-09", "invisible_character"),  # line separator
    ("IC\u00a0-2026-09", "unusual_space"),  # no-break space
    ("\uff29\uff23-2026-09", "not_normalised"),  # fullwidth I C
]


@pytest.mark.parametrize(("position_id", "rule"), LOOKALIKE_IDS)
def test_lookalike_position_ids_are_refused_at_import(
    position_id, rule, book_home, tmp_path, monkeypatch, capsys
):
    row = GOOD_CONDOR.replace("IC-SEP", position_id)
    err, rows = _refused(monkeypatch, capsys, book_home, _book(tmp_path, row))
    assert "column 'position_id'" in err and f"rule: {rule}" in err
    assert [(r[1], r[2]) for r in rows] == [("position_id", rule)]


def test_ids_that_print_as_themselves_still_import(book_home, tmp_path, monkeypatch, capsys):
    ids = ("IC-2026-09", "ünï©ødé ☃", "condor 2026/09 #1", "Robert'); DROP TABLE positions;--")
    rows = [GOOD_CONDOR.replace("IC-SEP", pid) for pid in ids]
    code, err = alvh_in_process(
        monkeypatch, capsys, book_home, "book", "import", str(_book(tmp_path, *rows))
    )
    assert code == 0, err
    with connect(book_home / "alvh.duckdb", read_only=True) as con:
        stored = {r[0] for r in con.execute("SELECT position_id FROM positions").fetchall()}
    assert stored == set(ids)


# ---------------------------------------------------------------------------------------------
# an SMTP server that answers, but slowly: the conversation is bounded as a whole


class SlowSmtpServer:
    """A loopback SMTP server that waits `delay` seconds before every reply (valid replies)."""

    def __init__(self, delay: float):
        import socket
        import threading

        self.delay = delay
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.listener.close()

    def _reply(self, conn, text: str) -> bool:
        if self.stopping.wait(self.delay):
            return False
        try:
            conn.sendall(text.encode() + b"\r\n")
        except OSError:
            return False
        return True

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn, conn.makefile("rb") as lines:
            if not self._reply(conn, "220 slow.example ESMTP"):
                return
            in_data = False
            for raw in lines:
                line = raw.decode(errors="replace").rstrip("\r\n")
                if in_data:
                    if line == ".":
                        in_data = False
                        if not self._reply(conn, "250 queued"):
                            return
                    continue
                verb = line[:4].upper()
                reply = {"EHLO": "250 slow.example", "DATA": "354 go on", "QUIT": "221 bye"}
                if not self._reply(conn, reply.get(verb, "250 OK")):
                    return
                in_data = verb == "DATA"
                if verb == "QUIT":
                    return


def test_an_smtp_server_answering_slowly_is_cut_off_after_the_conversation_bound():
    import time
    from email.message import EmailMessage

    from alvh.notify import _transport

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@localhost", "b@localhost", "t"
    message.set_content("summary")
    with SlowSmtpServer(delay=0.4) as server:  # seven replies: 2.8 s in all
        started = time.monotonic()
        with pytest.raises(TimeoutError, match="took longer than 1 s"):
            _transport(
                message, ("b@localhost",), "a@localhost", "127.0.0.1", server.port,
                "none", None, None, 1.0, None,
            )  # fmt: skip
        elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 1.6  # each reply came well within the 1 s read timeout


# ---------------------------------------------------------------------------------------------
# SIGKILL at any point of ingest, book import, run and backfill (issue 15): the warehouse opens,
# its audit chain verifies, and running the command again reaches the content of a run that was
# never interrupted. The kill is real (SIGKILL from the process itself) and lands just before
# the N-th SQL statement, N spread over the whole command (the connection counts them).
# tests/test_flows.py also kills a real `alvh run` inside the persist transaction.

KILL_FRACTIONS = (0.3, 0.75)  # two points each keep the four cases under a minute
BOOKKEEPING_TABLES = {
    "audit_log",
    "pipeline_runs",
    "ingest_runs",
    "ingest_run_items",
    "rejected_rows",
    "deliveries",
    "book_imports",
    "schema_migrations",
    "observation_revisions",
}
EXTRA_BOOK = """\
position_id,kind,expiry,quantity,entry_date,entry_price,put_long,put_short,call_short,call_long,strike
IC-KILL-11,iron_condor,2026-11-20,3,2026-08-14,15.1,7000,7050,8150,8200,
VXC-KILL-10,vix_call,2026-10-21,7,2026-08-14,1.2,,,,,26
"""

KILLABLE = textwrap.dedent("""
    import os, signal, sys

    import duckdb

    kill_at, operation = int(sys.argv[1]), sys.argv[2]
    import alvh.report.render as render
    render.render_pdf = lambda html, *a, **k: (b"%PDF-1.7 stub", 1, [])
    from alvh.core.settings import load_settings
    from tests_faults_operations import OPERATIONS

    statements = 0

    def tick():
        global statements
        statements += 1
        if statements == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    class Counted:
        # a warehouse connection that counts its statements (and dies before the N-th)
        def __init__(self, con):
            self._con = con

        def execute(self, *args, **kwargs):
            tick()
            result = self._con.execute(*args, **kwargs)
            return self if result is self._con else result

        def __getattr__(self, name):
            return getattr(self._con, name)

        def __enter__(self):
            self._con.__enter__()
            return self

        def __exit__(self, *exc):
            return self._con.__exit__(*exc)

    real_connect = duckdb.connect
    duckdb.connect = lambda *args, **kwargs: Counted(real_connect(*args, **kwargs))
    OPERATIONS[operation](load_settings())
    print(statements)
""")

OPERATIONS_MODULE = textwrap.dedent('''
    """The four commands the SIGKILL test interrupts, as the CLI runs them."""
    from datetime import date
    from pathlib import Path

    DAY = date(2026, 8, 20)

    def ingest(settings):
        from alvh.data.ingest import ingest as load
        from alvh.store.warehouse import open_warehouse

        with open_warehouse(settings.warehouse_path) as con:
            load(con, settings, date(2026, 11, 25), mode="snapshot", revalidate=True)

    def book_import(settings):
        from alvh.book.positions import import_book
        from alvh.store.warehouse import open_warehouse

        with open_warehouse(settings.warehouse_path) as con:
            import_book(con, settings.home / "extra-book.csv", date(2026, 11, 25))

    def run(settings):
        from alvh.pipeline import run_day

        run_day(DAY, settings, source="snapshot", send_email=False)

    def backfill(settings):
        from alvh.pipeline import run_backfill

        run_backfill(date(2026, 8, 18), DAY, settings, source="snapshot")

    OPERATIONS = {"ingest": ingest, "book import": book_import, "run": run, "backfill": backfill}
''')


def _content(path: Path) -> dict[str, tuple]:
    """Per table but the run bookkeeping, its row count and an order-free fingerprint of its
    rows, leaving out ids and times of runs."""
    with connect(path, read_only=True) as con:
        columns = con.execute(
            "SELECT table_name, list(column_name ORDER BY column_index) FROM duckdb_columns() "
            "WHERE schema_name = 'main' AND table_name IN "
            "(SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main') "
            "GROUP BY table_name"
        ).fetchall()
        content = {}
        for table, names in columns:
            if table in BOOKKEEPING_TABLES:
                continue
            kept = [
                n
                for n in names
                if not (n.endswith("_at") or n in ("ingest_run_id", "import_id"))
                # the file's path: each home's own
                and (table, n) not in (("positions", "source"), ("book_trades", "source"))
            ]
            listed = ", ".join(f'"{n}"' for n in kept)
            content[table] = con.execute(
                f'SELECT count(*), sum(hash({listed})::HUGEINT) FROM "{table}"'  # noqa: S608
            ).fetchone()
        return content


def _chain_breaks(path: Path) -> list:
    from alvh.store import audit

    with connect(path, read_only=True) as con:
        return audit.verify(con)[1]


@pytest.fixture(scope="module")
def operations_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("kill_operations")
    (folder / "tests_faults_operations.py").write_text(OPERATIONS_MODULE)
    return folder


def _killable(home: Path, operations_dir: Path, operation: str, kill_at: int):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALVH_")}
    env["ALVH_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(operations_dir), str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH", "")]
    )
    return subprocess.run(
        [sys.executable, "-c", KILLABLE, str(kill_at), operation],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


def _fresh_home(template: Path, where: Path) -> Path:
    where.mkdir(parents=True)
    shutil.copy(template / "alvh.duckdb", where / "alvh.duckdb")
    (where / "extra-book.csv").write_text(EXTRA_BOOK)
    return where


@pytest.mark.parametrize("operation", ["ingest", "book import", "run", "backfill"])
def test_a_sigkill_at_any_point_leaves_a_warehouse_that_reaches_the_same_content(
    operation, flows_template_home, operations_dir, tmp_path, monkeypatch, fast_pdf
):
    import importlib

    from alvh.core.settings import Settings

    monkeypatch.syspath_prepend(str(operations_dir))
    operations = importlib.import_module("tests_faults_operations").OPERATIONS
    reference = _fresh_home(flows_template_home, tmp_path / "reference")
    counted = _killable(reference, operations_dir, operation, kill_at=0)
    assert counted.returncode == 0, counted.stderr[-2000:]
    total = int(counted.stdout.split()[-1])
    assert total > 10
    expected = _content(reference / "alvh.duckdb")

    for fraction in KILL_FRACTIONS:
        kill_at = max(1, int(total * fraction))
        home = _fresh_home(flows_template_home, tmp_path / f"killed-{kill_at}")
        killed = _killable(home, operations_dir, operation, kill_at)
        assert killed.returncode == -9, (kill_at, killed.stderr[-2000:])
        assert _chain_breaks(home / "alvh.duckdb") == [], kill_at  # it opens and verifies
        operations[operation](Settings(home=home))  # the user runs the command again
        assert _chain_breaks(home / "alvh.duckdb") == [], kill_at
        assert _content(home / "alvh.duckdb") == expected, (operation, kill_at, total)
        with connect(home / "alvh.duckdb", read_only=True) as con:
            left_running = con.execute(
                "SELECT (SELECT count(*) FROM pipeline_runs WHERE status = 'running') + "
                "(SELECT count(*) FROM ingest_runs WHERE status = 'running')"
            ).fetchone()[0]
        assert left_running == 0, kill_at


# ---------------------------------------------------------------------------------------------
# a weekend or holiday is exit 2 on every command that takes a day, before any work starts

DAY_COMMANDS = [
    ("layers", "--as-of", "{day}"),
    ("book", "show", "--as-of", "{day}"),
    ("data", "status", "--as-of", "{day}"),
    ("ingest", "--source", "snapshot", "--as-of", "{day}"),
    ("report", "--as-of", "{day}"),
    ("email", "--as-of", "{day}"),
    ("history", "--as-of", "{day}"),
    ("run", "--no-email", "--as-of", "{day}"),
    ("backfill", "--start", "{day}", "--end", "{day}"),
]


@pytest.mark.parametrize("day", ["2026-08-22", "2025-12-25"])  # a Saturday, Christmas
@pytest.mark.parametrize("command", DAY_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_weekend_or_holiday_is_exit_2_on_every_command(
    command, day, small_warehouse, monkeypatch, capsys
):
    args = [part.format(day=day) for part in command]
    code, err = alvh_in_process(monkeypatch, capsys, small_warehouse, *args)
    assert code == 2, err
    line = one_clear_line(err)
    assert "not an NYSE trading day" in line or "holds no NYSE trading day" in line


def test_the_orchestrators_traceback_of_an_explained_failure_is_dropped_not_the_record():
    """`alvh run` explains a full disk in one line; Prefect's task log keeps its line but not
    the 40-line traceback. A bug (unexpected error) keeps its traceback."""
    import errno
    import io
    import logging

    from alvh.cli.process import quiet_known_tracebacks

    logger = logging.getLogger("prefect.test_faults_probe")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        quiet_known_tracebacks()
        for exc in (OSError(errno.ENOSPC, "No space left on device"), KeyError("a bug")):
            try:
                raise exc
            except Exception:
                logger.error("Task run failed with exception: %r", exc, exc_info=True)
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert text.count("Task run failed with exception") == 2
    assert text.count("Traceback") == 1 and "KeyError" in text.split("Traceback")[1]
