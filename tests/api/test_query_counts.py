"""DataLoaders: a page of runs with agents, totals and events costs a fixed number of reads,
whatever the page size (measured by counting the reader's calls, one query each except
`run_timelines`, which runs two)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from runlens.api.app import build_api_app
from runlens.auth.authenticator import Authenticator
from runlens.storage.clickhouse.store import ClickHouseStore
from tests.api.conftest import GraphQL
from tests.api.workload import Recorder, assistant, chat, tool, tool_request, user

PAGE = """query ($agent: String, $first: Int) {
  runs(filter: {agentId: $agent}, first: $first) {
    totalCount
    edges { node {
      id costUsd tokens { total } agent { id name runCount } error { type }
      events(first: 50) { totalCount edges { node { id ... on LlmCall {
        toolCalls { execution { id } } context { edges { node { isNew } } } } } } }
    } }
  }
}"""


class CountingReader:
    """The store, with every read counted by method name."""

    def __init__(self, inner: ClickHouseStore) -> None:
        self._inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return method(*args, **kwargs)

        return counted if callable(method) else method


@pytest.fixture
def app_for(store: ClickHouseStore, project: str) -> Callable[[], tuple[FastAPI, Counter[str]]]:
    """A fresh in-process API app over a counting reader (same store, same project)."""

    def make() -> tuple[FastAPI, Counter[str]]:
        reader = CountingReader(store)
        app = build_api_app(reader, auth=Authenticator.disabled(project))  # type: ignore[arg-type]
        return app, reader.calls

    return make


def post(app: FastAPI, payload: dict[str, Any]) -> dict[str, Any]:
    async def send() -> dict[str, Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            response = await client.post("/graphql", json=payload)
        body: dict[str, Any] = response.json()
        return body

    return asyncio.run(send())


def test_fixed_number_of_reads_per_page(
    gql: GraphQL,
    recorder: Recorder,
    agent: str,
    app_for: Callable[[], tuple[FastAPI, Counter[str]]],
) -> None:
    for _ in range(6):
        root = recorder.root(agent)
        request = tool_request("c1", "lookup", {"k": 1})
        recorder.child(root, "chat gpt-4o-mini", chat([user("q")], request, finish="tool_call"))
        recorder.child(root, "execute_tool lookup", tool("lookup", "c1", {"k": 1}, 2))
        recorder.child(root, "chat gpt-4o-mini", chat([user("q"), request], assistant("2")))
        recorder.end(root)
    recorder.send()

    measured = {}
    for first in (2, 6):
        app, calls = app_for()
        body = post(app, {"query": PAGE, "variables": {"agent": agent, "first": first}})
        assert "errors" not in body, body
        edges = body["data"]["runs"]["edges"]
        assert len(edges) == first
        assert all(e["node"]["events"]["totalCount"] == 4 for e in edges)
        assert all(e["node"]["agent"]["runCount"] == 6 for e in edges)
        measured[first] = dict(calls)
    # runs_page + count_runs + run_timelines (spans + logs: 2 queries) + agent_stats
    assert measured[2] == measured[6] == {
        "runs_page": 1, "count_runs": 1, "run_timelines": 1, "agent_stats": 1,
    }  # fmt: skip
