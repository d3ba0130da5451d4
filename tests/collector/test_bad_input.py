"""Malformed, oversized and unsupported input gets a clear error; the server stays up."""

from __future__ import annotations

import gzip
import json

import grpc
import httpx
import pytest
from clickhouse_connect.driver.client import Client
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from runlens.serve import Endpoints

TRACE_EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
TRACE_ID = "5b8efff798038103d269b633813fc60c"


def otlp_json(*spans: dict[str, object]) -> dict[str, object]:
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "bad-input"}}]}
    return {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": list(spans)}]}]}


def span(span_id: str, trace_id: str = TRACE_ID, **extra: object) -> dict[str, object]:
    return {
        "traceId": trace_id,
        "spanId": span_id,
        "name": "chat gpt-4o-mini",
        "startTimeUnixNano": "1795383109544213106",
        "endTimeUnixNano": "1795383109559036539",
        "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}}],
        **extra,
    }


def post(server: Endpoints, body: bytes, content_type: str, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{server.otlp_http_url}/v1/traces",
        content=body,
        headers={"content-type": content_type, **headers},
        timeout=30,
    )


def grpc_export(server: Endpoints, body: bytes) -> grpc.RpcError | bytes:
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        call = channel.unary_unary(TRACE_EXPORT)
        try:
            return bytes(call(body, timeout=10))
        except grpc.RpcError as exc:
            return exc


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"\xff\x00garbage\x13\x37", "application/x-protobuf", 400),
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (json.dumps(otlp_json(span("zz" * 8))).encode(), "application/json", 400),
        (b"hello", "text/plain", 415),
    ],
    ids=["garbage-protobuf", "broken-json", "json-not-object", "non-hex-id", "text-plain"],
)
def test_malformed_http_bodies_get_4xx_with_a_message(
    server: Endpoints, body: bytes, content_type: str, status: int
) -> None:
    response = post(server, body, content_type)
    assert response.status_code == status
    if content_type == "application/x-protobuf":
        error = status_pb2.Status.FromString(response.content)
        assert "protobuf" in error.message
    else:
        assert response.json()["message"]


def test_garbage_over_grpc_is_invalid_argument(server: Endpoints) -> None:
    result = grpc_export(server, b"\xff\x00garbage\x13\x37")
    assert isinstance(result, grpc.RpcError)
    assert result.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "ExportTraceServiceRequest" in (result.details() or "")


def test_invalid_ids_are_rejected_one_by_one(server: Endpoints, sql: Client) -> None:
    body = otlp_json(span("aa" * 8), span("bb" * 8, trace_id="abcd"), span("00" * 8))
    response = post(server, json.dumps(body).encode(), "application/json")
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "2"
    assert "trace_id" in partial["errorMessage"]
    stored = sql.query(
        "SELECT span_id FROM runlens.spans FINAL WHERE trace_id = {t:String}",
        parameters={"t": TRACE_ID},
    ).result_rows
    assert ("aa" * 8,) in stored


def test_partial_success_over_grpc(server: Endpoints) -> None:
    request = ExportTraceServiceRequest()
    spans = request.resource_spans.add().scope_spans.add().spans
    good, bad = spans.add(), spans.add()
    good.trace_id, good.span_id, good.name = bytes.fromhex(TRACE_ID), bytes.fromhex("cc" * 8), "ok"
    bad.trace_id, bad.span_id, bad.name = b"\x01\x02", bytes.fromhex("dd" * 8), "short trace id"
    result = grpc_export(server, request.SerializeToString())
    assert isinstance(result, bytes)
    assert ExportTraceServiceResponse.FromString(result).partial_success.rejected_spans == 1


def test_huge_attribute_is_truncated_with_a_marker(server: Endpoints, sql: Client) -> None:
    huge = "x" * 100_000  # the test server keeps 4096 bytes per value
    body = otlp_json(
        span(
            "ee" * 8,
            attributes=[
                {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                {"key": "gen_ai.input.messages", "value": {"stringValue": huge}},
                {"key": "blob", "value": {"bytesValue": "AAECAw=="}},
            ],
        )
    )
    response = post(server, json.dumps(body).encode(), "application/json")
    assert response.status_code == 200, response.text
    row = sql.query(
        "SELECT truncated, binary, length(input) + length(toString(attributes)) "
        "FROM runlens.spans FINAL WHERE span_id = {s:String}",
        parameters={"s": "ee" * 8},
    ).result_rows[0]
    assert row[0] == 1 and row[1] == 1
    assert row[2] < 20_000


def test_oversized_bodies_are_refused(server: Endpoints) -> None:
    ten_mb = b"\x0a" * (10 * 1024 * 1024)
    assert post(server, ten_mb, "application/x-protobuf").status_code == 413
    bomb = gzip.compress(b"\x00" * (10 * 1024 * 1024))  # 10 KB that inflates to 10 MB
    assert (
        post(server, bomb, "application/x-protobuf", **{"content-encoding": "gzip"}).status_code
        == 413
    )
    result = grpc_export(server, ten_mb)
    assert isinstance(result, grpc.RpcError)
    assert result.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_bad_gzip_is_400(server: Endpoints) -> None:
    response = post(server, b"not gzip", "application/json", **{"content-encoding": "gzip"})
    assert response.status_code == 400
    assert "gzip" in response.json()["message"]


def test_server_is_healthy_after_bad_input(server: Endpoints) -> None:
    for _ in range(3):
        post(server, b"\xff\xfe", "application/x-protobuf")
        grpc_export(server, b"\xff\xfe")
    health = httpx.get(f"{server.api_url}/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"


def test_spans_older_than_the_retention_are_refused_not_dropped(
    server: Endpoints, sql: Client
) -> None:
    old = span(
        "ab" * 8, startTimeUnixNano="1577836800000000000", endTimeUnixNano="1577836801000000000"
    )
    body = otlp_json(old, span("ac" * 8))
    response = post(server, json.dumps(body).encode(), "application/json")
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert "retention" in partial["errorMessage"]
    stored = sql.query(
        "SELECT span_id FROM runlens.spans FINAL WHERE span_id IN {s:Array(String)}",
        parameters={"s": ["ab" * 8, "ac" * 8]},
    ).result_rows
    assert stored == [("ac" * 8,)]
