"""A client that reads a page of a running run's events (`events(first:)`) and then follows it
from that page's `changeSequence` sees every event once: what the page missed comes live."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from runlens.serve import Endpoints
from tests.eventually import eventually
from tests.live.conftest import Agent, run_id, span_id
from tests.live.graphql_ws import TransportWs
from tests.live.test_subscriptions import RUN_EVENTS, Message, drain

PAGE = """query ($id: ID!) { run(id: $id) { events(first: 50) {
  totalCount changeSequence edges { node { spanId status } } } } }"""


def read_page(server: Endpoints, run: str, count: int) -> dict[str, Any]:
    """The first page once it holds `count` events, all but the root finished."""

    def page() -> dict[str, Any]:
        body = httpx.post(
            f"{server.api_url}/graphql", json={"query": PAGE, "variables": {"id": run}}, timeout=30
        ).json()  # fmt: skip
        events: dict[str, Any] = (body["data"]["run"] or {}).get("events") or {}
        assert events.get("totalCount") == count, body
        statuses = sorted(e["node"]["status"] for e in events["edges"])
        assert statuses == ["FINISHED"] * (count - 1) + ["RUNNING"], statuses
        return events

    return eventually(page, timeout=30)


def test_a_page_then_the_changes_after_its_sequence(server: Endpoints) -> None:
    asyncio.run(_page_then_live(server))


async def _page_then_live(server: Endpoints) -> None:
    agent = Agent(server)
    root = agent.root()
    first = [agent.tool(root, f"before{n}") for n in range(3)]
    for tool in first:
        tool.end()
    run = run_id(root)
    page = await asyncio.to_thread(read_page, server, run, 4)
    assert page["changeSequence"] is not None
    later = [agent.tool(root, f"after{n}") for n in range(3)]
    for tool in later:
        tool.end()
    root.end()
    client = await TransportWs.open(server.api_url)
    got: list[Message] = []
    try:
        await client.subscribe("1", RUN_EVENTS, runId=run, after=page["changeSequence"])
        await drain(client, "1", "runEvents", got)
    finally:
        await client.close()
        agent.close()
    assert all(int(m["sequence"]) > int(page["changeSequence"]) for m in got)
    latest = {e["node"]["spanId"]: e["node"]["status"] for e in page["edges"]}
    for message in got:
        if message["event"] is not None:
            latest[message["event"]["spanId"]] = message["event"]["status"]
    spans = [root, *first, *later]
    assert latest == {span_id(s): "FINISHED" for s in spans}
    # Nothing the page held came again but the root's end (it was running then).
    again = {m["event"]["spanId"] for m in got if m["event"] is not None} & {
        e["node"]["spanId"] for e in page["edges"]
    }
    assert again == {span_id(root)}
