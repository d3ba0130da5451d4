"""Session-wide storage fixtures shared by every test package.

chDB allows one data directory per process, so the whole pytest process shares one embedded
database (`chdb_dsn`) and one open store (`store`); tests keep apart by writing under their own
`project_id`. Set `RUNLENS_TEST_CLICKHOUSE_URL=http://user:pass@host:8123` to run the same
tests against a ClickHouse server instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client

from runlens.bus import LiveBus
from runlens.serve import Endpoints, Server
from runlens.settings import Settings
from runlens.storage.clickhouse.store import ClickHouseStore, client_factory

SERVER_URL_ENV = "RUNLENS_TEST_CLICKHOUSE_URL"


@pytest.fixture(scope="session")
def chdb_dsn(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The DSN of the session's database: embedded chDB unless a server URL is configured."""
    server = os.environ.get(SERVER_URL_ENV, "").strip()
    if server:
        return server
    path: Path = tmp_path_factory.mktemp("chdb") / "data"
    return f"chdb://{path}"


@pytest.fixture(scope="session")
def store(chdb_dsn: str) -> Iterator[ClickHouseStore]:
    opened = ClickHouseStore.open(chdb_dsn)
    yield opened
    opened.close()


@pytest.fixture
def project_id() -> str:
    """A project of this test's own, so tests never see each other's data."""
    return f"test-{uuid.uuid4().hex[:12]}"


@contextmanager
def running_server(
    chdb_dsn: str, bus: LiveBus | None = None, **settings: Any
) -> Iterator[Endpoints]:
    """A real `runlens serve` in this process on free ports, over the session's store."""
    server = Server(
        Settings(
            clickhouse_url=chdb_dsn,
            grpc_port=0,
            otlp_http_port=0,
            port=0,
            sweep_interval_s=3600,
            **settings,
        ),
        bus=bus,
    )
    endpoints = server.start()
    try:
        yield endpoints
    finally:
        server.stop()


@pytest.fixture(scope="module")
def sql(chdb_dsn: str) -> Iterator[Client]:
    """A plain SQL client on the session's database, for looking under the services."""
    client = client_factory(chdb_dsn)()
    yield client
    client.close()
