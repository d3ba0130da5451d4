"""A real `runlens serve` (receivers, pipeline, API) in this process, on free ports, over the
session's embedded ClickHouse, and a SQL client on the same store."""

from __future__ import annotations

from collections.abc import Iterator

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client

from runlens.serve import Endpoints, Server
from runlens.settings import Settings


@pytest.fixture(scope="module")
def server(chdb_dsn: str) -> Iterator[Endpoints]:
    settings = Settings(
        clickhouse_url=chdb_dsn,
        grpc_port=0,
        otlp_http_port=0,
        port=0,
        max_request_bytes=4 * 1024 * 1024,
        max_attribute_bytes=4096,
        sweep_interval_s=3600,
    )
    running = Server(settings)
    endpoints = running.start()
    yield endpoints
    running.stop()


@pytest.fixture(scope="module")
def sql(chdb_dsn: str) -> Client:
    return clickhouse_connect.get_client(dsn=chdb_dsn)
