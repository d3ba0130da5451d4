"""The backends the storage conformance suite runs against, one parameter each:

- `memory`: a fresh `MemoryStore` per test;
- `chdb`: embedded ClickHouse (the session's store when it is embedded, which on a cluster node
  (tests/storage/test_cluster.py) reads and writes through the Distributed tables);
- `server`: a ClickHouse server, when `RUNLENS_TEST_CLICKHOUSE_URL` is an http(s) URL.

ClickHouse backends are shared by the session: tests keep apart by their own `project_id`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from runlens.storage.clickhouse.store import ClickHouseStore
from runlens.storage.contract import Store
from runlens.storage.memory import MemoryStore
from tests.conftest import SERVER_URL_ENV

BACKENDS = ("memory", "chdb", "server")


@pytest.fixture(scope="session")
def embedded_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouseStore]:
    """Embedded ClickHouse of its own, when the session's store is a server."""
    opened = ClickHouseStore.open(f"chdb://{tmp_path_factory.mktemp('conformance') / 'data'}")
    yield opened
    opened.close()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, store: ClickHouseStore, chdb_dsn: str) -> Iterator[Store]:
    """The backend under test (over the session's `store` of tests/conftest.py)."""
    if request.param == "memory":
        memory = MemoryStore()
        yield memory
        memory.close()
    elif request.param == "chdb":
        yield store if chdb_dsn.startswith("chdb://") else request.getfixturevalue("embedded_store")
    else:
        url = os.environ.get(SERVER_URL_ENV, "").strip()
        if not url.startswith(("http://", "https://")):
            pytest.skip(f"no ClickHouse server: set {SERVER_URL_ENV}=http://user:pass@host:8123")
        yield store
