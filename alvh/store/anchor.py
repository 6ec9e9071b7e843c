"""The audit chain's heads, remembered outside the warehouse (issue 15).

The hash chain in `audit_log` catches an edited row, but whoever can write `alvh.duckdb` can
rewrite every row and recompute every hash. So each run appends the head it left (sequence and
hash) to a plain text file elsewhere — default `$ALVH_HOME/audit-anchors.log`, configurable
(`audit_anchor_path`) to another disk, a mount, or a file made append-only (`chattr +a`).
`alvh audit verify` then checks that the chain still holds every anchored head: a rewritten
chain differs at the first anchored row after the rewrite. One line per head:

    <seq> <sha-256 hash> <as_of> <run id> <recorded at, UTC ISO>
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from alvh.core.errors import BadInputError, EnvironmentProblem
from alvh.store import audit
from alvh.store.audit import Break

_LINE = re.compile(r"^(\d+) ([0-9a-f]{64}) (\d{4}-\d{2}-\d{2}) (\S+) (\S+)$")


@dataclass(frozen=True)
class Anchor:
    """One remembered head of the chain."""

    seq: int
    hash: str
    as_of: date
    run_id: str
    line: int


def append(path: Path, head: tuple[int, str], *, as_of: date, run_id: str) -> None:
    """Append one head to the anchor file and make it durable before returning."""
    seq, digest = head
    recorded = datetime.now(UTC).isoformat(timespec="seconds")
    text = f"{seq} {digest} {as_of.isoformat()} {run_id} {recorded}\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_APPEND: every write lands at the end, even with another writer or an append-only file
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, text.encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot append the audit head to the anchor file {path}: {exc.strerror}; the run "
            "is stored, re-run it once the anchor file is writable (audit_anchor_path)"
        ) from exc


def head_text(con: duckdb.DuckDBPyConnection) -> str:
    """The chain's head now, as the report footer and the email print it."""
    head = audit.head(con)
    return f"row {head[0]}, sha-256 {head[1]}" if head else "no audit rows yet"


def read(path: Path) -> list[Anchor]:
    """Every head in the anchor file, in file order; a malformed line is bad input (exit 3)."""
    anchors = []
    with path.open(encoding="ascii", errors="replace") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            match = _LINE.match(text.rstrip("\n"))
            if match is None:
                raise BadInputError(
                    f"{path}, line {number}: not '<seq> <hash> <as_of> <run id> <time>'; "
                    "the anchor file was edited"
                )
            seq, digest, as_of, run_id, _ = match.groups()
            anchors.append(Anchor(int(seq), digest, date.fromisoformat(as_of), run_id, number))
    return anchors


def breaks_against(con: duckdb.DuckDBPyConnection, anchors: list[Anchor]) -> list[Break]:
    """The anchored heads the chain in the warehouse no longer holds."""
    if not anchors:
        return []
    stored = dict(
        con.execute(
            "SELECT seq, hash FROM audit_log WHERE seq IN (SELECT unnest(?))",
            [sorted({a.seq for a in anchors})],
        ).fetchall()
    )
    breaks = []
    for anchor in anchors:
        found = stored.get(anchor.seq)
        if found is None:
            problem = "is missing: rows were cut off the end or deleted"
        elif found != anchor.hash:
            problem = "differs from the head anchored: the chain was rewritten"
        else:
            continue
        breaks.append(
            Break(
                anchor.seq,
                f"row {anchor.seq}, anchored by run {anchor.run_id} of {anchor.as_of} "
                f"(anchor line {anchor.line}), {problem}",
            )
        )
    return breaks
