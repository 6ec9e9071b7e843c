"""Scenario target (pricing issue): the full §4.4 grid for a 50-position book at three horizons
in ≤ 50 ms. Also times the hedged break-evens, the §4.5 stress replay and a full `mark_book`.

Builds a warehouse from the bundled snapshot in a temporary ALVH_HOME, a synthetic book of 40
iron condors and 10 VIX calls open on 2026-08-20, and prints best-of-N wall times.

    .venv/bin/python benchmarks/scenarios.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from bundled import bundled_warehouse

from alvh.book.positions import Position
from alvh.book.scenarios import hedged_breakevens, history_inputs, scenario_grid, stress_replay
from alvh.book.valuation import ModelParams, build_legs
from alvh.core import calendar
from alvh.data.market_day import load_market
from alvh.store.warehouse import open_warehouse

DAY = date(2026, 8, 20)


def synthetic_book() -> list[Position]:
    positions = []
    spx_expiries = calendar.spx_expiries(date(2026, 9, 1), date(2027, 1, 31))
    for i in range(40):
        expiry = spx_expiries[i % len(spx_expiries)]
        width = 25 * (1 + i % 4)
        put_short, call_short = 7300 - 25 * (i % 6), 7950 + 25 * (i % 5)
        positions.append(
            Position(
                f"IC{i}",
                "iron_condor",
                expiry,
                1 + i % 7,
                DAY,
                8.0,
                put_long=put_short - width,
                put_short=put_short,
                call_short=call_short,
                call_long=call_short + width,
            )
        )
    vix_expiries = calendar.vix_expiries(date(2026, 9, 1), date(2026, 12, 31))
    for i in range(10):
        positions.append(
            Position(
                f"VX{i}",
                "vix_call",
                vix_expiries[i % len(vix_expiries)],
                10 + i,
                DAY,
                1.0,
                strike=20.0 + i,
            )
        )
    return positions


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as home:
        con = open_warehouse(bundled_warehouse(Path(home)))
        snapshot = load_market(con, DAY)
        fit, moves = history_inputs(con, DAY)
        positions = synthetic_book()
        legs = build_legs(positions)
        params = ModelParams()
        grid = scenario_grid(legs, positions, snapshot, params, fit)
        grid_time = best(lambda: scenario_grid(legs, positions, snapshot, params, fit), repeat)
        be_time = best(lambda: hedged_breakevens(legs, positions, snapshot, params, fit), repeat)
        stress_time = best(lambda: stress_replay(legs, snapshot, params, moves), repeat)
        print(
            f"book: {len(positions)} positions, {len(legs)} legs; grid {len(grid)} scenarios "
            f"x {len(legs)} legs = {len(grid) * len(legs):,} option prices"
        )
        print(f"scenario grid (3 horizons)    {grid_time * 1000:7.1f} ms  (target <= 50 ms)")
        print(f"hedged break-evens (3 horiz.) {be_time * 1000:7.1f} ms")
        print(f"stress replay ({len(moves)} events)    {stress_time * 1000:7.1f} ms")
        con.close()


if __name__ == "__main__":
    main()
