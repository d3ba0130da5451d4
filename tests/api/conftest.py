"""A real `runlens serve` on free ports with a project of its own, and a GraphQL client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from runlens.serve import Endpoints
from tests.api.workload import Recorder
from tests.conftest import running_server

BUDGET_AGENT = "budget-agent"  # the project is the test run's own
AGENT_BUDGET_USD = 0.00001


class GraphQL:
    """POSTs queries to `/graphql` like any HTTP client would."""

    def __init__(self, api_url: str) -> None:
        self.url = f"{api_url}/graphql"

    def post(self, query: str, **variables: Any) -> dict[str, Any]:
        response = httpx.post(self.url, json={"query": query, "variables": variables}, timeout=30)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        body = self.post(query, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def errors(self, query: str, **variables: Any) -> list[dict[str, Any]]:
        body = self.post(query, **variables)
        assert body.get("errors"), body
        errors: list[dict[str, Any]] = body["errors"]
        return errors


@pytest.fixture(scope="package")
def project() -> str:
    """The server's project: every export without an API key lands there."""
    return f"api-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="package")
def server(chdb_dsn: str, project: str) -> Iterator[Endpoints]:
    with running_server(
        chdb_dsn,
        project=project,
        agent_budgets_usd={BUDGET_AGENT: AGENT_BUDGET_USD},
        intervention_threshold=0.3,
    ) as endpoints:
        yield endpoints


@pytest.fixture(scope="package")
def gql(server: Endpoints) -> GraphQL:
    return GraphQL(server.api_url)


@pytest.fixture
def recorder(server: Endpoints) -> Iterator[Recorder]:
    rec = Recorder(server)
    yield rec
    rec.close()


@pytest.fixture
def agent() -> str:
    """An agent name of this test's own: filters on it see only this test's runs."""
    return f"agent-{uuid.uuid4().hex[:10]}"
