"""Quote import and residuals speed (issue 11 targets: ≤ 1 s and ≤ 0.5 s).

Imports the largest shared Cboe quote table (about 21k option quotes) into a warehouse loaded
from the bundled snapshot, five times into an empty day (each run on a fresh copy of the loaded
warehouse, copied outside the timing) and five times again over the stored day (the idempotent
re-import that finds every row unchanged), then computes the day's model-vs-market residuals
five times, and fits the day's own surface five times (`alvh.book.day_model`; no target in the
issue: it runs once per quoted day in the mark step). Prints min and median of each, and the
import's own split (read, check, store).

    python benchmarks/quotes.py [DIR]    # DIR: the shared option_chains directory
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bundled import bundled_warehouse
from option_quotes import CHAINS

TODAY = date(2026, 11, 25)
REPEATS = 5


def _figures(label: str, seconds: list[float], target: float) -> str:
    return (
        f"{label}: min {min(seconds):.3f} s, median {statistics.median(seconds):.3f} s over "
        f"{len(seconds)} runs (target ≤ {target:g} s)"
    )


def _split(path: Path) -> str:
    """Where one import's time goes outside the warehouse: reading and checking the file."""
    from alvh.data.quotes import read_quotes
    from alvh.data.quotes.rules import check_quotes

    started = time.perf_counter()
    quotes = read_quotes(path)
    read = time.perf_counter()
    check_quotes(quotes, TODAY)
    checked = time.perf_counter()
    return f"read {read - started:.3f} s, check {checked - read:.3f} s"


def main(directory: Path) -> None:
    from alvh.book.day_model import day_model, save_day_surface
    from alvh.book.residuals import quote_residuals
    from alvh.book.valuation import ModelParams
    from alvh.data.quotes import read_quotes
    from alvh.data.quotes.importer import import_quotes
    from alvh.store.warehouse import open_warehouse

    tables = sorted(directory.glob("cboe_quote_table_*"), key=lambda p: p.stat().st_size)
    largest = max(tables, key=lambda p: len(read_quotes(p).frame))
    with tempfile.TemporaryDirectory() as home:
        loaded = bundled_warehouse(Path(home) / "loaded", TODAY)
        empty_day, result = [], None
        for run in range(REPEATS):
            copy = Path(home) / f"run{run}.duckdb"
            shutil.copy(loaded, copy)
            con = open_warehouse(copy)
            started = time.perf_counter()
            result = import_quotes(con, largest, TODAY)
            empty_day.append(time.perf_counter() - started)
            if run < REPEATS - 1:
                con.close()
                copy.unlink()
        print(
            f"import {largest.name}: {result.rows_read} quotes read, {result.inserted} "
            f"inserted, {result.rejected} rejected"
        )
        print(_figures("  into an empty day", empty_day, 1.0))
        again = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            unchanged = import_quotes(con, largest, TODAY).unchanged
            again.append(time.perf_counter() - started)
        print(_figures(f"  re-import ({unchanged} unchanged)", again, 1.0))
        print(f"  of which outside the warehouse: {_split(largest)}")
        day = result.as_of_dates[0]
        seconds, residuals = [], None
        for _ in range(REPEATS):
            started = time.perf_counter()
            residuals = quote_residuals(con, day)
            seconds.append(time.perf_counter() - started)
        spx = residuals.summary["SPX"]
        label = f"residuals {day}: {len(residuals.options)} options, the day not marked yet"
        print(_figures(label, seconds, 0.5))
        print(
            f"  IV error median {spx['median_error']:+.2f} vol pts, median |error| "
            f"{spx['median_abs_error']:.2f}, RMSE {spx['rmse']:.2f}"
        )
        seconds, model = [], None
        for _ in range(REPEATS):
            started = time.perf_counter()
            model = day_model(con, day, ModelParams())
            seconds.append(time.perf_counter() - started)
        print(_figures(f"day surface {day}: {model.text}", seconds, 1.0))
        save_day_surface(con, model, None)  # as the mark step stores it
        seconds = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            residuals = quote_residuals(con, day)
            seconds.append(time.perf_counter() - started)
        fit = residuals.summary["day_fit"]
        print(_figures("residuals of the day once marked (its fit stored)", seconds, 0.5))
        print(
            f"  the day fit's median |error| on the same {fit['n']} options: "
            f"{fit['median_abs_iv_err']:.2f} vol pts"
        )
        con.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else CHAINS)
