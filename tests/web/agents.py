"""Agent runs sent to a running `runlens serve` through the real OpenTelemetry SDK: a
SimpleSpanProcessor to an OTLP/gRPC exporter (every span on its end) plus runlens's start
markers, so a run is visible, running, from its first span."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Span, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

from runlens.sdk import StartMarkerSpanProcessor
from runlens.serve import Endpoints


class Agent:
    def __init__(self, server: Endpoints, key: str | None = None, *, live: bool = True) -> None:
        """`live`: every span is exported as it ends, with start markers (a run is visible
        while it runs); otherwise spans leave in batches, at the latest on `close()`."""
        endpoint = f"127.0.0.1:{server.grpc_port}"
        headers = {"authorization": f"Bearer {key}"} if key else None

        def exporter() -> OTLPSpanExporter:
            return OTLPSpanExporter(endpoint=endpoint, insecure=True, headers=headers)

        self.provider = TracerProvider(resource=Resource.create({"service.name": "ui-tests"}))
        if live:
            self.provider.add_span_processor(SimpleSpanProcessor(exporter()))
            self.provider.add_span_processor(StartMarkerSpanProcessor(exporter()))
        else:
            self.provider.add_span_processor(BatchSpanProcessor(exporter()))
        self.tracer = self.provider.get_tracer("ui-tests")

    @contextmanager
    def run(self, agent: str, *, error: str | None = None, **attrs: Any) -> Iterator[Span]:
        """A run: the root span of `agent`, failed with `error` when given."""
        attributes = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": agent, **attrs}
        with self.tracer.start_as_current_span(
            f"invoke_agent {agent}", attributes=attributes
        ) as root:
            yield root  # type: ignore[misc]
            if error is not None:
                root.set_status(Status(StatusCode.ERROR, error))
                root.set_attribute("error.type", error.split(":")[0])

    def llm(
        self,
        prompt: str,
        answer: str,
        *,
        model: str = "gpt-4o-mini",
        tokens: tuple[int, int] = (120, 30),
    ) -> Span:
        attrs = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": model,
            "gen_ai.usage.input_tokens": tokens[0],
            "gen_ai.usage.output_tokens": tokens[1],
            "gen_ai.input.messages": json.dumps(
                [{"role": "user", "parts": [{"type": "text", "content": prompt}]}]
            ),
            "gen_ai.output.messages": json.dumps(
                [
                    {
                        "role": "assistant",
                        "parts": [{"type": "text", "content": answer}],
                        "finish_reason": "stop",
                    }
                ]
            ),
        }
        with self.tracer.start_as_current_span(f"chat {model}", attributes=attrs) as span:
            return span  # type: ignore[return-value]

    def tool(self, name: str, arguments: Any, result: Any, *, error: str | None = None) -> Span:
        attrs = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": name,
            "gen_ai.tool.call.id": f"call_{name}",
            "gen_ai.tool.call.arguments": json.dumps(arguments),
            "gen_ai.tool.call.result": result if isinstance(result, bytes) else json.dumps(result),
        }
        with self.tracer.start_as_current_span(f"execute_tool {name}", attributes=attrs) as span:
            if error is not None:
                span.set_status(Status(StatusCode.ERROR, error))
                span.set_attribute("error.type", error.split(":")[0])
            return span  # type: ignore[return-value]

    def close(self) -> None:
        self.provider.shutdown()


def trace_id(span: Span) -> str:
    return format(span.get_span_context().trace_id, "032x")


__all__ = ["Agent", "trace", "trace_id"]
