"""The `alvh` command as a user runs it: a subprocess, its output and its exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ALVH = [sys.executable, "-m", "alvh.cli"]


def run_alvh(*args: str, home: Path, env: dict[str, str] | None = None, timeout: float = 120):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ALVH_")}
    full_env.update({"ALVH_HOME": str(home), **(env or {})})
    return subprocess.run(
        [*ALVH, *args], capture_output=True, text=True, env=full_env, timeout=timeout
    )


@pytest.fixture(scope="module")
def initialised_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("cli_home")
    result = run_alvh("init", home=home)
    assert result.returncode == 0, result.stderr
    return home


def test_init_loads_the_bundled_data_and_is_idempotent(initialised_home):
    assert (initialised_home / "alvh.duckdb").is_file()
    again = run_alvh("init", home=initialised_home)
    assert again.returncode == 0, again.stderr
    assert " 0 inserted, 0 updated" in again.stdout
    assert "0 rejected" in again.stdout


def test_reingest_skips_unchanged_files_unless_asked_to_revalidate(initialised_home):
    again = run_alvh("ingest", "--source", "snapshot", home=initialised_home)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("same input as ingest run") >= 20  # every series, futures, calendars
    full = run_alvh("ingest", "--source", "snapshot", "--revalidate", home=initialised_home)
    assert full.returncode == 0, full.stderr
    assert "same input as ingest run" not in full.stdout
    assert " 0 inserted, 0 updated" in full.stdout


def test_data_status_json_has_the_interface_shape(initialised_home):
    result = run_alvh("data", "status", "--json", "--as-of", "2026-08-21", home=initialised_home)
    assert result.returncode == 0, result.stderr
    rows = {row["series"]: row for row in json.loads(result.stdout)}
    for key in ("series", "first", "last", "rows", "stale_days", "source"):
        assert key in rows["SPX"]
    assert rows["SPX"]["first"] == "1927-12-30" and rows["SPX"]["last"] == "2026-08-21"
    assert rows["SPX"]["stale_days"] == 0
    # VIX's last close is Thursday 2026-08-20: one session behind on Friday.
    assert rows["VIX"]["stale_days"] == 1
    assert rows["VIX_FUTURES"]["first"].startswith("2007")
    assert rows["DEXJPUS"]["stale"] is True
    assert rows["SPX"]["source"] == "snapshot"


def test_data_status_table_flags_stale_series(initialised_home):
    result = run_alvh("data", "status", "--as-of", "2026-11-25", home=initialised_home)
    assert result.returncode == 0
    spx_line = next(line for line in result.stdout.splitlines() if line.startswith("SPX "))
    assert "STALE" in spx_line and "snapshot" in spx_line


def test_bad_snapshot_exits_3_naming_file_row_column_and_rule(tmp_path, mini_snapshot):
    path = mini_snapshot / "macro" / "DGS2.csv"
    text = path.read_text().splitlines()
    text[5] = text[5].split(",")[0] + ",NaN"
    path.write_text("\n".join(text) + "\n")
    result = run_alvh(
        "ingest",
        "--source",
        "snapshot",
        home=tmp_path,
        env={"ALVH_SNAPSHOT_DIR": str(mini_snapshot)},
    )
    assert result.returncode == 3
    assert "DGS2.csv: row 6, column 'dgs2'" in result.stderr
    assert "rule: not_finite" in result.stderr


def test_live_source_unreachable_exits_4(tmp_path, mini_snapshot):
    from publisher_server import closed_port_url

    result = run_alvh(
        "ingest",
        "--source",
        "live",
        home=tmp_path,
        env={
            "ALVH_SNAPSHOT_DIR": str(mini_snapshot),
            "ALVH_CBOE_URL_TEMPLATE": closed_port_url("/{symbol}.csv"),
            "ALVH_FRED_URL_TEMPLATE": closed_port_url("/{series}.csv"),
            "ALVH_HTTP_TIMEOUT_SECONDS": "1",
        },
    )
    assert result.returncode == 4, result.stderr
    assert "unreachable" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("ingest", "--source", "bogus"),
        ("ingest", "--as-of", "2026-13-01"),
        ("ingest", "--as-of", "2999-01-01"),
        ("no-such-command",),
    ],
)
def test_usage_errors_exit_2(tmp_path, args):
    result = run_alvh(*args, home=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)


def test_status_before_init_is_an_environment_problem(tmp_path):
    result = run_alvh("data", "status", home=tmp_path)
    assert result.returncode == 4
    assert "alvh init" in result.stderr


def test_every_command_has_help(tmp_path):
    for args in (
        ("--help",),
        ("init", "--help"),
        ("ingest", "--help"),
        ("data", "status", "--help"),
    ):
        result = run_alvh(*args, home=tmp_path)
        assert result.returncode == 0 and "Usage" in result.stdout


def test_book_show_prints_the_sample_book_marked(initialised_home):
    result = run_alvh("book", "show", "--json", home=initialised_home)
    assert result.returncode == 0, result.stderr
    book = json.loads(result.stdout)
    assert book["as_of"] == "2026-08-20"
    assert {p["position_id"] for p in book["positions"]} == {
        "IC-2026-09",
        "IC-2026-10",
        "VXC-2026-09-23",
        "VXC-2026-10-25",
    }
    assert book["totals"]["risk_capital"] > 0 and book["totals"]["vega"] < 0


def test_book_show_marks_the_vix_rows_whose_greeks_are_per_vix_point(initialised_home):
    result = run_alvh("book", "show", home=initialised_home)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[2:] if line.strip()}
    assert rows["IC-2026-09"].count("†") == 0 and rows["IC-2026-10"].count("†") == 0
    # BS delta and vega of a VIX call are per point of its future and of VIX-option vol
    assert rows["VXC-2026-09-23"].count("†") == 2 and rows["VXC-2026-10-25"].count("†") == 2
    assert "† VIX positions: BS delta per point of the VIX future" in result.stdout


def test_importing_inverted_wings_exits_3_and_changes_nothing(initialised_home, tmp_path):
    before = run_alvh("book", "show", "--json", home=initialised_home).stdout
    book = tmp_path / "inverted.csv"
    book.write_text(
        "position_id,kind,expiry,quantity,entry_date,entry_price,put_long,put_short,call_short,"
        "call_long,strike\n"
        "IC-X,iron_condor,2026-09-18,10,2026-08-20,6.40,7250,7200,7950,8000,\n"
    )
    result = run_alvh("book", "import", str(book), home=initialised_home)
    assert result.returncode == 3
    assert "row 2, column 'put_short'" in result.stderr and "rule: strike_order" in result.stderr
    assert run_alvh("book", "show", "--json", home=initialised_home).stdout == before


# --- the console script's exit ----------------------------------------------------------------

EXIT_PROBE = """
import atexit, sys, threading, time
from pathlib import Path
from alvh import cli

