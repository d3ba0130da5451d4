"""Two projects with a key each, a revoked key, and a server that requires keys."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest

from runlens.auth.keys import issue
from runlens.serve import Endpoints
from runlens.storage.clickhouse.store import ClickHouseStore
from tests.conftest import running_server


@dataclass(frozen=True)
class Tenants:
    project_a: str
    key_a: str
    project_b: str
    key_b: str
    revoked_key_a: str


def create_key(store: ClickHouseStore, project: str, *, revoked: bool = False) -> str:
    record, text = issue(project, "test", time.time_ns() // 1000)
    store.save_key(record)
    if revoked:
        store.save_key(replace(record, revoked_at_us=time.time_ns() // 1000))
    return text


@pytest.fixture(scope="module")
def tenants(store: ClickHouseStore) -> Tenants:
    a, b = f"team-a-{uuid.uuid4().hex[:8]}", f"team-b-{uuid.uuid4().hex[:8]}"
    return Tenants(
        project_a=a,
        key_a=create_key(store, a),
        project_b=b,
        key_b=create_key(store, b),
        revoked_key_a=create_key(store, a, revoked=True),
    )


@pytest.fixture(scope="module")
def server(chdb_dsn: str, store: ClickHouseStore) -> Iterator[Endpoints]:
    with running_server(chdb_dsn, auth="required") as endpoints:
        yield endpoints
