"""Set-up the benchmark scripts share: a warehouse loaded from the bundled snapshot, and timing.

Imported by the scripts as `bundled` (a script's own directory is first on `sys.path`).
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

AS_OF = date(2026, 11, 25)


def bundled_warehouse(home: Path, as_of: date = AS_OF) -> Path:
    """Load the bundled snapshot into a new warehouse under `home` (ALVH_HOME); its path."""
    from alvh.core.settings import Settings
    from alvh.data.ingest import ingest
    from alvh.store.warehouse import open_warehouse

    settings = Settings(home=home)
    con = open_warehouse(settings.warehouse_path)
    try:
        report = ingest(con, settings, as_of, mode="snapshot")
    finally:
        con.close()
    if report.exit_code != 0:
        raise SystemExit(f"loading the bundled snapshot failed: {report.reject_messages[:3]}")
    return settings.warehouse_path


def timed(repeats: int, work) -> tuple[float, float, object]:
    """(first run, best of `repeats`, result of the best run): the first run pays one-off costs
    such as building the trading calendar, so both are shown."""
    times, best, result = [], float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        out = work()
        elapsed = time.perf_counter() - started
        times.append(elapsed)
        if elapsed < best:
            best, result = elapsed, out
    return times[0], best, result
