"""Shared pytest fixtures."""

from __future__ import annotations

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
