"""Engine targets (issue 4): signals and layer states for every trading day 1990 → today in
≤ 0.5 s (vectorised), and `alvh layers --as-of D` for one day in ≤ 1.5 s wall with start-up.

    .venv/bin/python benchmarks/layers.py [--repeat 5]
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

from alvh.hedge.layers import layer_state_history
from alvh.hedge.signals import compute_signals, load_signal_inputs
from alvh.store.warehouse import open_warehouse

AS_OF = date(2026, 8, 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALVH_")}
        env["ALVH_HOME"] = home
        subprocess.run(
            [sys.executable, "-m", "alvh.cli", "init"], env=env, check=True, capture_output=True
        )
        con = open_warehouse(Path(home) / "alvh.duckdb")  # loaded by `alvh init` above
        reads, computes = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            inputs = load_signal_inputs(con, AS_OF)
            read = time.perf_counter()
            signals = compute_signals(inputs)
            states = layer_state_history(signals)
            done = time.perf_counter()
            reads.append(read - started)
            computes.append(done - read)
        con.close()
        print(
            f"signals + layer states, {len(states):,} trading days "
            f"{states.index[0].date()} → {states.index[-1].date()}: "
            f"{min(computes) * 1000:.0f} ms compute (target ≤ 500 ms), "
            f"{min(reads) * 1000:.0f} ms warehouse read (best of {repeat})"
        )
        walls = []
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "alvh.cli", "layers", "--as-of", "2024-08-05", "--json"],
                env=env,
                check=True,
                capture_output=True,
            )
            walls.append(time.perf_counter() - started)
        print(
            f"alvh layers --as-of 2024-08-05 --json: {min(walls):.2f} s wall best, "
            f"{sorted(walls)[len(walls) // 2]:.2f} s median (target ≤ 1.5 s, start-up "
            "included; the sample book is marked and its orders stored)"
        )


if __name__ == "__main__":
    main()
