"""Throughput of the signal engine (method §5): S1–S6 over every trading day 1990 → as_of.

Prints the warehouse read time, the compute time for all six signals (best of 5), rows per
second, and how often each signal was available and active — the table docs/signals.md quotes.

    .venv/bin/python benchmarks/signals.py [--warehouse PATH] [--as-of YYYY-MM-DD]

Without --warehouse it loads the bundled snapshot into a temporary warehouse first (not timed).
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import date
from pathlib import Path

from bundled import AS_OF, bundled_warehouse, timed

from alvh.hedge import signals
from alvh.store.warehouse import connect

REPEATS = 5


def run(warehouse: Path, as_of: date) -> None:
    con = connect(warehouse, read_only=True)
    try:
        read_first, read_s, inputs = timed(REPEATS, lambda: signals.load_signal_inputs(con, as_of))
    finally:
        con.close()
    _, compute_s, result = timed(REPEATS, lambda: signals.compute_signals(inputs))
    days = len(result.index)
    panel_rows = len(inputs.panel.values)
    print(f"signals S1-S6, {result.index[0].date()} -> {result.index[-1].date()} (as_of {as_of})")
    print(
        f"  warehouse read (load_signal_inputs), best of {REPEATS}: {read_s * 1000:8.1f} ms "
        f"(first, cold: {read_first * 1000:.1f} ms)"
    )
    print(f"  compute all six (compute_signals),   best of {REPEATS}: {compute_s * 1000:8.1f} ms")
    print(f"  trading days reported: {days:,} (computed with warm-up: {panel_rows:,})")
    print(f"  rows per second (days x 6 signals / compute): {days * 6 / compute_s:,.0f}")
    print(f"  target <= 500 ms: {'met' if compute_s <= 0.5 else 'MISSED'}")
    print()
    summary = result.summary()
    print("| signal | title | available | active (share of days) | active days | spells |")
    print("|---|---|---|---|---|---|")
    for name, row in summary.iterrows():
        print(
            f"| {name} | {row['title']} | {row['available']:.1%} | {row['active']:.1%} | "
            f"{row['active_days']:,} | {row['spells']:,} |"
        )
    s2 = result.releases
    surprises = s2[s2["surprise"] & (s2["release_day"] >= result.index[0])]
    confirmed = surprises["confirmed_on"].notna()
    print()
    print(
        f"S2 surprises since {result.index[0].date()}: {len(surprises)} "
        f"(CPI {int((surprises['kind'] == 'CPI').sum())}, "
        f"PPI {int((surprises['kind'] == 'PPI').sum())}), confirmed {int(confirmed.sum())}"
    )
    s5 = result.frame("S5")
    print(
        f"S5 on breadth data: {int((~s5['proxy']).sum())} days; on the SPX proxy: "
        f"{int(s5['proxy'].sum())} days; divergence days {int(s5['divergence'].sum())}"
    )
    s3 = result.frame("S3")
    print(f"S3 days near an FOMC decision (lower threshold): {int(s3['near_fomc'].sum())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="an existing alvh.duckdb")
    parser.add_argument("--as-of", type=date.fromisoformat, default=AS_OF)
    args = parser.parse_args()
    if args.warehouse:
        run(args.warehouse, args.as_of)
        return
    with tempfile.TemporaryDirectory() as home:
        run(bundled_warehouse(Path(home)), args.as_of)


if __name__ == "__main__":
    main()
