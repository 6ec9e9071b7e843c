"""The DuckDB warehouse: connection, numbered migrations, transactions.

`$ALVH_HOME/alvh.duckdb` is one file. Migrations in `sql/migrations/NNNN_name.sql` are applied
in order, each in its own transaction, and recorded in `schema_migrations` with a checksum, so
applying them again does nothing and an edited migration is caught.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from alvh.core.errors import EnvironmentProblem
from alvh.core.resources import sql_dir

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        VARCHAR NOT NULL,
    checksum    VARCHAR NOT NULL,
    applied_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
)
"""


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file; a lock held by another process is an environment problem."""
    if read_only and not path.exists():
        raise EnvironmentProblem(f"no warehouse at {path}: run 'alvh init' first")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise EnvironmentProblem(
                f"the warehouse {path} is in use by another process; try again when it ends"
            ) from exc
        raise EnvironmentProblem(f"cannot open the warehouse {path}: {exc}") from exc


# Connections inside a `transaction` block, by id, with the first error a nested block ended
# on: an entry lives only while its outermost block runs (which holds the connection), so an id
# cannot be reused by another connection meanwhile.
_OPEN_TRANSACTIONS: dict[int, BaseException | None] = {}


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: commit when the block ends normally, roll back on any exception.

    Re-entrant: a block opened inside another on the same connection joins it (DuckDB has no
    nested transactions), so a function that writes in its own transaction can also be one part
    of a caller's. The outermost block alone commits or rolls back; an error inside reaches it
    and undoes all. (Asking DuckDB instead — a second BEGIN fails — would abort the caller's
    transaction: any failed statement does.) A nested block that failed dooms the whole
    transaction even when the caller catches its error: its part cannot be undone alone, so the
    outermost block rolls back and raises rather than commit half of it (or, after a failed
    statement, let DuckDB's COMMIT discard everything without a word).
    """
    key = id(con)
    if key in _OPEN_TRANSACTIONS:
        try:
            yield con
        except BaseException as exc:
            if _OPEN_TRANSACTIONS[key] is None:
                _OPEN_TRANSACTIONS[key] = exc
            raise
        return
    con.execute("BEGIN TRANSACTION")
    _OPEN_TRANSACTIONS[key] = None
    try:
        yield con
        failed = _OPEN_TRANSACTIONS[key]
        if failed is not None:
            raise RuntimeError(
                "a nested transaction block failed and its error was caught; the enclosing "
                f"transaction is rolled back, not committed in part ({failed!r})"
            ) from failed
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")
    finally:
        del _OPEN_TRANSACTIONS[key]


def migration_files(directory: Path | None = None) -> list[tuple[int, str, Path]]:
    """(version, name, path) of every migration file, in version order."""
    directory = directory or sql_dir() / "migrations"
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file name {path.name} is not NNNN_name.sql")
        found.append((int(match.group(1)), match.group(2), path))
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"two migrations share a number in {directory}")
    return found


def migrate(con: duckdb.DuckDBPyConnection, directory: Path | None = None) -> list[str]:
    """Apply the migrations not yet recorded; returns the names applied (empty when current)."""
    con.execute(_LEDGER)
    recorded = dict(con.execute("SELECT version, checksum FROM schema_migrations").fetchall())
    applied = []
    for version, name, path in migration_files(directory):
        text = path.read_text(encoding="utf-8")
        checksum = hashlib.sha256(text.encode()).hexdigest()
        if version in recorded:
            if recorded[version] != checksum:
                raise EnvironmentProblem(
                    f"migration {path.name} changed after it was applied to this warehouse; "
                    "add a new migration instead of editing an applied one"
                )
            continue
        with transaction(con):
            con.execute(text)
            con.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)",
                [version, name, checksum],
            )
        applied.append(f"{version:04d}_{name}")
    return applied


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """Connect and bring the schema up to date: what every writing command starts with."""
    con = connect(path)
    migrate(con)
    return con
