"""A real `runlens serve` in this process, on free ports, writing to a project of this module's
own, and a SQL client on the same embedded store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client

from runlens.serve import Endpoints, Server
from runlens.settings import Settings


@pytest.fixture(scope="module")
def demo_project() -> str:
    return f"demo-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def demo_server(chdb_dsn: str, demo_project: str) -> Iterator[Endpoints]:
    settings = Settings(
        clickhouse_url=chdb_dsn,
        grpc_port=0,
        otlp_http_port=0,
        port=0,
        project=demo_project,
        sweep_interval_s=3600,
    )
    running = Server(settings)
    endpoints = running.start()
    yield endpoints
    running.stop()


@pytest.fixture(scope="module")
def sql(chdb_dsn: str) -> Client:
    return clickhouse_connect.get_client(dsn=chdb_dsn)
