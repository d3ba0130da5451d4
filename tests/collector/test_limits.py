"""Redaction and per-span limits through a real server (OpenTelemetry SDK exporters in, GraphQL
out), and the answers to non-UTF-8 input."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from clickhouse_connect.driver.client import Client
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from runlens.__main__ import main
from runlens.serve import Endpoints
from tests.collector.agent import provider
from tests.collector.test_bad_input import grpc_export, otlp_json, post, span
from tests.conftest import running_server
from tests.eventually import eventually

EVENTS = """query ($id: ID!) { run(id: $id) { events { edges { node {
  name input output attributes redactions redactedKinds } } } } }"""


@pytest.fixture(scope="module")
def server(chdb_dsn: str) -> Iterator[Endpoints]:
    with running_server(
        chdb_dsn,
        project=f"limits-{uuid.uuid4().hex[:8]}",
        redact_keys="user.id",
        redact_patterns={"employee_id": "EMP-[0-9]{6}"},
        max_span_attributes=12,
        max_span_events=3,
    ) as endpoints:
        yield endpoints


@pytest.fixture
def tracer_provider(server: Endpoints) -> Iterator[TracerProvider]:
    exporter = OTLPSpanExporter(endpoint=server.otlp_grpc_url, insecure=True)
    tracer_provider = provider(SimpleSpanProcessor(exporter), service="limits")
    yield tracer_provider
    tracer_provider.shutdown()


def events_of(server: Endpoints, run_id: str) -> list[dict[str, Any]]:
    def read() -> list[dict[str, Any]]:
        response = httpx.post(
            f"{server.api_url}/graphql", json={"query": EVENTS, "variables": {"id": run_id}}
        )
        body = response.json()
        assert body.get("data") and body["data"]["run"], body
        return [edge["node"] for edge in body["data"]["run"]["events"]["edges"]]

    return eventually(read)


def test_secrets_are_redacted_before_storage(
    server: Endpoints, tracer_provider: TracerProvider
) -> None:
    tracer = tracer_provider.get_tracer("limits")
    with tracer.start_as_current_span(
        "execute_tool send_mail",
        attributes={
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "send_mail",
            "gen_ai.tool.call.arguments": json.dumps(
                {"to": "jane@example.com", "body": "EMP-004211 paid with 4111 1111 1111 1111"}
            ),
            "gen_ai.tool.call.result": "sent with key sk-proj-4f9XkQ2mZt7LwB8vR1nY3cH6",
            "user.id": "u-8841",
            "http.status": 200,
        },
    ) as tool:
        run_id = format(tool.get_span_context().trace_id, "032x")
    [event] = events_of(server, run_id)
    assert event["input"] == {
        "to": "[REDACTED:email]",
        "body": "[REDACTED:employee_id] paid with [REDACTED:card]",
    }
    assert event["output"] == "sent with key [REDACTED:api_key]"
    assert event["attributes"]["user.id"] == "[REDACTED:attribute]"
    assert event["attributes"]["http.status"] == "200"
    assert event["redactions"] == 5
    assert event["redactedKinds"] == ["api_key", "attribute", "card", "email", "employee_id"]


def test_clean_spans_show_no_redactions(server: Endpoints, tracer_provider: TracerProvider) -> None:
    tracer = tracer_provider.get_tracer("limits")
    with tracer.start_as_current_span("plan") as root:
        with tracer.start_as_current_span(
            "lookup", attributes={"input.value": "order 1234567890123456 for the API key team"}
        ):
            pass
        run_id = format(root.get_span_context().trace_id, "032x")
    events = events_of(server, run_id)
    assert [(e["redactions"], e["redactedKinds"]) for e in events] == [(0, []), (0, [])]
    lookup = next(e for e in events if e["name"] == "lookup")
    kept = lookup["input"] or lookup["attributes"]["input.value"]
    assert kept == "order 1234567890123456 for the API key team"


def test_attributes_and_events_past_the_limits_are_dropped_and_counted(
    server: Endpoints, tracer_provider: TracerProvider
) -> None:
    tracer = tracer_provider.get_tracer("limits")
    with tracer.start_as_current_span(
        "busy", attributes={f"k{n:02d}": n for n in range(20)}
    ) as busy:
        for n in range(5):
            busy.add_event(f"step {n}", {f"a{m}": m for m in range(15)})
        run_id = format(busy.get_span_context().trace_id, "032x")
    [event] = events_of(server, run_id)
    attributes = event["attributes"]
    assert [k for k in attributes if k.startswith("k")] == [f"k{n:02d}" for n in range(12)]
    # 8 span attributes, and 3 attributes of each of the 3 events kept
    assert attributes["runlens.limits.dropped_attributes"] == str(8 + 3 * 3)
    assert attributes["runlens.limits.dropped_events"] == "2"


def test_many_attributes_never_fail_the_request(server: Endpoints, sql: Client) -> None:
    attributes = [{"key": f"k{n}", "value": {"intValue": str(n)}} for n in range(5000)]
    body = otlp_json(span("ef" * 8, attributes=attributes), span("f0" * 8))
    response = post(server, json.dumps(body).encode(), "application/json")
    assert response.status_code == 200, response.text
    assert not response.json().get("partialSuccess")
    stored = sql.query(
        "SELECT span_id, length(attributes), attributes['runlens.limits.dropped_attributes'] "
        "FROM runlens.spans FINAL WHERE span_id IN {s:Array(String)} ORDER BY span_id",
        parameters={"s": ["ef" * 8, "f0" * 8]},
    ).result_rows
    assert stored == [("ef" * 8, 13, "4988"), ("f0" * 8, 1, "")]


def invalid_utf8_request(trace_id: str) -> bytes:
    """Three spans: one fine, one whose attribute value and one whose name is not UTF-8."""
    request = ExportTraceServiceRequest()
    spans = request.resource_spans.add().scope_spans.add().spans
    for n, (name, note) in enumerate((("fine", "plain"), ("value", "VALUE"), ("NAME", "plain"))):
        item = spans.add()
        item.trace_id = bytes.fromhex(trace_id)
        item.span_id = bytes.fromhex(f"{trace_id[:14]}{n:02x}")
        item.name, item.start_time_unix_nano = name, 1795383109544213106 + n
        item.attributes.add(key="note", value={"string_value": note})
    body = request.SerializeToString()
    return body.replace(b"VALUE", b"VA\xffUE").replace(b"NAME", b"N\xe2\x82E")


WARNING = (
    "2 string values were not valid UTF-8: stored as binary (attribute values, log bodies) or "
    "with U+FFFD replacements"
)


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_invalid_utf8_protobuf_is_stored_flagged_with_a_warning(
    server: Endpoints, sql: Client, transport: str
) -> None:
    trace_id = uuid.uuid4().hex
    body = invalid_utf8_request(trace_id)
    if transport == "http":
        response = post(server, body, "application/x-protobuf")
        assert response.status_code == 200, response.content
        content = response.content
    else:
        result = grpc_export(server, body)
        assert isinstance(result, bytes), result
        content = result
    partial = ExportTraceServiceResponse.FromString(content).partial_success
    assert (partial.rejected_spans, partial.error_message) == (0, WARNING)
    stored = sql.query(
        "SELECT name, attributes['note'], binary FROM runlens.spans FINAL "
        "WHERE trace_id = {t:String} ORDER BY start_time",
        parameters={"t": trace_id},
    ).result_rows
    assert stored == [
        ("fine", "plain", False),
        ("value", base64.b64encode(b"VA\xffUE").decode(), True),
        ("N\ufffdE", "plain", False),
    ]
    names = {event["name"] for event in events_of(server, trace_id)}
    assert names == {"fine", "value", "N\ufffdE"}


def test_the_warning_follows_the_reasons_for_rejected_spans(server: Endpoints) -> None:
    request = ExportTraceServiceRequest()
    spans = request.resource_spans.add().scope_spans.add().spans
    short, odd = spans.add(), spans.add()
    short.trace_id, short.span_id, short.name = b"\x01\x02", b"\x03" * 8, "short trace id"
    odd.trace_id, odd.span_id, odd.name = uuid.uuid4().bytes, b"\x04" * 8, "NAME"
    body = request.SerializeToString().replace(b"NAME", b"N\xffME")
    response = post(server, body, "application/x-protobuf")
    assert response.status_code == 200, response.content
    partial = ExportTraceServiceResponse.FromString(response.content).partial_success
    assert partial.rejected_spans == 1
    assert partial.error_message == (
        "1 rejected: span 'short trace id': trace_id must be 16 bytes, non-zero; 1 string value "
        "was not valid UTF-8: stored as binary (attribute values, log bodies) or with U+FFFD "
        "replacements"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "\xff"}]}]}]}', "utf-8"),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "\\ud800"}]}]}]}', "surrogate"),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"attributes": '
            b'[{"key": "k", "value": {"stringValue": "\\udfff"}}]}]}]}]}',
            "surrogate",
        ),
    ],
    ids=["invalid-bytes", "lone-surrogate", "lone-surrogate-value"],
)
def test_invalid_utf8_json_is_refused(server: Endpoints, body: bytes, message: str) -> None:
    """Invalid bytes make the JSON text itself invalid; an escaped lone surrogate is no string."""
    response = post(server, body, "application/json")
    assert response.status_code == 400
    assert message in response.json()["message"].lower()


def test_an_invalid_redaction_pattern_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RUNLENS_REDACT_PATTERNS", '{"ticket": "TCK-(["}')
    assert main(["serve"]) == 2
    error = capsys.readouterr().err
    assert "redaction pattern 'ticket' is not a valid regex" in error
