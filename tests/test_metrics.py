"""`GET /metrics`: scraped from a real server before and after real OTLP exports, GraphQL
queries and a live subscription, the figures move as the work says they should."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from prometheus_client.parser import text_string_to_metric_families

from runlens.bus import LiveBus, LiveEvent, LiveEventType
from runlens.metrics import MAX_OPERATIONS, Metrics
from runlens.serve import Endpoints
from tests.collector.agent import provider, weather_run
from tests.conftest import running_server
from tests.eventually import eventually
from tests.live.graphql_ws import TransportWs

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(server: Endpoints) -> Samples:
    response = httpx.get(f"{server.api_url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def server(chdb_dsn: str) -> Iterator[Endpoints]:
    with running_server(chdb_dsn) as endpoints:
        yield endpoints


def _span_json(trace_id: str, start_ns: int) -> dict[str, object]:
    return {
        "traceId": trace_id,
        "spanId": uuid.uuid4().hex[:16],
        "name": "chat",
        "startTimeUnixNano": str(start_ns),
        "endTimeUnixNano": str(start_ns + 1000),
    }


def test_ingest_figures_move_with_stored_and_rejected_spans(server: Endpoints) -> None:
    before = scrape(server)
    tracer_provider = provider(SimpleSpanProcessor(OTLPSpanExporter(server.otlp_grpc_url)))
    weather_run(tracer_provider)  # four spans over gRPC
    tracer_provider.shutdown()
    # One span with a zero trace id (invalid), one that starts in 1970 (past the retention).
    body = {
        "resourceSpans": [{"scopeSpans": [{"spans": [
            _span_json("0" * 32, 1_700_000_000_000_000_000),
            _span_json(uuid.uuid4().hex, 1),
        ]}]}]
    }  # fmt: skip
    answer = httpx.post(f"{server.otlp_http_url}/v1/traces", json=body)
    assert answer.json()["partialSuccess"]["rejectedSpans"] == "2"

    def refreshed() -> Samples:
        after = scrape(server)
        lag = "runlens_summary_refresh_lag_seconds_count"
        assert value(after, lag) > value(before, lag)
        assert value(after, "runlens_summary_unrefreshed_seconds") == 0
        return after

    after = eventually(refreshed)
    moved = {
        name: value(after, name, **labels) - value(before, name, **labels)
        for name, labels in [
            ("runlens_ingest_spans_total", {}),
            ("runlens_store_write_seconds_count", {}),
            ("runlens_summary_refresh_seconds_count", {}),
        ]
    }
    assert moved["runlens_ingest_spans_total"] == 4
    rejected = {
        reason: value(after, "runlens_ingest_rejected_spans_total", reason=reason)
        - value(before, "runlens_ingest_rejected_spans_total", reason=reason)
        for reason in ("invalid", "expired", "overloaded")
    }
    assert rejected == {"invalid": 1, "expired": 1, "overloaded": 0}
    assert moved["runlens_store_write_seconds_count"] >= 1
    assert value(after, "runlens_store_write_seconds_sum") > 0
    assert moved["runlens_summary_refresh_seconds_count"] >= 1
    assert value(after, "runlens_ingest_queue_records") == 0
    assert value(after, "process_resident_memory_bytes") > 0


def test_graphql_operations_are_timed_by_name(server: Endpoints) -> None:
    before = scrape(server)
    named = "query RecentRuns { runs(first: 2) { edges { node { id } } } }"
    for _ in range(3):
        answer = httpx.post(f"{server.api_url}/graphql", json={"query": named})
        assert "errors" not in answer.json()
    httpx.post(f"{server.api_url}/graphql", json={"query": "{ agents { id } }"})
    after = scrape(server)

    def count(operation: str) -> float:
        labels = {"type": "query", "operation": operation}
        name = "runlens_graphql_operation_seconds_count"
        return value(after, name, **labels) - value(before, name, **labels)

    assert count("RecentRuns") == 3
    assert count("anonymous") == 1
    assert value(after, "runlens_graphql_operation_seconds_sum", type="query",
                 operation="RecentRuns") > 0  # fmt: skip


def test_live_subscribers_are_counted_while_subscribed(server: Endpoints) -> None:
    asyncio.run(_subscribed(server))


async def _subscribed(server: Endpoints) -> None:
    query = 'subscription { runUpdates(filter: {agentId: "nobody"}) { type } }'
    base = value(await asyncio.to_thread(scrape, server), "runlens_live_subscribers")
    client = await TransportWs.open(server.api_url)
    try:
        await client.subscribe("1", query)

        def one_more() -> None:
            assert value(scrape(server), "runlens_live_subscribers") == base + 1

        await asyncio.to_thread(eventually, one_more)
    finally:
        await client.close()

    def back() -> None:
        assert value(scrape(server), "runlens_live_subscribers") == base

    await asyncio.to_thread(eventually, back)


def test_a_subscriber_that_falls_behind_counts_as_dropped_deliveries() -> None:
    asyncio.run(_falls_behind())


async def _falls_behind() -> None:
    bus = LiveBus(max_queued=2)
    metrics = Metrics()
    metrics.watch(bus=bus)
    events = [LiveEvent(LiveEventType.SPAN, "p", "r", seq) for seq in range(1, 4)]
    async with bus.subscribe("p", "r"):
        bus.publish(events[:2])  # fits
        bus.publish(events[2:])  # one over: the subscriber is dropped
        bus.publish(events)  # it has fallen behind: none of these reach it
        samples = parse(metrics.exposition().decode())
    assert value(samples, "runlens_live_overflows_total") == 1
    assert value(samples, "runlens_live_dropped_events_total") == 4
    assert value(samples, "runlens_live_subscribers") == 1


def test_operation_names_are_bounded() -> None:
    metrics = Metrics()
    for n in range(MAX_OPERATIONS + 5):
        metrics.operation("query", f"Op{n}", 0.01)
    metrics.operation("query", "not a name!", 0.01)
    metrics.operation("query", "Op0", 0.01)
    families = list(text_string_to_metric_families(metrics.exposition().decode()))
    names = {
        sample.labels["operation"]
        for family in families
        if family.name == "runlens_graphql_operation_seconds"
        for sample in family.samples
        if sample.name.endswith("_count")
    }
    assert len(names) == MAX_OPERATIONS + 2  # + other, + anonymous
    assert {"other", "anonymous", "Op0"} <= names
