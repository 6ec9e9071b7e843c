"""Shared pytest fixtures."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pytest
from publisher_server import PublisherServer


@pytest.fixture(scope="session")
def publisher_server_session():
    """One loopback publisher server for the whole run (see tests/publisher_server.py)."""
    with PublisherServer() as server:
        yield server


@pytest.fixture
def publisher_server(publisher_server_session):
    """The loopback publisher server with no routes and no recorded requests."""
    publisher_server_session.reset()
    return publisher_server_session


@pytest.fixture(scope="session")
def snapshot_warehouse(tmp_path_factory):
    """A warehouse loaded once from the whole bundled snapshot (real data), for reading tests.

    Tests must not write to it: copy it (`warehouse_copy`) or build their own to change data.
    """
    from datetime import date

    from alvh.core.settings import Settings
    from alvh.data.ingest import ingest
    from alvh.store.warehouse import open_warehouse

    home = tmp_path_factory.mktemp("snapshot_home")
    settings = Settings(home=home)
    con = open_warehouse(settings.warehouse_path)
    report = ingest(con, settings, date(2026, 11, 25), mode="snapshot")
    con.close()
    assert report.exit_code == 0, report.reject_messages[:5]
    return settings.warehouse_path


@pytest.fixture
def snapshot_con(snapshot_warehouse):
    """A read-only connection to the shared snapshot warehouse."""
    from alvh.store.warehouse import connect

    con = connect(snapshot_warehouse, read_only=True)
    yield con
    con.close()


DAILY_FROM = "2024-01-01"
MONTHLY_FILES = ("sp500_shiller_monthly.csv", "CPIAUCSL.csv", "PPIFIS.csv", "PPIACO.csv")


def _write_slice(source: Path, target: Path, keep) -> None:
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    frame = frame[keep(frame)]
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix == ".gz":
        with gzip.open(target, "wt", newline="") as handle:
            frame.to_csv(handle, index=False)
    else:
        frame.to_csv(target, index=False)


@pytest.fixture
def mini_snapshot(tmp_path) -> Path:
    """The bundled snapshot cut to recent years (daily from 2024, monthly from 2015)."""
    from alvh.core.resources import snapshot_dir

    source, target = snapshot_dir(), tmp_path / "snapshot"
    shutil.copytree(source / "events", target / "events")
    for path in source.rglob("*.csv*"):
        relative = path.relative_to(source)
        if relative.parts[0] == "events":
            continue
        cutoff = "2015-01-01" if relative.name in MONTHLY_FILES else DAILY_FROM
        _write_slice(path, target / relative, lambda f, c=cutoff: f["date"] >= c)
    return target


@pytest.fixture
def mini_warehouse(tmp_path, mini_snapshot):
    """A writable warehouse loaded from the mini snapshot (2024 →), returning (settings, con)."""
    from datetime import date

    from alvh.core.settings import Settings
    from alvh.data.ingest import ingest
    from alvh.store.warehouse import open_warehouse

    settings = Settings(home=tmp_path / "home", snapshot_dir=mini_snapshot)
    con = open_warehouse(settings.warehouse_path)
    report = ingest(con, settings, date(2026, 11, 25), mode="snapshot")
    assert report.exit_code == 0, report.reject_messages[:5]
    yield settings, con
    con.close()


@pytest.fixture
def snapshot_copy(tmp_path, snapshot_warehouse):
    """A writable copy of the whole-history warehouse: (settings, con)."""
    from alvh.core.settings import Settings
    from alvh.store.warehouse import open_warehouse

    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(snapshot_warehouse, home / "alvh.duckdb")
    settings = Settings(home=home)
    con = open_warehouse(settings.warehouse_path)
    yield settings, con
    con.close()
