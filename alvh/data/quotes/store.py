"""Storing checked quotes per `as_of`, with the import run that wrote them (issue 11, item 1).

One transaction per import: the (as_of, root) partitions the file holds are replaced, its
quarantined rows go to `rejected_rows` and its record to `quote_imports`; an error anywhere
leaves the warehouse as it was. Importing the same file again finds every row unchanged and
leaves them as the first import wrote them (it is still recorded, as an import that changed
nothing).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from alvh.core.resources import read_sql_statements
from alvh.data.quotes.base import QuoteFile
from alvh.data.quotes.rules import CheckedQuotes
from alvh.store.warehouse import transaction


@dataclass(frozen=True)
class QuoteImport:
    """What one import did; `messages` are the quarantined rows' messages."""

    import_id: str
    origin: str
    format: str
    timing: str
    as_of_dates: list[date]
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    removed: int
    rejected: int
    zero_bid: int
    duration: float
    messages: list[str]

    @property
    def exit_code(self) -> int:
        """3 when any row was quarantined (interface.md), else 0."""
        return 3 if self.rejected else 0


def store_quotes(
    con: duckdb.DuckDBPyConnection,
    quotes: QuoteFile,
    checked: CheckedQuotes,
    timing: str,
    started: float | None = None,
) -> QuoteImport:
    """Write `checked.good` over its (as_of, root) partitions and record the import."""
    started = time.perf_counter() if started is None else started
    import_id = f"quotes-{datetime.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    sql = read_sql_statements("quotes/import.sql")
    good = checked.good
    incoming = pd.DataFrame(
        {
            # datetime64 days: DuckDB reads them as timestamps without a Python object per row
            # (sql/quotes/import.sql casts them to DATE).
            "as_of": good["as_of"],
            "root": good["root"],
            "expiry": good["expiry"],
            "strike": good["strike"],
            "option_type": good["type"],
            "bid": good["bid"],
            "ask": good["ask"],
            "underlying": good["underlying"],
            "zero_bid": good["zero_bid"],
            "quote_time": good["quote_time"],
        }
    )
    days = sorted(d.date() for d in incoming["as_of"].unique())
    with transaction(con):
        con.register("incoming", incoming)
        try:
            inserted, updated, unchanged, removed = con.execute(sql["compare"]).fetchall()[0]
            # Stored exactly as the file has them: the rows stay those of the import that wrote
            # them, and rewriting them (index and all) would change nothing.
            if inserted or updated or removed:
                con.execute(sql["delete_partitions"])
                con.execute(
                    sql["insert"],
                    {"timing": timing, "source_file": quotes.origin, "import_id": import_id},
                )
        finally:
            con.unregister("incoming")
        duration = time.perf_counter() - started
        con.execute(
            sql["record_import"],
            {
                "import_id": import_id,
                "imported_at": datetime.now(),
                "origin": quotes.origin,
                "file_name": Path(quotes.origin).name,
                "content_hash": quotes.digest,
                "format": quotes.format,
                "timing": timing,
                "quote_time": quotes.quote_time,
                "first_as_of": days[0] if days else None,
                "last_as_of": days[-1] if days else None,
                "rows_read": len(quotes.frame),
                "inserted": inserted,
                "updated": updated,
                "unchanged": unchanged,
                "removed": removed,
                "rejected": len(checked.rejected),
                "zero_bid": checked.zero_bids,
                "duration": duration,
            },
        )
        if len(checked.rejected):
            con.register("rejects", checked.rejected)
            try:
                con.execute(
                    sql["rejects"],
                    {
                        "import_id": import_id,
                        "origin": quotes.origin,
                        "rejected_at": datetime.now(),
                    },
                )
            finally:
                con.unregister("rejects")
    return QuoteImport(
        import_id=import_id,
        origin=quotes.origin,
        format=quotes.format,
        timing=timing,
        as_of_dates=days,
        rows_read=len(quotes.frame),
        inserted=int(inserted),
        updated=int(updated),
        unchanged=int(unchanged),
        removed=int(removed),
        rejected=len(checked.rejected),
        zero_bid=checked.zero_bids,
        duration=duration,
        messages=checked.rejected["message"].tolist(),
    )
