"""Wall time of `alvh backfill` (the daily unit over a range, no Prefect) on a 50-position book.

Run from the repository root:

    .venv/bin/python benchmarks/backfill.py [--years 1 10] [--positions 50]

For each range it loads the bundled snapshot into a new warehouse, imports a book of
`--positions` positions (iron condors opened every few weeks through the range at the day's
SPX close, ±4 % / ±8 % strikes, and one VIX call beside every fourth condor, so that every day
has open positions to mark), then times `pipeline.backfill_step` over the whole range and
prints the days, the rows stored and the peak memory. Targets (issue 14): 1 year ≤ 3 s,
10 years ≤ 20 s.
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bundled import AS_OF, bundled_warehouse

END = date(2026, 8, 20)


def _book_rows(con, start: date, end: date, positions: int) -> list[dict]:
    from alvh.core import calendar

    closes = dict(
        con.execute(
            "SELECT obs_date, value FROM observations WHERE series_id = 'SPX' "
            "AND obs_date BETWEEN ? AND ?",
            [start, end],
        ).fetchall()
    )
    days = sorted(closes)
    condors = max(1, round(positions * 0.8))
    rows = []
    for i in range(condors):
        day = days[min(len(days) - 1, round(i * (len(days) - 1) / max(condors - 1, 1)))]
        spx = float(closes[day])
        expiry = calendar.next_spx_expiry(day, min_days=35)
        put_short = 5 * round(spx * 0.96 / 5)
        call_short = 5 * round(spx * 1.04 / 5)
        rows.append(
            {
                "position_id": f"IC-{i:03d}",
                "kind": "iron_condor",
                "expiry": expiry.isoformat(),
                "quantity": 5,
                "entry_date": day.isoformat(),
                "entry_price": 6.0,
                "put_long": put_short - 5 * round(spx * 0.04 / 5),
                "put_short": put_short,
                "call_short": call_short,
                "call_long": call_short + 5 * round(spx * 0.04 / 5),
                "strike": "",
            }
        )
        if i % 4 == 0 and len(rows) < positions:
            rows.append(
                {
                    "position_id": f"VXC-{i:03d}",
                    "kind": "vix_call",
                    "expiry": calendar.next_vix_expiry(day, min_days=30).isoformat(),
                    "quantity": 10,
                    "entry_date": day.isoformat(),
                    "entry_price": 1.0,
                    **{k: "" for k in ("put_long", "put_short", "call_short", "call_long")},
                    "strike": 25,
                }
            )
    return rows[:positions]


def one_range(years: int, positions: int) -> None:
    from alvh import pipeline
    from alvh.book.positions import import_book
    from alvh.core.settings import Settings
    from alvh.store.warehouse import open_warehouse

    start = END - timedelta(days=round(365.25 * years))
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        bundled_warehouse(home, AS_OF)
        settings = Settings(home=home)
        with open_warehouse(settings.warehouse_path) as con:
            rows = _book_rows(con, start, END, positions)
            book = home / "book.csv"
            with open(book, "w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
            import_book(con, book, END)
        started = time.perf_counter()
        with pipeline.daily_run(END, settings, kind="backfill") as run_id:
            result = pipeline.backfill_step(run_id, start, END, settings)
        wall = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    c = result.counts
    target = 3.0 if years <= 1 else 20.0
    print(
        f"{years:>2} year(s), {len(rows)} positions: {c['days']} days in {wall:.2f} s "
        f"({c['days'] / wall:.0f} days/s; target ≤ {target:.0f} s) — stored {c['legs']} leg, "
        f"{c['positions']} position, {c['signals']} signal, {c['states']} state rows, "
        f"{c['orders']} orders; peak RSS {peak / 2**20:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--positions", type=int, default=50)
    args = parser.parse_args()
    print(f"backfill to {END}, python {sys.version.split()[0]}")
    for years in args.years:
        one_range(years, args.positions)


if __name__ == "__main__":
    main()
