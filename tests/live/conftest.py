"""A real `runlens serve` whose live bus the tests can look at, and an agent instrumented with
the real OpenTelemetry SDK: the usual batch processor plus `StartMarkerSpanProcessor`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span

from runlens.bus import LiveBus
from runlens.sdk import StartMarkerSpanProcessor
from runlens.serve import Endpoints
from tests.conftest import running_server


@pytest.fixture(scope="package")
def bus() -> LiveBus:
    return LiveBus()


@pytest.fixture(scope="package")
def server(chdb_dsn: str, bus: LiveBus) -> Iterator[Endpoints]:
    with running_server(chdb_dsn, bus, project=f"live-{uuid.uuid4().hex[:12]}") as endpoints:
        yield endpoints


class Agent:
    """An agent exporting over OTLP/gRPC: ended spans through a `BatchSpanProcessor`, start
    markers through a `StartMarkerSpanProcessor`, each with its own exporter."""

    def __init__(self, server: Endpoints, name: str = "live_agent") -> None:
        endpoint = f"127.0.0.1:{server.grpc_port}"
        self.name = name
        self.markers = StartMarkerSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=True))
        self.provider = TracerProvider(resource=Resource.create({"service.name": name}))
        self.provider.add_span_processor(
            BatchSpanProcessor(
                OTLPSpanExporter(endpoint=endpoint, insecure=True), schedule_delay_millis=50
            )
        )
        self.provider.add_span_processor(self.markers)
        self.tracer = self.provider.get_tracer("live-tests")

    def root(self) -> Span:
        attributes = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": self.name}
        return self.tracer.start_span(f"invoke_agent {self.name}", attributes=attributes)

    def tool(self, parent: Span, name: str) -> Span:
        return self.tracer.start_span(
            f"execute_tool {name}",
            context=trace.set_span_in_context(parent),
            attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name},
        )

    def close(self) -> None:
        self.provider.shutdown()


def run_id(span: Span) -> str:
    return format(span.get_span_context().trace_id, "032x")


def span_id(span: Span) -> str:
    return format(span.get_span_context().span_id, "016x")
