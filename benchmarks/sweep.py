"""Sweep target (issue 7): a 1,000-configuration sweep in ≤ 60 s on 2 cores.

Builds a warehouse from the bundled snapshot in a temporary ALVH_HOME, writes a grid of
10 × 10 × 10 layer settings (variant `alvh`, preset `cndr`, 1990 → 2026), and runs it through
the `alvh-sweep` flow with the Dask runner (a LocalCluster of worker processes) inside a
temporary Prefect server, printing wall time, configurations per second and the best rows.

    .venv/bin/python benchmarks/sweep.py [--workers 2] [--runner dask|local] [--size 10]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from bundled import bundled_warehouse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runner", default="dask")
    parser.add_argument("--size", type=int, default=10, help="values per axis (size³ configs)")
    options = parser.parse_args()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness

    from alvh.backtest.sweep import tabulate
    from flows.sweep import run_sweep

    n = options.size
    axes = {
        "layers.l1_pct": np.round(np.linspace(0.10, 0.15, n), 4).tolist(),
        "layers.l2_offset": np.round(np.linspace(0.1, 1.0, n), 4).tolist(),
        "layers.hedge_budget_pct": np.round(np.linspace(0.05, 0.50, n), 4).tolist(),
    }
    with tempfile.TemporaryDirectory() as home:
        warehouse = bundled_warehouse(Path(home))
        grid = Path(home) / "grid.toml"
        lines = ['preset = "cndr"', 'variants = ["alvh"]', "[grid]"]
        lines += [f'"{key}" = {values}' for key, values in axes.items()]
        grid.write_text("\n".join(lines) + "\n")
        with prefect_test_harness(server_startup_timeout=180):
            started = time.perf_counter()
            rows = run_sweep(grid, warehouse, options.runner, options.workers)
            elapsed = time.perf_counter() - started
    table = tabulate(rows)
    configs = table["run_id"].nunique()
    print(
        f"{configs} configurations ({options.runner}, {options.workers} workers): "
        f"{elapsed:.1f} s wall (target ≤ 60 s for 1,000), {configs / elapsed:.1f} configs/s, "
        "Prefect server start-up excluded"
    )
    best = table[table["variant"] == "alvh"].head(5)
    print(best.drop(columns=["run_id"]).to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
