"""Live runs end to end: an agent using the OpenTelemetry SDK with `StartMarkerSpanProcessor`
exports to a real server; a WebSocket client follows the run while it is still in progress."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from opentelemetry.trace import Span

from runlens.bus import LiveBus
from runlens.serve import Endpoints
from tests.eventually import eventually
from tests.live.conftest import Agent, run_id, span_id
from tests.live.graphql_ws import LegacyWs, TransportWs

RUN_EVENTS = """subscription ($runId: ID!, $after: Long) {
  runEvents(runId: $runId, afterSequence: $after) {
    type sequence
    event { spanId name status }
    chunk { stream text seq }
    tokens { input output total }
    costUsd
  }
}"""

RUN_UPDATES = """subscription ($agent: String!) {
  runUpdates(filter: {agentId: $agent}) { type run { id status } }
}"""

Message = dict[str, Any]


async def collect(
    client: TransportWs, id: str, field: str, into: list[Message], until: Callable[[Message], bool]
) -> Message:
    """Receive into `into` until a message passes `until`; return it."""
    while True:
        data = await client.next(id)
        assert data is not None, f"the stream completed before the expected message: {into}"
        message: Message = data[field]
        into.append(message)
        if until(message):
            return message


async def drain(client: TransportWs, id: str, field: str, into: list[Message]) -> None:
    """Receive into `into` until the stream completes."""
    while (data := await client.next(id)) is not None:
        into.append(data[field])


def about(span: Span, type: str, status: str) -> Callable[[Message], bool]:
    def check(message: Message) -> bool:
        event = message["event"]
        return (
            message["type"] == type
            and event is not None
            and event["spanId"] == span_id(span)
            and event["status"] == status
        )

    return check


def events_of(messages: list[Message]) -> list[tuple[str, int, str]]:
    """(span id, sequence, status) of every event message."""
    return [
        (m["event"]["spanId"], int(m["sequence"]), m["event"]["status"])
        for m in messages
        if m["type"] in ("EVENT_CREATED", "EVENT_UPDATED")
    ]


def test_a_run_in_progress_streams_its_events_in_order(server: Endpoints) -> None:
    asyncio.run(_in_progress(server))


async def _in_progress(server: Endpoints) -> None:
    agent = Agent(server)
    root = agent.root()
    client = await TransportWs.open(server.api_url)
    got: list[Message] = []
    try:
        await client.subscribe("1", RUN_EVENTS, runId=run_id(root))
        await collect(client, "1", "runEvents", got, about(root, "EVENT_CREATED", "RUNNING"))
        tool = agent.tool(root, "search")
        await collect(client, "1", "runEvents", got, about(tool, "EVENT_CREATED", "RUNNING"))
        tool.end()
        await collect(client, "1", "runEvents", got, about(tool, "EVENT_UPDATED", "FINISHED"))
        root.end()
        await drain(client, "1", "runEvents", got)  # the run ended: the stream completes
    finally:
        await client.close()
        agent.close()
    sequences = [int(m["sequence"]) for m in got]
    assert sequences == sorted(sequences)
    assert events_of(got)[-1][::2] == (span_id(root), "FINISHED")
    assert got[-1]["type"] == "TOTALS"
    assert got[-1]["tokens"] == {"input": 0, "output": 0, "total": 0}


RUN_EVENT_BATCHES = """subscription ($runId: ID!, $after: Long) {
  runEventBatches(runId: $runId, afterSequence: $after) {
    sequence
    updates { type sequence event { spanId name status } tokens { total } }
  }
}"""


def test_batches_carry_what_run_events_sends_one_by_one(server: Endpoints) -> None:
    asyncio.run(_batches(server))


async def _batches(server: Endpoints) -> None:
    agent = Agent(server)
    root = agent.root()
    one_by_one = await TransportWs.open(server.api_url)
    batched = await TransportWs.open(server.api_url)
    single: list[Message] = []
    batches: list[Message] = []
    try:
        await one_by_one.subscribe("1", RUN_EVENTS, runId=run_id(root))
        await batched.subscribe("2", RUN_EVENT_BATCHES, runId=run_id(root))
        await collect(one_by_one, "1", "runEvents", single, about(root, "EVENT_CREATED", "RUNNING"))
        tools = [agent.tool(root, f"t{n}") for n in range(3)]
        last = about(tools[-1], "EVENT_CREATED", "RUNNING")
        await collect(one_by_one, "1", "runEvents", single, last)
        for tool in tools:
            tool.end()
        root.end()
        await drain(one_by_one, "1", "runEvents", single)
        await drain(batched, "2", "runEventBatches", batches)
    finally:
        await one_by_one.close()
        await batched.close()
        agent.close()
    assert all(b["updates"] and b["sequence"] == b["updates"][-1]["sequence"] for b in batches)
    flattened = [update for b in batches for update in b["updates"]]
    assert events_of(flattened) == events_of(single)
    assert len(events_of(single)) == 8  # root and three tools, each created and ended
    assert flattened[-1]["type"] == single[-1]["type"] == "TOTALS"
    assert len(batches) < len(flattened)


def test_resuming_after_a_sequence_loses_nothing_and_repeats_nothing(server: Endpoints) -> None:
    asyncio.run(_resume(server))


async def _resume(server: Endpoints) -> None:
    agent = Agent(server)
    root = agent.root()
    first: list[Message] = []
    client = await TransportWs.open(server.api_url)
    try:
        await client.subscribe("1", RUN_EVENTS, runId=run_id(root))
        tool_a = agent.tool(root, "a")
        await collect(client, "1", "runEvents", first, about(tool_a, "EVENT_CREATED", "RUNNING"))
        tool_a.end()
        await collect(client, "1", "runEvents", first, about(tool_a, "EVENT_UPDATED", "FINISHED"))
    finally:
        await client.close()  # the client goes away while the run goes on
    last = max(int(m["sequence"]) for m in first)

    tool_b = agent.tool(root, "b")
    tool_b.end()
    tool_c = agent.tool(root, "c")
    assert await asyncio.to_thread(agent.provider.force_flush, 30_000)  # stored when acked

    second: list[Message] = []
    client = await TransportWs.open(server.api_url)
    try:
        await client.subscribe("2", RUN_EVENTS, runId=run_id(root), after=last)
        await collect(client, "2", "runEvents", second, about(tool_c, "EVENT_CREATED", "RUNNING"))
        tool_c.end()
        root.end()
        await drain(client, "2", "runEvents", second)
    finally:
        await client.close()

    everything: list[Message] = []  # the whole run from storage, now that it ended
    client = await TransportWs.open(server.api_url)
    try:
        await client.subscribe("3", RUN_EVENTS, runId=run_id(root), after=0)
        await drain(client, "3", "runEvents", everything)
    finally:
        await client.close()
        agent.close()

    seen = events_of(first) + events_of(second)
    assert all(seq > last for _, seq, _ in events_of(second))
    assert len({(span, seq) for span, seq, _ in seen}) == len(seen)  # nothing twice
    assert set(events_of(everything)) <= set(seen)  # nothing lost
    spans = [span_id(s) for s in (root, tool_a, tool_b, tool_c)]
    assert sorted(span for span, _, _ in events_of(everything)) == sorted(spans)
    final = {span: status for span, _, status in seen}
    assert final == dict.fromkeys(spans, "FINISHED")


def test_run_updates_announce_a_run_then_its_completion(server: Endpoints) -> None:
    asyncio.run(_run_updates(server))


async def _run_updates(server: Endpoints) -> None:
    agent = Agent(server, name=f"agent_{uuid.uuid4().hex[:8]}")
    client = await TransportWs.open(server.api_url)
    got: list[Message] = []
    try:
        await client.subscribe("1", RUN_UPDATES, agent=agent.name)
        root = agent.root()
        created = await collect(client, "1", "runUpdates", got, lambda m: True)
        assert created == {"type": "CREATED", "run": {"id": run_id(root), "status": "RUNNING"}}
        root.end()
        await collect(client, "1", "runUpdates", got, lambda m: m["type"] != "UPDATED")
    finally:
        await client.close()
        agent.close()
    assert got[-1] == {"type": "COMPLETED", "run": {"id": run_id(root), "status": "COMPLETED"}}
    assert all(m["run"]["id"] == run_id(root) for m in got)


def test_the_legacy_protocol_starts_and_stops_a_subscription(
    server: Endpoints, bus: LiveBus
) -> None:
    asyncio.run(_legacy(server, bus))


async def _legacy(server: Endpoints, bus: LiveBus) -> None:
    agent = Agent(server)
    root = agent.root()
    client = await LegacyWs.open(server.api_url)
    try:
        await client.subscribe("1", RUN_EVENTS, runId=run_id(root))
        await collect(client, "1", "runEvents", [], about(root, "EVENT_CREATED", "RUNNING"))
        assert bus.subscriber_count >= 1
        await client.stop("1")
        await asyncio.to_thread(eventually, _no_subscribers(bus))
    finally:
        await client.close()
        root.end()
        agent.close()


def test_subscribers_are_removed_when_the_client_disconnects(
    server: Endpoints, bus: LiveBus
) -> None:
    asyncio.run(_disconnect(server, bus))


async def _disconnect(server: Endpoints, bus: LiveBus) -> None:
    await asyncio.to_thread(eventually, _no_subscribers(bus))  # earlier tests' are gone
    agent = Agent(server)
    root = agent.root()
    clients = [await TransportWs.open(server.api_url) for _ in range(3)]
    try:
        for client in clients:
            await client.subscribe("1", RUN_EVENTS, runId=run_id(root))
        for client in clients:
            await collect(client, "1", "runEvents", [], about(root, "EVENT_CREATED", "RUNNING"))
        assert bus.subscriber_count == 3
    finally:
        for client in clients:
            await client.close()
        root.end()
        agent.close()
    await asyncio.to_thread(eventually, _no_subscribers(bus))


def _no_subscribers(bus: LiveBus) -> Callable[[], None]:
    def check() -> None:
        assert bus.subscriber_count == 0

    return check
