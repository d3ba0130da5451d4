"""`runlens serve --role`: a collector process and an API process that share only the store.
An agent exports its spans to the collector and takes its commands from the API; the API
reads what the collector stored, controls the run, and streams it live."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from runlens.serve import Endpoints
from tests.api.conftest import GraphQL
from tests.collector.agent import provider, weather_run
from tests.conftest import running_server
from tests.control.conftest import Background, example
from tests.eventually import eventually
from tests.live.graphql_ws import TransportWs

RUN = "query($id: ID!) { run(id: $id) { status statusReason spanCount } }"
TERMINATE = """mutation($id: ID!) { terminateRun(id: $id, reason: "enough") { state } }"""


@pytest.fixture(scope="module")
def collector(chdb_dsn: str) -> Iterator[Endpoints]:
    with running_server(chdb_dsn, role="collector") as endpoints:
        yield endpoints


@pytest.fixture(scope="module")
def api(chdb_dsn: str) -> Iterator[Endpoints]:
    with running_server(chdb_dsn, role="api") as endpoints:
        yield endpoints


def test_each_role_serves_only_its_part(collector: Endpoints, api: Endpoints) -> None:
    assert (api.grpc_port, api.otlp_http_port) == (None, None)
    with pytest.raises(RuntimeError, match="receives no OTLP"):
        _ = api.otlp_grpc_url
    assert (
        httpx.post(f"{collector.api_url}/graphql", json={"query": "{ agents { id } }"}).status_code
        == 404
    )
    for endpoints in (collector, api):
        assert httpx.get(f"{endpoints.api_url}/healthz").json()["status"] == "ok"
        assert httpx.get(f"{endpoints.api_url}/metrics").status_code == 200
    behind = "runlens_live_published_behind_seconds"
    assert behind in httpx.get(f"{api.api_url}/metrics").text
    assert behind not in httpx.get(f"{collector.api_url}/metrics").text


def test_the_api_reads_what_the_collector_stored(collector: Endpoints, api: Endpoints) -> None:
    tracer_provider = provider(SimpleSpanProcessor(OTLPSpanExporter(collector.otlp_grpc_url)))
    run_id = weather_run(tracer_provider)
    tracer_provider.shutdown()
    gql = GraphQL(api.api_url)

    def completed() -> None:
        run = gql(RUN, id=run_id)["run"]
        assert run == {"status": "COMPLETED", "statusReason": None, "spanCount": 4}, run

    eventually(completed)
    metrics = httpx.get(f"{collector.api_url}/metrics").text
    assert "runlens_ingest_spans_total 4.0" in metrics


def test_the_api_controls_a_run_the_collector_ingests(collector: Endpoints, api: Endpoints) -> None:
    agent = example.ControlledAgent(
        api.api_url,
        f"127.0.0.1:{collector.grpc_port}",
        name=f"agent_{uuid.uuid4().hex[:8]}",
        step_delay_s=0.1,
    )
    gql = GraphQL(api.api_url)
    try:
        running = Background(agent, "count the tickets", steps=500)
        eventually(lambda: gql(RUN, id=running.run_id)["run"] or None)
        assert gql(TERMINATE, id=running.run_id)["terminateRun"]["state"] == "REQUESTED"
        result = running.join()
        assert result.terminated == "enough"

        def terminated() -> None:
            run = gql(RUN, id=running.run_id)["run"]
            assert (run["status"], run["statusReason"]) == ("TERMINATED", "enough"), run

        eventually(terminated)
    finally:
        agent.close()


def test_a_command_applied_through_the_api_updates_the_run_at_once(
    collector: Endpoints, api: Endpoints
) -> None:
    """No span follows the acknowledgement, so no collector refreshes the run: the API process
    refreshes its summary itself."""
    tracer_provider = provider(SimpleSpanProcessor(OTLPSpanExporter(collector.otlp_grpc_url)))
    tracer = tracer_provider.get_tracer("roles")
    root = tracer.start_span("invoke_agent", attributes={"gen_ai.operation.name": "invoke_agent"})
    with trace.use_span(root):
        tracer.start_span("chat").end()  # exported now; the root stays open: the run runs
    run_id = f"{root.get_span_context().trace_id:032x}"
    gql = GraphQL(api.api_url)
    eventually(lambda: _equal(gql(RUN, id=run_id)["run"]["status"], "RUNNING"))

    assert gql(TERMINATE, id=run_id)["terminateRun"]["state"] == "REQUESTED"
    [command] = httpx.get(f"{api.api_url}/control/runs/{run_id}/commands").json()["commands"]
    ack = {"state": "applied", "detail": "stopped"}
    answer = httpx.post(f"{api.api_url}/control/commands/{command['id']}/ack", json=ack)
    assert answer.status_code == 200, answer.text
    assert gql(RUN, id=run_id)["run"]["status"] == "TERMINATED"
    tracer_provider.shutdown()


def _equal(actual: object, expected: object) -> None:
    assert actual == expected


def test_an_api_process_streams_what_a_collector_stores(
    collector: Endpoints, api: Endpoints
) -> None:
    """Live updates on a process that ingests nothing: its store follower publishes what the
    collector stored (tests/test_topology.py follows two collectors from two API processes)."""
    asyncio.run(_streamed(collector, api))


async def _streamed(collector: Endpoints, api: Endpoints) -> None:
    client = await TransportWs.open(api.api_url)
    try:
        await client.subscribe("1", "subscription { runUpdates { type run { id } } }")
        tracer_provider = provider(SimpleSpanProcessor(OTLPSpanExporter(collector.otlp_grpc_url)))
        run_id = await asyncio.to_thread(weather_run, tracer_provider)
        tracer_provider.shutdown()
        seen: list[str] = []
        while "COMPLETED" not in seen:
            data = await client.next("1")
            assert data is not None
            if data["runUpdates"]["run"]["id"] == run_id:
                seen.append(data["runUpdates"]["type"])
    finally:
        await client.close()
