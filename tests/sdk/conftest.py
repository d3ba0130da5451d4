"""A real `runlens serve` in this process writing to a project of this module's own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from runlens.serve import Endpoints
from tests.conftest import running_server


@pytest.fixture(scope="module")
def demo_project() -> str:
    return f"demo-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def demo_server(chdb_dsn: str, demo_project: str) -> Iterator[Endpoints]:
    with running_server(chdb_dsn, project=demo_project) as endpoints:
        yield endpoints
