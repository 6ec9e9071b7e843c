"""Quote import and residuals speed (issue 11 targets: ≤ 1 s and ≤ 0.5 s).

Imports the largest shared Cboe quote table (about 21k option quotes) into a warehouse loaded
from the bundled snapshot — first into an empty day, then again (the idempotent re-import
replaces the day) — and computes the model-vs-market residuals of that day.

    python benchmarks/quotes.py [DIR]    # DIR: the shared option_chains directory
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path

from bundled import bundled_warehouse, timed

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "option_chains"
TODAY = date(2026, 11, 25)


def main(directory: Path) -> None:
    from alvh.book.residuals import quote_residuals
    from alvh.data.quotes import read_quotes
    from alvh.data.quotes.importer import import_quotes
    from alvh.store.warehouse import open_warehouse

    tables = sorted(directory.glob("cboe_quote_table_*"), key=lambda p: p.stat().st_size)
    largest = max(tables, key=lambda p: len(read_quotes(p).frame))
    with tempfile.TemporaryDirectory() as home:
        con = open_warehouse(bundled_warehouse(Path(home), TODAY))
        first, _, result = timed(1, lambda: import_quotes(con, largest, TODAY))
        print(
            f"import {largest.name}: {result.rows_read} quotes read, {result.inserted} "
            f"inserted, {result.rejected} rejected: {first:.3f} s (target ≤ 1 s)"
        )
        again_first, again_best, again = timed(3, lambda: import_quotes(con, largest, TODAY))
        print(
            f"re-import (idempotent, {again.unchanged} unchanged): first {again_first:.3f} s, "
            f"best of 3 {again_best:.3f} s (target ≤ 1 s)"
        )
        day = result.as_of_dates[0]
        r_first, r_best, residuals = timed(5, lambda: quote_residuals(con, day))
        spx = residuals.summary["SPX"]
        print(
            f"residuals {day}: {len(residuals.options)} options, first {r_first:.3f} s, best of "
            f"5 {r_best:.3f} s (target ≤ 0.5 s); IV error median {spx['median_error']:+.2f} "
            f"vol pts, median |error| {spx['median_abs_error']:.2f}, RMSE {spx['rmse']:.2f}"
        )
        con.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED)
