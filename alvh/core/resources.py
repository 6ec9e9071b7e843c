"""Where the project's non-Python files live, in a source checkout and in an installed wheel.

The design card keeps `sql/` and `templates/` at the top level of the repository. A wheel carries
them as `alvh/_resources/...`; an editable install or a checkout reads them in place.
"""

from __future__ import annotations

import functools
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def _resource_dir(name: str) -> Path:
    packaged = _PACKAGE / "_resources" / name
    if packaged.is_dir():
        return packaged
    in_checkout = _PACKAGE.parent / name
    if in_checkout.is_dir():
        return in_checkout
    raise FileNotFoundError(f"cannot find the '{name}' directory next to {_PACKAGE}")


def sql_dir() -> Path:
    return _resource_dir("sql")


def templates_dir() -> Path:
    return _resource_dir("templates")


def snapshot_dir() -> Path:
    """The bundled offline snapshot of public data (see its PROVENANCE.md)."""
    return bundled_dir() / "snapshot"


def bundled_dir() -> Path:
    """The data shipped inside the package: the snapshot, the sample book, the events catalogue."""
    return _PACKAGE / "data" / "bundled"


def read_sql(relative: str) -> str:
    """Text of one SQL file under `sql/`, e.g. `queries/series_status.sql`."""
    return (sql_dir() / relative).read_text(encoding="utf-8")


def read_sql_statements(relative: str) -> dict[str, str]:
    """Named statements of one SQL file, each introduced by a `-- @statement NAME` line.

    A fresh dict each call (callers may adapt it); the file is read and parsed once per
    process — marking a book alone asks for the same files several times.
    """
    return dict(_parsed_statements(relative))


@functools.cache
def _parsed_statements(relative: str) -> tuple[tuple[str, str], ...]:
    statements: dict[str, str] = {}
    name = None
    lines: list[str] = []
    for line in read_sql(relative).splitlines():
        if line.startswith("-- @statement "):
            if name is not None:
                statements[name] = "\n".join(lines).strip()
            name, lines = line.removeprefix("-- @statement ").strip(), []
        elif name is not None:
            lines.append(line)
    if name is not None:
        statements[name] = "\n".join(lines).strip()
    return tuple(statements.items())
