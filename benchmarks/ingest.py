"""Foundation targets: `alvh init` into an empty warehouse, and re-ingesting unchanged data.

Targets (foundation issue): init ≤ 3 s wall; re-ingest of unchanged data ≤ 1 s reporting
0 inserted and 0 updated. Prints wall time (the command as a user runs it, Python start-up
included), the ingest's own time, throughput and the child's peak memory. The re-ingest is
timed twice: as a daily run does it (files identical to the last load are recorded as unchanged
without being validated again, docs/data.md) and with `--revalidate` (every file checked).

    .venv/bin/python benchmarks/ingest.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUMMARY = re.compile(
    r"(\d+) inserted, (\d+) updated, (\d+) unchanged, (\d+) rejected in ([\d.]+) s"
)


def run(args: list[str], home: Path) -> tuple[float, float, tuple[int, ...], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALVH_")}
    env["ALVH_HOME"] = str(home)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "alvh.cli", *args], capture_output=True, text=True, env=env
    )
    wall = time.perf_counter() - started
    peak_mb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    if done.returncode != 0:
        raise SystemExit(f"alvh {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    match = SUMMARY.search(done.stdout)
    counts = tuple(int(match.group(i)) for i in range(1, 5))
    return wall, float(match.group(5)), counts, peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    init_runs, reingest_runs, revalidate_runs = [], [], []
    for _ in range(options.repeat):
        with tempfile.TemporaryDirectory() as home:
            init_runs.append(run(["init"], Path(home)))
            reingest_runs.append(run(["ingest", "--source", "snapshot"], Path(home)))
            revalidate_runs.append(
                run(["ingest", "--source", "snapshot", "--revalidate"], Path(home))
            )

    def report(name: str, runs, target: float) -> None:
        best = min(runs, key=lambda r: r[0])
        wall, inner, (inserted, updated, unchanged, rejected), peak = best
        rows = inserted + updated + unchanged
        print(
            f"{name:<26} wall {wall:5.2f} s (best of {len(runs)}; target ≤ {target:g} s)  "
            f"ingest {inner:5.2f} s  {rows / inner:>9,.0f} rows/s  "
            f"inserted {inserted:,} updated {updated:,} unchanged {unchanged:,} "
            f"rejected {rejected}  peak RSS {peak:,.0f} MB"
        )

    report("alvh init (empty warehouse)", init_runs, 3.0)
    report("re-ingest unchanged data", reingest_runs, 1.0)
    report("... with --revalidate", revalidate_runs, 1.0)


if __name__ == "__main__":
    main()
