"""OTLP metrics: the real OpenTelemetry metrics SDK and its OTLP exporters (gRPC and HTTP), and
metric exports captured from real instrumentation libraries, end in `runlens.metric_points`,
acknowledged only once stored; bad requests get the same answers as spans."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from clickhouse_connect.driver.client import Client
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
    OTLPMetricExporter as GrpcMetricExporter,
)
from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
    OTLPMetricExporter as HttpMetricExporter,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource

from runlens.serve import Endpoints
from tests.conftest import running_server

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "real-clients"
SCHEMA_DOC = Path(__file__).resolve().parents[2] / "docs" / "schema.md"
EXPORT = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"


@pytest.fixture(scope="module")
def project() -> str:
    return f"metrics-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def server(chdb_dsn: str, project: str) -> Iterator[Endpoints]:
    with running_server(chdb_dsn, project=project, max_request_bytes=64 * 1024) as endpoints:
        yield endpoints


def points(sql: Client, project: str, service: str) -> list[dict[str, Any]]:
    result = sql.query(
        """SELECT metric_name, metric_type, unit, description, temporality, is_monotonic,
            attributes, value, count, sum, min, max, bucket_counts, explicit_bounds, scale,
            positive_bucket_counts, zero_count, exemplars, scope_name, resource
        FROM runlens.metric_points FINAL
        WHERE project_id = {p:String} AND service_name = {s:String}
        ORDER BY metric_name, toString(attributes)""",
        parameters={"p": project, "s": service},
    )
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def record_agent_metrics(exporter: MetricExporter, service: str) -> None:
    """What an instrumented agent records: the GenAI histograms, a counter, an up-down counter
    and an exponential histogram; exported once, at shutdown (the export returns once it was
    acknowledged)."""
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider(
        resource=Resource.create({"service.name": service}),
        metric_readers=[reader],
        views=[
            View(instrument_name="queue.wait", aggregation=ExponentialBucketHistogramAggregation())
        ],
    )
    meter = provider.get_meter("agent-metrics", "1.0")
    usage = meter.create_histogram("gen_ai.client.token.usage", unit="{token}")
    duration = meter.create_histogram("gen_ai.client.operation.duration", unit="s")
    chat = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini"}
    usage.record(120, {**chat, "gen_ai.token.type": "input"})
    usage.record(180, {**chat, "gen_ai.token.type": "input"})
    usage.record(40, {**chat, "gen_ai.token.type": "output"})
    duration.record(0.25, chat)
    meter.create_counter("agent.tool.calls").add(3, {"tool": "get_weather"})
    meter.create_up_down_counter("agent.active_runs").add(-2)
    wait = meter.create_histogram("queue.wait", unit="ms")
    for value in (1.0, 2.0, 4.0):
        wait.record(value)
    provider.shutdown()


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_metrics_from_the_otel_sdk_are_stored(
    server: Endpoints, sql: Client, project: str, transport: str
) -> None:
    service = f"agent-{transport}-{uuid.uuid4().hex[:8]}"
    exporter: MetricExporter = (
        GrpcMetricExporter(endpoint=f"127.0.0.1:{server.grpc_port}", insecure=True)
        if transport == "grpc"
        else HttpMetricExporter(endpoint=f"{server.otlp_http_url}/v1/metrics")
    )
    record_agent_metrics(exporter, service)

    stored = points(sql, project, service)  # right after the acknowledgement: no waiting
    by_name: dict[str, list[dict[str, Any]]] = {}
    for point in stored:
        by_name.setdefault(point["metric_name"], []).append(point)
    assert sorted(by_name) == [
        "agent.active_runs", "agent.tool.calls", "gen_ai.client.operation.duration",
        "gen_ai.client.token.usage", "queue.wait",
    ]  # fmt: skip
    usage_input, usage_output = by_name["gen_ai.client.token.usage"]
    assert usage_input["attributes"]["gen_ai.token.type"] == "input"
    assert (usage_input["metric_type"], usage_input["unit"]) == ("histogram", "{token}")
    assert (usage_input["count"], usage_input["sum"]) == (2, 300.0)
    assert (usage_input["min"], usage_input["max"]) == (120.0, 180.0)
    assert sum(usage_input["bucket_counts"]) == 2 and usage_input["explicit_bounds"]
    assert usage_input["temporality"] == "cumulative"
    assert (usage_output["count"], usage_output["sum"]) == (1, 40.0)
    [calls] = by_name["agent.tool.calls"]
    assert (calls["metric_type"], calls["value"], calls["is_monotonic"]) == ("sum", 3.0, True)
    assert calls["attributes"] == {"tool": "get_weather"}
    [active] = by_name["agent.active_runs"]
    assert (active["value"], active["is_monotonic"]) == (-2.0, False)
    [wait] = by_name["queue.wait"]
    assert wait["metric_type"] == "exponential_histogram"
    assert wait["count"] == 3 and wait["sum"] == 7.0
    assert sum(wait["positive_bucket_counts"]) == 3
    assert wait["scope_name"] == "agent-metrics"
    assert wait["resource"]["service.name"] == service


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("**/*.metrics.json"))


def test_every_captured_metric_export_is_stored_once(
    server: Endpoints, sql: Client, project: str
) -> None:
    assert fixture_files(), "no *.metrics.json captures"
    for path in fixture_files():
        service = f"capture-{uuid.uuid4().hex[:8]}"
        document = json.loads(path.read_text())
        expected = 0
        exemplars: set[str] = set()
        for group in document["resourceMetrics"]:
            for attribute in group["resource"]["attributes"]:
                if attribute["key"] == "service.name":
                    attribute["value"] = {"stringValue": service}
            for scoped in group["scopeMetrics"]:
                for metric in scoped["metrics"]:
                    [kind] = [k for k in metric if k not in ("name", "unit", "description")]
                    for point in metric[kind]["dataPoints"]:
                        expected += 1
                        exemplars.update(e["traceId"] for e in point.get("exemplars", ()))
        body = json.dumps(document).encode()
        for _ in range(2):  # delivered twice, as a retrying client would: stored once
            response = httpx.post(
                f"{server.otlp_http_url}/v1/metrics",
                content=body,
                headers={"content-type": "application/json"},
                timeout=30,
            )
            assert response.status_code == 200, (path, response.text)
            assert response.json() == {}, path  # no partial success: every point stored
        stored = points(sql, project, service)
        assert len(stored) == expected, path
        kept = {e["trace_id"] for point in stored for e in point["exemplars"]}
        assert kept == exemplars, path


def test_a_summary_point_is_stored_with_its_quantiles(
    server: Endpoints, sql: Client, project: str
) -> None:
    """The Python SDK records no summaries (they come from bridges such as Prometheus)."""
    service = f"summary-{uuid.uuid4().hex[:8]}"
    request = ExportMetricsServiceRequest()
    group = request.resource_metrics.add()
    group.resource.attributes.add(key="service.name").value.string_value = service
    metric = group.scope_metrics.add().metrics.add(name="rpc.latency", unit="ms")
    point = metric.summary.data_points.add(time_unix_nano=1_795_383_110_054_832_628)
    point.count, point.sum = 10, 55.5
    point.quantile_values.add(quantile=0.5, value=4.0)
    point.quantile_values.add(quantile=0.99, value=9.5)
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        reply = channel.unary_unary(EXPORT)(request.SerializeToString(), timeout=30)
    assert not ExportMetricsServiceResponse.FromString(reply).HasField("partial_success")
    rows = sql.query(
        "SELECT metric_type, count, sum, quantiles FROM runlens.metric_points FINAL "
        "WHERE project_id = {p:String} AND service_name = {s:String}",
        parameters={"p": project, "s": service},
    ).result_rows
    assert len(rows) == 1
    metric_type, count, total, quantiles = rows[0]
    assert (metric_type, count, total) == ("summary", 10, 55.5)
    assert [(q["quantile"], q["value"]) for q in quantiles] == [(0.5, 4.0), (0.99, 9.5)]


def test_points_without_a_name_or_past_the_retention_are_rejected_alone(
    server: Endpoints, sql: Client, project: str
) -> None:
    service = f"partial-{uuid.uuid4().hex[:8]}"
    request = ExportMetricsServiceRequest()
    group = request.resource_metrics.add()
    group.resource.attributes.add(key="service.name").value.string_value = service
    metrics = group.scope_metrics.add().metrics
    now = time.time_ns()
    nameless = metrics.add(name="").gauge.data_points
    nameless.add(as_double=1.0, time_unix_nano=now)
    nameless.add(as_double=1.5, time_unix_nano=now)
    metrics.add(name="kept.gauge").gauge.data_points.add(as_int=2, time_unix_nano=now)
    metrics.add(name="expired.gauge").gauge.data_points.add(as_double=3.0, time_unix_nano=1)
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        reply = channel.unary_unary(EXPORT)(request.SerializeToString(), timeout=30)
    partial = ExportMetricsServiceResponse.FromString(reply).partial_success
    assert partial.rejected_data_points == 3
    assert "metric without a name" in partial.error_message
    stored = points(sql, project, service)
    assert [(p["metric_name"], p["metric_type"], p["value"]) for p in stored] == [
        ("kept.gauge", "gauge", 2.0)
    ]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (b"\xff\x00garbage", "application/x-protobuf", 400, "not a valid protobuf"),
        (b"{not json", "application/json", 400, "not valid JSON"),
        (b'{"resourceMetrics": 3}', "application/json", 400, "ExportMetricsServiceRequest"),
        (b"x" * 70_000, "application/x-protobuf", 413, "exceeds the 65536-byte limit"),
        (b"{}", "text/plain", 415, "unsupported content type"),
    ],
)
def test_bad_metric_requests_over_http(
    server: Endpoints, body: bytes, content_type: str, status: int, message: str
) -> None:
    response = httpx.post(
        f"{server.otlp_http_url}/v1/metrics",
        content=body,
        headers={"content-type": content_type},
        timeout=30,
    )
    assert response.status_code == status
    assert message in response.text


def test_a_malformed_metric_request_over_grpc_is_invalid_argument(server: Endpoints) -> None:
    with (
        grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel,
        pytest.raises(grpc.RpcError) as failed,
    ):
        channel.unary_unary(EXPORT)(b"\xff\x00garbage", timeout=30)
    assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "ExportMetricsServiceRequest" in (failed.value.details() or "")


def test_metrics_need_a_key_when_auth_is_required(chdb_dsn: str) -> None:
    with running_server(chdb_dsn, auth="required") as endpoints:
        response = httpx.post(
            f"{endpoints.otlp_http_url}/v1/metrics",
            content=ExportMetricsServiceRequest().SerializeToString(),
            headers={"content-type": "application/x-protobuf"},
            timeout=30,
        )
        assert response.status_code == 401
        with (
            grpc.insecure_channel(f"127.0.0.1:{endpoints.grpc_port}") as channel,
            pytest.raises(grpc.RpcError) as failed,
        ):
            channel.unary_unary(EXPORT)(b"", timeout=30)
        assert failed.value.code() == grpc.StatusCode.UNAUTHENTICATED


def documented_queries() -> list[str]:
    """The example queries of docs/schema.md's `metric_points` section."""
    text = SCHEMA_DOC.read_text().split("## `metric_points`", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", text, flags=re.S)


def test_the_documented_queries_add_up_what_the_agent_recorded(chdb_dsn: str, sql: Client) -> None:
    project = f"metrics-docs-{uuid.uuid4().hex[:8]}"
    with running_server(chdb_dsn, project=project) as endpoints:
        exporter = GrpcMetricExporter(endpoint=f"127.0.0.1:{endpoints.grpc_port}", insecure=True)
        record_agent_metrics(exporter, "docs-agent")
    tokens, durations = (
        sql.query(query.replace("'default'", f"'{project}'")).result_rows
        for query in documented_queries()
    )
    assert tokens == [("gpt-4o-mini", "input", 300.0, 2), ("gpt-4o-mini", "output", 40.0, 1)]
    assert durations == [("gpt-4o-mini", "", 1, 0.25, 0.25)]


def test_metric_attributes_are_redacted_before_storage(
    server: Endpoints, sql: Client, project: str
) -> None:
    service = f"redacted-{uuid.uuid4().hex[:8]}"
    request = ExportMetricsServiceRequest()
    group = request.resource_metrics.add()
    group.resource.attributes.add(key="service.name").value.string_value = service
    group.resource.attributes.add(key="owner").value.string_value = "jane.doe@example.com"
    metric = group.scope_metrics.add().metrics.add(name="agent.requests")
    point = metric.sum.data_points.add(as_int=1, time_unix_nano=time.time_ns())
    point.attributes.add(key="user").value.string_value = "mail bob@example.org please"
    exemplar = point.exemplars.add(as_int=1, time_unix_nano=time.time_ns())
    exemplar.filtered_attributes.add(key="auth").value.string_value = "Bearer abcd1234efgh"
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        channel.unary_unary(EXPORT)(request.SerializeToString(), timeout=30)
    [stored] = points(sql, project, service)
    assert stored["resource"]["owner"] == "[REDACTED:email]"
    assert stored["attributes"]["user"] == "mail [REDACTED:email] please"
    [kept] = stored["exemplars"]
    assert "abcd1234efgh" not in kept["attributes"]["auth"]
    assert "[REDACTED:bearer]" in kept["attributes"]["auth"]