out = Path(sys.argv[1])
atexit.register(lambda: (out / "atexit").write_text("ran"))
if sys.argv[2] == "thread":
    def late_writer():
        time.sleep(0.3)
        (out / "thread").write_text("finished")
    threading.Thread(target=late_writer).start()
print("x" * 200_000, end="")  # more than a pipe buffer holds: must be flushed, not lost
cli._exit_without_teardown(int(sys.argv[3]))
"""


@pytest.mark.parametrize("thread", ["none", "thread"])
def test_the_fast_exit_keeps_what_a_normal_exit_does(tmp_path, thread):
    """Skipping the interpreter's teardown still runs atexit handlers, flushes output, keeps
    the exit status, and lets a non-daemon thread finish."""
    done = subprocess.run(
        [sys.executable, "-c", EXIT_PROBE, str(tmp_path), thread, "3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3, done.stderr
    assert len(done.stdout) == 200_000
    assert (tmp_path / "atexit").read_text() == "ran"
    if thread == "thread":
        assert (tmp_path / "thread").read_text() == "finished"


def test_the_console_script_exits_with_the_interface_codes(tmp_path):
    usage = run_alvh("ingest", "--source", "bogus", home=tmp_path)
    assert usage.returncode == 2, (usage.stdout, usage.stderr)
    assert "bogus" in usage.stderr
    no_warehouse = run_alvh("book", "show", home=tmp_path)
    assert no_warehouse.returncode == 4 and "alvh init" in no_warehouse.stderr
    unknown = run_alvh("no-such-command", home=tmp_path)
    assert unknown.returncode == 2
