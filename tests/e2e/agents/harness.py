"""What every agent script of the suite shares: the standard OTLP exporters to runlens, and the
run id (trace id) of each scenario it plays.

A script plays its scenarios one after another (`tool`: a question that needs a tool; `stream`:
the same, streamed; `error`: a prompt the model refuses as too long) and prints one JSON line
`{"tool": {"run": RUN_ID, "spans": N}, "stream": ..., "error": ...}`. Run ids and span counts
come from the spans each scenario finished (an in-memory copy beside the exporter): a scenario
must make exactly one trace.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry._logs import set_logger_provider
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

QUESTION = "What is the weather in Paris?"
OVERFLOW = "[overflow] What is the weather in Paris?"
SYSTEM = "You are a weather assistant. Use the tools to answer."


def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"Sunny, 21 °C in {city}"


class Harness:
    """A tracer provider exporting with OTLP over the protocol in `OTEL_EXPORTER_OTLP_PROTOCOL`
    (`grpc` or `http/protobuf`) to `OTEL_EXPORTER_OTLP_ENDPOINT`, set as the global one."""

    def __init__(self, service: str) -> None:
        self.provider = TracerProvider(resource=Resource.create({"service.name": service}))
        self.provider.add_span_processor(BatchSpanProcessor(span_exporter()))
        self._seen = InMemorySpanExporter()
        self.provider.add_span_processor(SimpleSpanProcessor(self._seen))
        trace.set_tracer_provider(self.provider)
        self.runs: dict[str, dict[str, str | int]] = {}
        self.logs: LoggerProvider | None = None

    def logger_provider(self) -> LoggerProvider:
        """For content sent as log records (events): OTLP logs beside the spans, set as global."""
        self.logs = LoggerProvider(resource=self.provider.resource)
        self.logs.add_log_record_processor(BatchLogRecordProcessor(log_exporter()))
        set_logger_provider(self.logs)
        return self.logs

    @contextmanager
    def scenario(self, name: str) -> Iterator[None]:
        """Records the trace the block makes as the run of scenario `name`; an exception the
        block raises (the `error` scenario's) is expected and kept out of the output."""
        self._seen.clear()
        try:
            yield
        except Exception as exc:
            if name != "error":
                raise
            print(f"{name}: {type(exc).__name__}: {str(exc)[:120]}", flush=True)
        spans = self._seen.get_finished_spans()
        traces = {format(s.context.trace_id, "032x") for s in spans if s.context is not None}
        assert len(traces) == 1, f"scenario {name} made {len(traces)} traces"
        self.runs[name] = {"run": traces.pop(), "spans": len(spans)}

    def finish(self) -> None:
        self.provider.shutdown()  # exports what is buffered
        if self.logs is not None:
            self.logs.shutdown()
        print(json.dumps(self.runs), flush=True)


def span_exporter() -> SpanExporter:
    if os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc") == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HTTPSpanExporter,
    )

    return HTTPSpanExporter()


def log_exporter() -> LogRecordExporter:
    if os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc") == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter

        return OTLPLogExporter()
    from opentelemetry.exporter.otlp.proto.http._log_exporter import (
        OTLPLogExporter as HTTPLogExporter,
    )

    return HTTPLogExporter()
