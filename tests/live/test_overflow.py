"""A client that falls behind the bus queue gets OVERFLOW and resumes from storage."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from runlens.bus import LiveBus
from runlens.serve import Endpoints
from tests.conftest import running_server
from tests.eventually import eventually
from tests.live.conftest import run_id
from tests.live.graphql_ws import TransportWs
from tests.live.test_subscriptions import RUN_EVENTS, Message, drain

BOUND = 8
CHILDREN = 30


@pytest.fixture(scope="module")
def small_bus() -> LiveBus:
    return LiveBus(max_queued=BOUND)


@pytest.fixture(scope="module")
def small_server(chdb_dsn: str, small_bus: LiveBus) -> Iterator[Endpoints]:
    project = f"live-{uuid.uuid4().hex[:12]}"
    with running_server(chdb_dsn, small_bus, project=project) as endpoints:
        yield endpoints


def test_a_burst_beyond_the_queue_bound_overflows_and_resumes(
    small_server: Endpoints, small_bus: LiveBus
) -> None:
    asyncio.run(_overflow(small_server, small_bus))


async def _overflow(server: Endpoints, bus: LiveBus) -> None:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("live-tests")
    root = tracer.start_span("invoke_agent burst", attributes={"gen_ai.agent.name": "burst"})
    for n in range(CHILDREN):
        with tracer.start_as_current_span(f"step {n}", context=trace.set_span_in_context(root)):
            pass
    exporter = OTLPSpanExporter(endpoint=f"127.0.0.1:{server.grpc_port}", insecure=True)

    client = await TransportWs.open(server.api_url)
    first: list[Message] = []
    try:
        await client.subscribe("1", RUN_EVENTS, runId=run_id(root))
        await asyncio.to_thread(eventually, lambda: _subscribers(bus, 1))
        # One export, one write: CHILDREN events at once for a queue of BOUND.
        result = await asyncio.to_thread(exporter.export, memory.get_finished_spans())
        assert result is SpanExportResult.SUCCESS
        await drain(client, "1", "runEvents", first)
    finally:
        await client.close()
    assert [m["type"] for m in first] == ["OVERFLOW"]
    assert bus.peak_queued <= BOUND
    await asyncio.to_thread(eventually, lambda: _subscribers(bus, 0))

    resumed: list[Message] = []
    client = await TransportWs.open(server.api_url)
    try:
        await client.subscribe("2", RUN_EVENTS, runId=run_id(root), after=first[0]["sequence"])
        while len(resumed) < CHILDREN:
            data = await client.next("2")
            assert data is not None
            resumed.append(data["runEvents"])
    finally:
        await client.close()
        exporter.shutdown()
        provider.shutdown()
    assert [m["type"] for m in resumed] == ["EVENT_CREATED"] * CHILDREN
    assert sorted(m["event"]["name"] for m in resumed) == sorted(
        f"step {n}" for n in range(CHILDREN)
    )


def _subscribers(bus: LiveBus, count: int) -> None:
    assert bus.subscriber_count == count
