"""Agent runs built with the real OpenTelemetry SDK and sent in one OTLP/gRPC export;
terminal output sent as OTLP/JSON log records."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import httpx
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Span, Status, StatusCode

from runlens.serve import Endpoints
from tests.eventually import eventually

Attrs = dict[str, Any]
SYSTEM = {"role": "system", "parts": [{"type": "text", "content": "You are a careful agent."}]}


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"type": "text", "content": text}]}


def assistant(text: str) -> dict[str, Any]:
    return {"role": "assistant", "parts": [{"type": "text", "content": text}]}


def tool_request(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    part = {"type": "tool_call", "id": call_id, "name": name, "arguments": arguments}
    return {"role": "assistant", "parts": [part]}


def tool_result(call_id: str, response: Any) -> dict[str, Any]:
    part = {"type": "tool_call_response", "id": call_id, "response": response}
    return {"role": "tool", "parts": [part]}


def chat(
    messages: list[dict[str, Any]],
    output: dict[str, Any],
    *,
    model: str = "gpt-4o-mini",
    input_tokens: int = 100,
    output_tokens: int = 20,
    cached: int = 0,
    reasoning: int = 0,
    finish: str = "stop",
) -> Attrs:
    attrs: Attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model,
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.max_tokens": 512,
        "gen_ai.usage.input_tokens": input_tokens,
        "gen_ai.usage.output_tokens": output_tokens,
        "gen_ai.input.messages": json.dumps(messages),
        "gen_ai.output.messages": json.dumps([{**output, "finish_reason": finish}]),
    }
    if cached:
        attrs["gen_ai.usage.cache_read.input_tokens"] = cached
    if reasoning:
        attrs["gen_ai.usage.reasoning.output_tokens"] = reasoning
    return attrs


def tool(name: str, call_id: str, arguments: Any, result: Any) -> Attrs:
    return {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": name,
        "gen_ai.tool.call.id": call_id,
        "gen_ai.tool.call.arguments": json.dumps(arguments),
        "gen_ai.tool.call.result": json.dumps(result),
    }


class Recorder:
    """Builds spans in memory; `send()` exports them all in one request."""

    def __init__(self, server: Endpoints, service: str = "api-tests") -> None:
        self.server = server
        self._memory = InMemorySpanExporter()
        self._provider = TracerProvider(resource=Resource.create({"service.name": service}))
        self._provider.add_span_processor(SimpleSpanProcessor(self._memory))
        self.tracer = self._provider.get_tracer("api-tests")
        self._clock = time.time_ns()
        self._ended: list[str] = []

    def at(self, unix_nano: int) -> None:
        """Move the clock (runs started in the past)."""
        self._clock = unix_nano

    def tick(self, ms: int = 10) -> int:
        """A strictly increasing timestamp, so start order is deterministic."""
        self._clock += ms * 1_000_000
        return self._clock

    def root(self, agent: str, name: str | None = None, **attrs: Any) -> Span:
        attributes = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": agent, **attrs}
        return self.tracer.start_span(
            name or f"invoke_agent {agent}", attributes=attributes, start_time=self.tick()
        )

    def child(
        self, parent: Span, name: str, attrs: Attrs, *, error: str | None = None, ms: int = 10
    ) -> Span:
        span = self.tracer.start_span(
            name,
            context=trace.set_span_in_context(parent),
            attributes=attrs,
            start_time=self.tick(),
        )
        if error is not None:
            span.set_status(Status(StatusCode.ERROR, error))
        span.end(end_time=self.tick(ms))
        return span

    def end(self, root: Span, *, error: str | None = None) -> str:
        if error is not None:
            root.set_status(Status(StatusCode.ERROR, error))
        root.end(end_time=self.tick())
        self._ended.append(run_id(root))
        return run_id(root)

    def send(self) -> None:
        self.export(self.finished())
        wait_for_runs(self.server, self._ended)
        self._ended = []

    def finished(self) -> list[ReadableSpan]:
        """The spans ended since the last `send` or `finished`, taken for `export`."""
        spans = list(self._memory.get_finished_spans())
        self._memory.clear()
        return spans

    def export(self, spans: Sequence[ReadableSpan]) -> None:
        """Send these spans in one OTLP/gRPC export."""
        exporter = OTLPSpanExporter(endpoint=f"127.0.0.1:{self.server.grpc_port}", insecure=True)
        try:
            assert exporter.export(spans) is SpanExportResult.SUCCESS
        finally:
            exporter.shutdown()

    def send_output(self, span: Span, chunks: list[tuple[str, str]]) -> None:
        """Terminal output of `span`: (stream, text) chunks, numbered per stream."""
        ctx = span.get_span_context()
        seqs: dict[str, int] = {}
        records = []
        for stream, text in chunks:
            seq = seqs.get(stream, 0)
            seqs[stream] = seq + 1
            records.append(
                {
                    "timeUnixNano": str(self.tick(1)),
                    "traceId": format(ctx.trace_id, "032x"),
                    "spanId": format(ctx.span_id, "016x"),
                    "body": {"stringValue": text},
                    "attributes": [
                        {"key": "runlens.output.stream", "value": {"stringValue": stream}},
                        {"key": "runlens.output.seq", "value": {"intValue": str(seq)}},
                    ],
                }
            )
        document = {"resourceLogs": [{"scopeLogs": [{"logRecords": records}]}]}
        post_json(self.server, "/v1/logs", json.dumps(document).encode())

    def close(self) -> None:
        self._provider.shutdown()


def run_id(span: Span) -> str:
    return format(span.get_span_context().trace_id, "032x")


def span_id(span: Span) -> str:
    return format(span.get_span_context().span_id, "016x")


def wait_for_runs(server: Endpoints, run_ids: list[str]) -> None:
    """Run summaries follow an acknowledged export within about a second: wait for them."""
    query = "query ($id: ID!) { run(id: $id) { id } }"

    def stored(run: str) -> None:
        body = httpx.post(
            f"{server.api_url}/graphql", json={"query": query, "variables": {"id": run}}
        ).json()
        assert body["data"]["run"] is not None, body

    for run in run_ids:
        eventually(lambda run=run: stored(run))  # type: ignore[misc]


def post_json(server: Endpoints, path: str, body: bytes) -> None:
    response = httpx.post(
        f"{server.otlp_http_url}{path}",
        content=body,
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
