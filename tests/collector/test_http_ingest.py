"""OTLP/HTTP: the real SDK exporter (protobuf), captured fixtures as OTLP/JSON, gzip."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import httpx
import pytest
from clickhouse_connect.driver.client import Client
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from runlens.serve import Endpoints
from tests.collector.agent import provider, weather_run
from tests.collector.test_grpc_ingest import span_rows, summary
from tests.eventually import eventually

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "real-clients"
TRACE_FIXTURES = sorted(
    p for p in FIXTURES.rglob("*.json") if not p.name.endswith((".logs.json", ".metrics.json"))
)
LOG_FIXTURES = sorted(FIXTURES.rglob("*.logs.json"))


def test_sdk_http_exporter_stores_a_run(server: Endpoints, sql: Client) -> None:
    exporter = OTLPSpanExporter(endpoint=f"{server.otlp_http_url}/v1/traces")
    tracer_provider = provider(SimpleSpanProcessor(exporter))
    run_id = weather_run(tracer_provider)
    tracer_provider.shutdown()

    assert len(span_rows(sql, run_id)) == 4

    def completed() -> None:
        assert summary(sql, run_id)["status"] == "completed"

    eventually(completed)


@pytest.mark.parametrize("path", TRACE_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_captured_traces_are_accepted_as_json(server: Endpoints, sql: Client, path: Path) -> None:
    body = path.read_bytes()
    document = json.loads(body)
    spans = [
        span for rs in document["resourceSpans"] for ss in rs["scopeSpans"] for span in ss["spans"]
    ]
    response = httpx.post(
        f"{server.otlp_http_url}/v1/traces",
        content=gzip.compress(body),
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {}  # nothing rejected
    ids = [span["spanId"] for span in spans]
    stored = sql.query(
        "SELECT count() FROM runlens.spans FINAL WHERE trace_id IN {t:Array(String)} "
        "AND span_id IN {s:Array(String)}",
        parameters={"t": sorted({span["traceId"] for span in spans}), "s": ids},
    ).result_rows[0][0]
    assert stored == len(set(ids))


@pytest.mark.parametrize("path", LOG_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_captured_log_events_are_stored(server: Endpoints, sql: Client, path: Path) -> None:
    document = json.loads(path.read_bytes())
    records = [
        record
        for rl in document["resourceLogs"]
        for sl in rl["scopeLogs"]
        for record in sl["logRecords"]
    ]
    response = httpx.post(
        f"{server.otlp_http_url}/v1/logs",
        content=path.read_bytes(),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    names = sql.query(
        "SELECT event_name FROM runlens.logs FINAL "
        "WHERE toUnixTimestamp64Nano(time) IN {t:Array(UInt64)}",
        parameters={
            "t": [int(r.get("timeUnixNano") or r["observedTimeUnixNano"]) for r in records]
        },
    ).result_rows
    assert sorted(n for (n,) in names) == sorted(r["eventName"] for r in records)
