"""The bundled offline snapshot: real public data shipped with the package (see PROVENANCE.md)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from alvh.data.sources.base import BadFile, RawTable, digest_of


def read_snapshot_file(directory: Path, relative: str) -> RawTable:
    """One snapshot CSV (plain or .gz) with every cell as text and lower-case column names."""
    path = directory / relative
    origin = str(path)
    if not path.is_file():
        raise BadFile(origin, "missing_file", "the snapshot file does not exist")
    try:
        content = path.read_bytes()
        frame = pd.read_csv(
            io.BytesIO(content),
            compression="gzip" if path.suffix == ".gz" else None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
        )
    except (
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
        csv.Error,
        EOFError,
        OSError,
    ) as exc:
        raise BadFile(origin, "not_csv", f"cannot be read as CSV: {exc}") from exc
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "date" not in frame.columns:
        raise BadFile(origin, "missing_column", "no 'date' column", column="date")
    return RawTable(frame=frame, origin=origin, publisher="snapshot", digest=digest_of(content))
