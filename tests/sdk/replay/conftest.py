"""A real `runlens serve` with a project of this package's own, and a fake OpenAI server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from runlens.serve import Endpoints
from tests.conftest import running_server
from tests.sdk.replay.fake_openai import FakeOpenAI, fake_openai


@pytest.fixture(scope="package")
def server(chdb_dsn: str) -> Iterator[Endpoints]:
    with running_server(chdb_dsn, project=f"replay-{uuid.uuid4().hex[:12]}") as endpoints:
        yield endpoints


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAI]:
    with fake_openai() as state:
        yield state
