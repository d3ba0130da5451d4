"""A pydantic-ai agent with a tool, on pydantic-ai's offline `FunctionModel` (no API key, no
network), traced with pydantic-ai's own instrumentation and sent to runlens over OTLP/gRPC.
It is replayable: the tool is a `runlens.sdk.replay` action and the model is wrapped in
`ReplayModel`, so `runlens replay` serves both from a recorded run.

Start runlens (`make run`), then, with the virtualenv active (`source .venv/bin/activate`):

    python examples/pydantic_agent.py                       # prints: run RUN_ID …
    runlens replay RUN_ID -- python examples/pydantic_agent.py
    runlens replay RUN_ID --on-divergence live -- python examples/pydantic_agent.py --city Rome

The first replay is served from the recording ($0, 100% match); the second asks about another
city, diverges at the first model call and runs live from there.

Spans go to OTEL_EXPORTER_OTLP_ENDPOINT (default http://127.0.0.1:4317).
"""

from __future__ import annotations

import argparse
import os

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from pydantic_ai import Agent
from pydantic_ai.capabilities.instrumentation import Instrumentation
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.instrumented import InstrumentationSettings

from runlens.sdk import replay
from runlens.sdk.replay.pydantic_ai_model import ReplayModel

AGENT = "weather_agent"


@replay.action
def get_forecast(city: str) -> dict[str, object]:
    """The tool's work; a real agent would ask a weather service here."""
    return {"city": city, "temp_c": 18 if city == "Oslo" else 24, "sky": "cloudy"}


def offline_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Stands in for an LLM: asks for the forecast of the city in the prompt, then answers
    with the tool's result."""
    parts = [
        part for message in messages if isinstance(message, ModelRequest) for part in message.parts
    ]
    returned = [part for part in parts if isinstance(part, ToolReturnPart)]
    if returned:
        return ModelResponse(parts=[TextPart(f"Here is the forecast: {returned[-1].content}")])
    prompt = next(str(part.content) for part in parts if isinstance(part, UserPromptPart))
    city = prompt.rstrip("?").rsplit(" ", 1)[-1]
    return ModelResponse(parts=[ToolCallPart("forecast", {"city": city}, "call_forecast_1")])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--city", default="Oslo", help="the city to ask about")
    args = parser.parse_args()

    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")
    provider = TracerProvider(resource=Resource.create({"service.name": AGENT}))
    replaying = replay.install(provider)  # first: in a replay, every span joins the replay run
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=True))
    )

    settings = InstrumentationSettings(tracer_provider=provider)  # prompts and answers included
    agent = Agent(
        ReplayModel(FunctionModel(offline_model, model_name="gpt-4o-mini"), settings),
        instructions="Answer weather questions with the forecast tool.",
        capabilities=[Instrumentation(settings=settings)],
        name=AGENT,
    )

    @agent.tool_plain
    def forecast(city: str) -> str:
        found = get_forecast(city)
        return f"{found['temp_c']} °C and {found['sky']} in {found['city']}"

    tracer = provider.get_tracer("examples.pydantic_agent")
    try:
        with tracer.start_as_current_span(f"invoke_agent {AGENT}") as root:
            result = agent.run_sync(f"What is the weather in {args.city}?")
            run_id = format(root.get_span_context().trace_id, "032x")
    finally:
        provider.shutdown()  # sends what is left
    if replaying is not None:
        run_id = replaying.run_id
    print(f"run {run_id}: {result.output}")


if __name__ == "__main__":
    main()
