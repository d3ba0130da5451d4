"""An OpenAI-client agent with plain-function actions, recorded with runlens' SDK.

`run_agent` is used in-process by the tests; `python -m tests.sdk.replay.weather_agent` runs it
once against `OPENAI_BASE_URL` (asking `WEATHER_PROMPT` when set), exporting to
`OTEL_EXPORTER_OTLP_ENDPOINT` (the CLI test).
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
from openai import OpenAI
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from runlens.sdk import replay
from runlens.sdk.replay.openai_transport import ReplayTransport

AGENT = "weather_agent"
SYSTEM = "You are a weather assistant. Use the tools."
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_forecast",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


@replay.action
def get_forecast(city: str) -> dict[str, Any]:
    return {"city": city, "temp_c": 21, "sky": "clear"}


@replay.action
def get_air_quality(city: str) -> dict[str, Any]:
    return {"city": city, "aqi": 42}


@replay.action(side_effects="never_replay")
def open_ticket(city: str) -> dict[str, str]:
    return {"city": city, "ticket": str(uuid.uuid4())}


@replay.action(side_effects="never_replay")
def stamp_request(city: str) -> dict[str, str]:
    return {"city": city, "at": datetime.now(UTC).isoformat()}


@dataclass(frozen=True)
class Variant:
    prompt: str = "What is the weather in Paris?"
    reorder: bool = False  # look up air quality before the forecast
    extra: Literal["", "uuid", "clock"] = ""  # a never-replay action with a fresh value


def provider(otlp_endpoint: str) -> TracerProvider:
    tracer_provider = TracerProvider(resource=Resource.create({"service.name": AGENT}))
    replay.install(tracer_provider)
    exporter = OTLPSpanExporter(endpoint=otlp_endpoint, insecure=True)
    tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    return tracer_provider


def client(base_url: str) -> OpenAI:
    http = httpx.Client(transport=ReplayTransport())
    return OpenAI(api_key="test-key", base_url=base_url, http_client=http, max_retries=0)


def run_agent(llm: OpenAI, tracer_provider: TracerProvider, variant: Variant | None = None) -> str:
    """One run; returns its run id (the replay's when replaying)."""
    variant = variant or Variant()
    tracer = tracer_provider.get_tracer("weather-agent")
    attributes = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.id": AGENT,
        "gen_ai.agent.name": AGENT,
    }
    with tracer.start_as_current_span(f"invoke_agent {AGENT}", attributes=attributes) as root:
        messages: list[Any] = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": variant.prompt},
        ]
        first = llm.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
        calls = first.choices[0].message.tool_calls or []
        call = calls[0]
        city = json.loads(call.function.arguments)["city"]  # type: ignore[union-attr]
        lookups = [get_forecast, get_air_quality]
        if variant.reorder:
            lookups.reverse()
        found = {lookup.__name__: lookup(city) for lookup in lookups}
        if variant.extra == "uuid":
            open_ticket(city)
        elif variant.extra == "clock":
            stamp_request(city)
        messages.append(first.choices[0].message.model_dump(exclude_none=True))
        messages.append(
            {"role": "tool", "tool_call_id": call.id, "content": json.dumps(found, sort_keys=True)}
        )
        llm.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
        session = replay.current()
        return session.run_id if session else format(root.get_span_context().trace_id, "032x")


def main() -> int:
    tracer_provider = provider(os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"])
    try:
        variant = Variant(prompt=os.environ.get("WEATHER_PROMPT") or Variant.prompt)
        run_id = run_agent(client(os.environ["OPENAI_BASE_URL"]), tracer_provider, variant)
    finally:
        tracer_provider.shutdown()
    print(f"run {run_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
