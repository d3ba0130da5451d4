"""Keys and project isolation through every entry point of a server that requires keys: OTLP
gRPC, OTLP HTTP, GraphQL over HTTP and WebSocket (both protocols), export and control. A
project never sees another's runs, and asking for one looks exactly like asking for a run that
does not exist."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import grpc
import httpx
import pytest
from google.rpc import status_pb2
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as HttpSpanExporter,
)
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from runlens.serve import Endpoints
from tests.auth.conftest import Tenants
from tests.collector.agent import provider, weather_run
from tests.eventually import eventually
from tests.live.graphql_ws import LegacyWs, TransportWs

RUN = "query($run: ID!) { run(id: $run) { id status } }"
EVENTS = "subscription($runId: ID!) { runEvents(runId: $runId) { type sequence } }"
RUNS = "{ runs(first: 100) { edges { node { id } } } }"


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def graphql(
    server: Endpoints, query: str, headers: dict[str, str], **variables: Any
) -> httpx.Response:
    return httpx.post(
        f"{server.api_url}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=30,
    )


def assert_listed(server: Endpoints, key: str, run_id: str) -> None:
    assert run_id in run_ids(server, key)


def run_ids(server: Endpoints, key: str) -> set[str]:
    body = graphql(server, RUNS, bearer(key)).json()
    return {edge["node"]["id"] for edge in body["data"]["runs"]["edges"]}


@pytest.fixture(scope="module")
def run_a(server: Endpoints, tenants: Tenants) -> str:
    """A run sent by project A over OTLP/gRPC with `x-runlens-api-key`."""
    exporter = OTLPSpanExporter(
        endpoint=f"127.0.0.1:{server.grpc_port}",
        insecure=True,
        headers={"x-runlens-api-key": tenants.key_a},
    )
    tracer_provider = provider(SimpleSpanProcessor(exporter))
    run_id = weather_run(tracer_provider)
    tracer_provider.shutdown()
    eventually(lambda: assert_listed(server, tenants.key_a, run_id))
    return run_id


@pytest.fixture(scope="module")
def run_b(server: Endpoints, tenants: Tenants) -> str:
    """A run sent by project B over OTLP/HTTP with `authorization: Bearer`."""
    exporter = HttpSpanExporter(
        endpoint=f"{server.otlp_http_url}/v1/traces", headers=bearer(tenants.key_b)
    )
    tracer_provider = provider(SimpleSpanProcessor(exporter))
    run_id = weather_run(tracer_provider)
    tracer_provider.shutdown()
    eventually(lambda: assert_listed(server, tenants.key_b, run_id))
    return run_id


def grpc_export(server: Endpoints, metadata: tuple[tuple[str, str], ...]) -> grpc.RpcError | None:
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        try:
            stub.Export(
                trace_service_pb2.ExportTraceServiceRequest(), metadata=metadata, timeout=10
            )
        except grpc.RpcError as exc:
            return exc
    return None


def test_otlp_grpc_needs_a_valid_key(server: Endpoints, tenants: Tenants) -> None:
    for metadata in (
        (),
        (("x-runlens-api-key", "not-a-key"),),
        (("authorization", f"Bearer {tenants.revoked_key_a}"),),
        (("authorization", f"Bearer {tenants.key_a[:-2]}xx"),),
    ):
        error = grpc_export(server, metadata)
        assert error is not None, metadata
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED, metadata  # type: ignore[attr-defined]
    assert grpc_export(server, (("authorization", f"Bearer {tenants.key_a}"),)) is None


def test_otlp_http_needs_a_valid_key(server: Endpoints, tenants: Tenants) -> None:
    body = trace_service_pb2.ExportTraceServiceRequest().SerializeToString()
    url = f"{server.otlp_http_url}/v1/traces"
    protobuf = {"content-type": "application/x-protobuf"}
    refused = httpx.post(url, content=body, headers=protobuf, timeout=10)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    status = status_pb2.Status.FromString(refused.content)
    assert status.code == 16 and "API key is required" in status.message
    revoked = httpx.post(
        url,
        content=b"{}",
        headers={"content-type": "application/json", **bearer(tenants.revoked_key_a)},
    )
    assert revoked.status_code == 401
    assert json.loads(revoked.content)["message"] == "invalid or revoked API key"
    accepted = httpx.post(url, content=body, headers={**protobuf, **bearer(tenants.key_b)})
    assert accepted.status_code == 200


def test_graphql_http_sees_only_the_keys_project(
    server: Endpoints, tenants: Tenants, run_a: str, run_b: str
) -> None:
    assert run_a in run_ids(server, tenants.key_a) and run_b not in run_ids(server, tenants.key_a)
    assert run_b in run_ids(server, tenants.key_b) and run_a not in run_ids(server, tenants.key_b)

    own = graphql(server, RUN, bearer(tenants.key_a), run=run_a).json()
    assert own["data"]["run"]["id"] == run_a
    other = graphql(server, RUN, bearer(tenants.key_b), run=run_a).json()
    missing = graphql(server, RUN, bearer(tenants.key_b), run="0" * 32).json()
    assert other["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert other["data"] == missing["data"]
    # Another project's run reads exactly like one that does not exist.
    assert other["errors"][0]["message"].replace(run_a, "X") == missing["errors"][0][
        "message"
    ].replace("0" * 32, "X")

    stats = "{ projectStats { runs } }"
    for key in (tenants.key_a, tenants.key_b):  # one run each, whatever the other holds
        assert graphql(server, stats, bearer(key)).json()["data"]["projectStats"]["runs"] == 1


def test_graphql_http_refuses_missing_and_revoked_keys(server: Endpoints, tenants: Tenants) -> None:
    for headers in ({}, bearer("rlk_0123456789ab_nope"), bearer(tenants.revoked_key_a)):
        response = graphql(server, RUNS, headers)
        assert response.status_code == 401, headers
        assert response.json()["error"]["code"] == "UNAUTHENTICATED"
    page = httpx.get(f"{server.api_url}/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200  # GraphiQL itself holds no data


def test_graphql_websocket_authenticates_from_the_connection_payload(
    server: Endpoints, tenants: Tenants, run_a: str
) -> None:
    async def scenario() -> None:
        for protocol in (TransportWs, LegacyWs):
            own = await protocol.open(server.api_url, payload=bearer(tenants.key_a))
            await own.subscribe("1", EVENTS, runId=run_a)
            data = await own.next("1")
            assert data is not None and data["runEvents"]["type"], data
            await own.close()

            other = await protocol.open(
                server.api_url, payload={"x-runlens-api-key": tenants.key_b}
            )
            await other.subscribe("1", EVENTS, runId=run_a)
            with pytest.raises(TimeoutError):  # nothing of project A reaches project B
                await other.receive(timeout=1.5)
            await other.close()

        other = await TransportWs.open(server.api_url, payload=bearer(tenants.key_b))
        await other.subscribe("2", RUN, run=run_a)  # a query over the WebSocket
        message = await other.receive()
        assert message["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND", message
        await other.close()

        url = server.api_url.replace("http://", "ws://") + "/graphql"
        async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": bearer("bad")}))
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        async with connect(url, subprotocols=["graphql-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert message["type"] == "connection_error"
            assert message["payload"]["code"] == "UNAUTHENTICATED"

    asyncio.run(scenario())


def test_export_is_scoped_to_the_keys_project(
    server: Endpoints, tenants: Tenants, run_a: str, run_b: str
) -> None:
    url = f"{server.api_url}/export/runs?format=jsonl"
    exported = httpx.get(url, headers=bearer(tenants.key_a), timeout=30)
    assert exported.status_code == 200
    ids = {json.loads(line)["id"] for line in exported.text.splitlines()}
    assert run_a in ids and run_b not in ids
    refused = httpx.get(url, timeout=30)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "UNAUTHENTICATED"


def test_control_is_scoped_to_the_keys_project(
    server: Endpoints, tenants: Tenants, run_a: str
) -> None:
    polled = f"{server.api_url}/control/runs/{run_a}/commands"
    assert httpx.get(polled, timeout=10).status_code == 401
    assert httpx.get(polled, headers=bearer(tenants.key_b), timeout=10).json() == {"commands": []}
    steer = 'mutation($run: ID!) { steerRun(id: $run, message: "stop", mode: QUEUE) { id } }'
    other = graphql(server, steer, bearer(tenants.key_b), run=run_a).json()
    assert other["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    ack = httpx.post(
        f"{server.api_url}/control/commands/unknown/ack",
        json={"state": "applied"},
        headers=bearer(tenants.key_b),
        timeout=10,
    )
    assert ack.status_code == 404
