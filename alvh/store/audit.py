"""The audit history: an append-only log whose rows are hash-chained (issue: daily flow, §6.5).

Each row's hash is SHA-256 over the previous row's hash and the row's own content in a
canonical JSON form, so editing any row breaks its hash, deleting a row breaks the next row's
link and the sequence, and every pipeline run records the head it left behind, so cutting rows
off the end is caught too. `verify` names each broken row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime

import duckdb

GENESIS = "0" * 64


def _canonical(
    seq: int,
    recorded_at: datetime,
    as_of: date | None,
    actor: str,
    event: str,
    subject: str | None,
    details: str,
) -> str:
    return json.dumps(
        [
            seq,
            recorded_at.isoformat(timespec="microseconds"),
            as_of.isoformat() if as_of else None,
            actor,
            event,
            subject,
            details,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def row_hash(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


class Chain:
    """Appends to the audit log inside one transaction with the chain's head carried in
    memory: the head is read once and the rows go in at `flush`, in one statement.

    While rows are waiting nothing else may append to the log (its head would be stale):
    flush before the transaction does anything else that audits.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        last = head(con)
        self._seq, self._hash = last if last else (0, GENESIS)
        self._rows: list[list] = []

    def append(
        self,
        event: str,
        details: dict | None = None,
        *,
        as_of: date | None = None,
        subject: str | None = None,
        actor: str = "alvh",
    ) -> int:
        """Chain one event after the last; returns its sequence number."""
        seq, prev_hash = self._seq + 1, self._hash
        recorded_at = datetime.now()
        text = json.dumps(details or {}, sort_keys=True, default=str, ensure_ascii=False)
        canonical = _canonical(seq, recorded_at, as_of, actor, event, subject, text)
        digest = row_hash(prev_hash, canonical)
        self._rows.append([seq, recorded_at, as_of, actor, event, subject, text, prev_hash, digest])
        self._seq, self._hash = seq, digest
        return seq

    def flush(self) -> None:
        """Insert the rows chained since the last flush (inside the caller's transaction)."""
        if self._rows:
            # one statement for the lot, column by column (executemany runs one per row)
            columns = [list(column) for column in zip(*self._rows, strict=True)]
            self._con.execute(
                "INSERT INTO audit_log SELECT unnest(?), unnest(?), unnest(?), unnest(?), "
                "unnest(?), unnest(?), unnest(?), unnest(?), unnest(?)",
                columns,
            )
            self._rows = []


def append(
    con: duckdb.DuckDBPyConnection,
    event: str,
    details: dict | None = None,
    *,
    as_of: date | None = None,
    subject: str | None = None,
    actor: str = "alvh",
) -> int:
    """Append one event inside the caller's transaction; returns its sequence number."""
    chain = Chain(con)
    seq = chain.append(event, details, as_of=as_of, subject=subject, actor=actor)
    chain.flush()
    return seq


def head(con: duckdb.DuckDBPyConnection) -> tuple[int, str] | None:
    rows = con.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchall()
    return (int(rows[0][0]), rows[0][1]) if rows else None


@dataclass(frozen=True)
class Break:
    seq: int
    problem: str


def verify(con: duckdb.DuckDBPyConnection) -> tuple[int, list[Break]]:
    """Check the whole chain; returns (rows checked, breaks found)."""
    rows = con.execute(
        "SELECT seq, recorded_at, as_of, actor, event, subject, details, prev_hash, hash "
        "FROM audit_log ORDER BY seq"
    ).fetchall()
    breaks: list[Break] = []
    expected_prev, expected_seq = GENESIS, 1
    for seq, recorded_at, as_of, actor, event, subject, details, prev_hash, digest in rows:
        if seq != expected_seq:
            breaks.append(
                Break(seq, f"sequence jumps from {expected_seq - 1} to {seq}: rows were deleted")
            )
        if prev_hash != expected_prev:
            breaks.append(Break(seq, "link to the previous row is broken"))
        recomputed = row_hash(
            prev_hash, _canonical(seq, recorded_at, as_of, actor, event, subject, details)
        )
        if recomputed != digest:
            breaks.append(Break(seq, "content does not match its hash: the row was edited"))
        expected_prev, expected_seq = digest, seq + 1
    last_seq = rows[-1][0] if rows else 0
    recorded_heads = con.execute(
        "SELECT run_id, audit_head_seq, audit_head_hash FROM pipeline_runs "
        "WHERE audit_head_seq IS NOT NULL ORDER BY audit_head_seq"
    ).fetchall()
    hashes = {row[0]: row[8] for row in rows}
    for run_id, seq, digest in recorded_heads:
        if seq > last_seq:
            breaks.append(
                Break(
                    seq,
                    f"run {run_id} left the log at row {seq}, but it now ends "
                    f"at row {last_seq}: rows were cut off the end",
                )
            )
        elif hashes.get(seq) != digest:
            breaks.append(Break(seq, f"row {seq} differs from what run {run_id} recorded"))
    return len(rows), breaks
