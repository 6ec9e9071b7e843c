"""Throughput of the backtest (method §7): one variant and all five, 1990 → today, daily marks.

Prints the warehouse read (market path, VX settlements, signals; timed apart, as the targets
exclude it), then best-of-N run times of `run_backtest` per single variant and for all five, split
into its stages, against the targets of issue 7: one variant ≤ 0.5 s, all five ≤ 2 s.

    .venv/bin/python benchmarks/backtest.py [--warehouse PATH] [--preset cndr|retail45]

Without --warehouse it loads the bundled snapshot into a temporary warehouse first (not timed).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bundled import bundled_warehouse, timed

from alvh.backtest import BacktestConfig, load_inputs, run_backtest
from alvh.backtest.hedges import VARIANTS
from alvh.store.warehouse import connect

REPEATS = 5
ONE_TARGET_S = 0.5
ALL_TARGET_S = 2.0


def run(warehouse: Path, preset: str) -> None:
    con = connect(warehouse, read_only=True)
    try:
        read_first, read_s, inputs = timed(REPEATS, lambda: load_inputs(con))
    finally:
        con.close()
    days = len(inputs.path)
    print(f"backtest {preset}, {inputs.start} -> {inputs.end}: {days:,} sessions")
    print(
        f"  warehouse read + signals (load_inputs), best of {REPEATS}: {read_s * 1000:7.1f} ms "
        f"(first: {read_first * 1000:.1f} ms) - excluded from the targets"
    )
    print(f"  {'variants':<34} {'best ms':>8}  stages (ms)")
    rows = [(name,) for name in VARIANTS if name != "unhedged"]
    rows = [("unhedged",), *rows, tuple(VARIANTS)]
    worst_one = 0.0
    for names in rows:
        config = BacktestConfig(preset=preset, variants=names)
        _, best, result = timed(REPEATS, lambda c=config: run_backtest(inputs, c))
        stages = ", ".join(f"{k} {v * 1000:.0f}" for k, v in result.timings.items())
        label = (
            "all five"
            if len(names) == len(VARIANTS)
            else names[0] + ("" if names[0] == "unhedged" else " (+ unhedged reference)")
        )
        print(f"  {label:<34} {best * 1000:8.1f}  {stages}")
        if len(names) == 1:
            worst_one = max(worst_one, best)
        else:
            all_s = best
    print(
        f"  target one variant <= {ONE_TARGET_S * 1000:.0f} ms (slowest single variant "
        f"{worst_one * 1000:.0f} ms): {'met' if worst_one <= ONE_TARGET_S else 'MISSED'}"
    )
    print(
        f"  target all five <= {ALL_TARGET_S * 1000:.0f} ms ({all_s * 1000:.0f} ms): "
        f"{'met' if all_s <= ALL_TARGET_S else 'MISSED'}"
    )
    print(f"  sessions x variants per second (all five): {days * len(VARIANTS) / all_s:,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="an existing alvh.duckdb")
    parser.add_argument("--preset", default="cndr", choices=["cndr", "retail45"])
    args = parser.parse_args()
    if args.warehouse:
        run(args.warehouse, args.preset)
        return
    with tempfile.TemporaryDirectory() as home:
        run(bundled_warehouse(Path(home)), args.preset)


if __name__ == "__main__":
    main()
