from __future__ import annotations

from collections.abc import Iterator

import pytest
from clickhouse_connect.driver.client import Client

from runlens.storage.clickhouse.store import client_factory


@pytest.fixture(scope="module")
def sql(chdb_dsn: str) -> Iterator[Client]:
    """A plain SQL client on the session's database, for looking under the store."""
    client = client_factory(chdb_dsn)()
    yield client
    client.close()
