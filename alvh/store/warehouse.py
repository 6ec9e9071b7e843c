"""The DuckDB warehouse: connection, numbered migrations, transactions.

`$ALVH_HOME/alvh.duckdb` is one file. Migrations in `sql/migrations/NNNN_name.sql` are applied
in order, each in its own transaction, and recorded in `schema_migrations` with a checksum, so
applying them again does nothing and an edited migration is caught.
"""

from __future__ import annotations

import errno
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


# What a user can do about a damaged file; the warehouse is one file, so the advice is the same.
_DAMAGED_ADVICE = (
    "restore it from a backup, or move it aside and run 'alvh init' for a new one "
    "(then import the book again)"
)
# DuckDB's words for a file that is not, or no longer, a database it can read.
_DAMAGE_MARKERS = (
    "not a valid duckdb database",
    "corrupt",
    "checksum",
    "could not read enough bytes",
    "database file is truncated",
    "invalid database header",
    "unsupported version",
    "serialization",
)
# OS errors that mean the disk, not the data or the code: full, over quota, read-only, refused.
_DISK_ERRNOS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EFBIG: "the file may not grow any larger (file-size limit)",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EIO: "an I/O error on the device",
}
_DISK_WORDS = {
    "no space left on device": errno.ENOSPC,
    "disk quota exceeded": errno.EDQUOT,
    "file too large": errno.EFBIG,
    "read-only file system": errno.EROFS,
    "permission denied": errno.EACCES,
}


def _prepare_home(path: Path) -> None:
    """The warehouse's directory (`ALVH_HOME`) exists and is a directory, or we say why not."""
    home = path.parent
    if home.exists() and not home.is_dir():
        raise EnvironmentProblem(
            f"ALVH_HOME {home} is a file, not a directory: set ALVH_HOME to a directory"
        )
    try:
        home.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise EnvironmentProblem(
            f"ALVH_HOME {home} cannot be created: {exc.filename} is a file, not a directory; "
            "set ALVH_HOME to a directory"
        ) from None
    except OSError as exc:
        raise EnvironmentProblem(
            f"ALVH_HOME {home} cannot be created ({exc.strerror}): create it, or set ALVH_HOME "
            "to a writable directory"
        ) from None


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file; a lock held by another process, a damaged or foreign file, a
    missing or unwritable `ALVH_HOME` are environment problems (exit 4) saying what to do."""
    if read_only and not path.exists():
        raise EnvironmentProblem(f"no warehouse at {path}: run 'alvh init' first")
    if not read_only:
        _prepare_home(path)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
            raise EnvironmentProblem(
                f"the warehouse {path} is in use by another process; try again when it ends"
            ) from exc
        raise warehouse_problem(exc, path) from exc
    if read_only:
        try:
            check_schema(con, path)
        except BaseException:
            con.close()
            raise
    return con


def check_schema(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse a DuckDB file that is not an ALVH Risk warehouse (tables, but no migration
    ledger) or that a newer version of ALVH Risk wrote (exit 4)."""
    try:
        tables = {
            name
            for (name,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
            ).fetchall()
        }
        if "schema_migrations" not in tables:
            if tables:
                raise EnvironmentProblem(
                    f"{path} is a DuckDB database but not an ALVH Risk warehouse (no "
                    f"schema_migrations; it holds {', '.join(sorted(tables)[:5])}): set ALVH_HOME "
                    "to the directory of your warehouse, or move this file aside and run "
                    "'alvh init'"
                )
            return
        recorded = dict(con.execute("SELECT version, checksum FROM schema_migrations").fetchall())
    except duckdb.Error as exc:
        raise warehouse_problem(exc, path) from exc
    refuse_newer_schema(recorded, migration_files(), path)


def warehouse_problem(exc: BaseException, path: Path) -> EnvironmentProblem:
    """What a DuckDB or OS failure on the warehouse file means, in one line, with what to do."""
    text = " ".join(str(exc).split())
    lowered = text.lower()
    code = getattr(exc, "errno", None)
    if code not in _DISK_ERRNOS:
        code = next((n for words, n in _DISK_WORDS.items() if words in lowered), None)
    if code is not None:
        return EnvironmentProblem(
            f"cannot write the warehouse {path}: {_DISK_ERRNOS[code]}; free space or fix the "
            "permissions of that disk (or set ALVH_HOME elsewhere) and run the command again: "
            "the interrupted change was not saved"
        )
    if any(marker in lowered for marker in _DAMAGE_MARKERS):
        return EnvironmentProblem(
            f"the warehouse {path} is damaged or not an ALVH Risk warehouse ({text[:200]}): "
            f"{_DAMAGED_ADVICE}"
        )
    return EnvironmentProblem(
        f"cannot open the warehouse {path}: {text[:300]}; check that ALVH_HOME is a writable "
        "directory on a local disk"
    )


def disk_problem(exc: OSError) -> EnvironmentProblem | None:
    """An OS error about the disk (full, read-only, refused), said in one line; else None."""
    if exc.errno not in _DISK_ERRNOS:
        return None
    where = f" writing {exc.filename}" if exc.filename else ""
    return EnvironmentProblem(
        f"{_DISK_ERRNOS[exc.errno]}{where}: free space or fix the permissions of that disk "
        "and run the command again"
    )


def is_warehouse_failure(exc: BaseException) -> bool:
    """A DuckDB error that is about the file (damaged, full disk), not about a query."""
    if not isinstance(exc, duckdb.Error):
        return False
    lowered = str(exc).lower()
    return any(m in lowered for m in _DAMAGE_MARKERS) or any(w in lowered for w in _DISK_WORDS)


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
    known = migration_files(directory)
    refuse_newer_schema(recorded, known)
    applied = []
    for version, name, path in known:
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


def refuse_newer_schema(
    recorded: dict[int, str], known: list[tuple[int, str, Path]], path: Path | None = None
) -> None:
    """A warehouse that holds a migration this code does not know was written by a newer
    version: using it could misread or damage what that version stored (exit 4)."""
    unknown = sorted(set(recorded) - {version for version, _, _ in known})
    if unknown:
        newest = max(version for version, _, _ in known) if known else 0
        which = f"the warehouse {path}" if path else "this warehouse"
        raise EnvironmentProblem(
            f"{which} was written by a newer version of ALVH Risk (migration "
            f"{', '.join(f'{v:04d}' for v in unknown)} unknown here; this version knows up to "
            f"{newest:04d}): upgrade alvh-risk, or use the version that wrote it"
        )


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """Connect and bring the schema up to date: what every writing command starts with."""
    return bring_up_to_date(connect(path), path)


def bring_up_to_date(con: duckdb.DuckDBPyConnection, path: Path) -> duckdb.DuckDBPyConnection:
    """Check that `con` is our warehouse and apply the missing migrations; closes it on error."""
    try:
        check_schema(con, path)
        migrate(con)
    except duckdb.Error as exc:
        con.close()
        if is_warehouse_failure(exc):
            raise warehouse_problem(exc, path) from exc
        raise
    except BaseException:
        con.close()
        raise
    return con
