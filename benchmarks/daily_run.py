"""Wall time of one day's run on a warm warehouse: each step, with and without Prefect.

Prints, for the same day on the same warehouse:
  1. the steps called directly (`alvh.pipeline.run_day`, no Prefect), best of --repeats;
  2. the `alvh-daily` flow in this process against a long-running Prefect server
     (`prefect server start`, started here and not timed), best of --repeats, and the ratio
     to (1) — the issue's target is ≤ 2×;
  3. a new process each time, imports and first-use costs included:
     0. the steps without Prefect (`run_day`), the baseline;
     a. `alvh run` with PREFECT_API_URL pointing at that server (the target: ≤ 6 s),
     b. without it: Prefect starts a temporary server for the run,
     c. as (b) with Prefect's default flow heartbeat (what `alvh run` turns off).

    .venv/bin/python benchmarks/daily_run.py [--home DIR] [--as-of YYYY-MM-DD] [--repeats N]

Without --home it loads the bundled snapshot and the sample book into a temporary home first
(not timed). Data comes from the snapshot (`--source snapshot`), so nothing reaches the network;
the email is written as a .eml (no SMTP host), as on a fresh install.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bundled import bundled_warehouse

AS_OF = date(2026, 8, 20)
STEPS = ("ingest", "mark", "layers", "persist", "report", "email", "audit")


def _prepare(home: Path) -> None:
    from alvh.book.positions import load_sample_book
    from alvh.store.warehouse import open_warehouse

    with open_warehouse(bundled_warehouse(home, date.today())) as con:
        load_sample_book(con, date.today())


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server(prefect_home: Path) -> tuple[subprocess.Popen, str, float]:
    import httpx

    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(prefect_home)}
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
        + ["--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api"
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.perf_counter() - started > 180:
            raise SystemExit("the Prefect server did not start")
        time.sleep(0.2)
    return server, url, time.perf_counter() - started


def _steps(result) -> dict[str, float]:
    return {s.step: s.seconds for s in result.steps}


def _best(runs: list[tuple[float, dict[str, float]]]) -> tuple[float, dict[str, float]]:
    return min(runs, key=lambda r: r[0])


def _cli_wall(home: Path, as_of: date, env_extra: dict[str, str], drop: tuple[str, ...]) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update({"ALVH_HOME": str(home), **env_extra})
    # the console script, as users run it (its exit skips the interpreter's teardown)
    command = [str(Path(sys.executable).with_name("alvh")), "run", "--as-of", as_of.isoformat()]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "--source", "snapshot"], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"alvh run failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall


def _plain_process_wall(home: Path, as_of: date) -> float:
    """The same day in a new process without Prefect: the baseline for `alvh run`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALVH_", "PREFECT_"))}
    env["ALVH_HOME"] = str(home)
    code = (
        "import sys; from datetime import date; from alvh.pipeline import run_day; "
        "sys.exit(run_day(date.fromisoformat(sys.argv[1]), source='snapshot').exit_code)"
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, as_of.isoformat()], env=env, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="an ALVH_HOME with a loaded warehouse")
    parser.add_argument("--as-of", type=date.fromisoformat, default=AS_OF)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="alvh-bench-"))
    home = args.home or scratch / "home"
    if args.home is None:
        print(f"loading the bundled snapshot and the sample book into {home} (not timed)")
        _prepare(home)
    os.environ["ALVH_HOME"] = str(home)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

    from alvh import pipeline
    from alvh.core.settings import load_settings

    settings = load_settings()
    pipeline.run_day(args.as_of, settings, source="snapshot")  # warm-up, not timed

    plain = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        result = pipeline.run_day(args.as_of, settings, source="snapshot")
        plain.append((time.perf_counter() - started, _steps(result)))
    plain_wall, plain_steps = _best(plain)

    prefect_home = scratch / "prefect-home"
    server, url, server_start = _start_server(prefect_home)
    try:
        os.environ["PREFECT_API_URL"] = url
        os.environ["PREFECT_HOME"] = str(prefect_home)
        from flows.daily import run_once

        run_once(args.as_of, source="snapshot")  # warm-up: imports, first flow registration
        flowed = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            result = run_once(args.as_of, source="snapshot")
            flowed.append((time.perf_counter() - started, _steps(result)))
        flow_wall, flow_steps = _best(flowed)

        drop = ("ALVH_", "PREFECT_API_URL")
        server_env = {"PREFECT_API_URL": url, "PREFECT_HOME": str(prefect_home)}
        cli_server = min(_cli_wall(home, args.as_of, server_env, drop) for _ in range(args.repeats))
    finally:
        server.terminate()
        server.wait(timeout=30)

    cli_plain = min(_plain_process_wall(home, args.as_of) for _ in range(args.repeats))
    ephemeral_env = {"PREFECT_HOME": str(prefect_home)}
    _cli_wall(home, args.as_of, ephemeral_env, drop)  # the temporary server's database, warm
    cli_ephemeral = min(_cli_wall(home, args.as_of, ephemeral_env, drop) for _ in range(2))
    with_heartbeat = {**ephemeral_env, "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30"}
    cli_heartbeat = min(_cli_wall(home, args.as_of, with_heartbeat, drop) for _ in range(2))

    print(f"\nALVH daily run as of {args.as_of}, warm warehouse {home / 'alvh.duckdb'}")
    print(f"best of {args.repeats}; step times are measured inside each step\n")
    print(f"{'step':<10} {'no Prefect':>11} {'Prefect flow':>13}")
    for step in STEPS:
        if step in plain_steps:
            print(f"{step:<10} {plain_steps[step]:>10.3f}s {flow_steps.get(step, 0):>12.3f}s")
    print(f"{'wall':<10} {plain_wall:>10.3f}s {flow_wall:>12.3f}s")
    print(f"\nPrefect flow / plain steps: {flow_wall / plain_wall:.2f}× (target ≤ 2×)")
    print(f"orchestration overhead per run: {flow_wall - plain_wall:.3f} s")
    print(f"\nlocal Prefect server start-up (once, not per run): {server_start:.1f} s")
    print("a new process each time (imports and first-use costs included):")
    print(f"  the steps without Prefect (run_day):               {cli_plain:6.2f} s")
    print(
        f"  `alvh run` against the long-running server:        {cli_server:6.2f} s "
        f"({cli_server / cli_plain:.2f}×; target ≤ 6 s)"
    )
    print(f"  `alvh run` with a temporary server (no API URL):   {cli_ephemeral:6.2f} s")
    print(f"  ... and with Prefect's default flow heartbeat:     {cli_heartbeat:6.2f} s")


if __name__ == "__main__":
    main()
