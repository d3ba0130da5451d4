"""A real `runlens serve` (receivers, pipeline, API) in this process for the module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runlens.serve import Endpoints
from tests.conftest import running_server


@pytest.fixture(scope="module")
def server(chdb_dsn: str) -> Iterator[Endpoints]:
    with running_server(chdb_dsn, max_request_bytes=4 * 1024 * 1024, max_attribute_bytes=4096) as e:
        yield e
