"""pydantic-ai agents: on a `FunctionModel` (instrumented by pydantic-ai, served by
`ReplayModel`), and on the OpenAI provider (served by the OpenAI transport)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from openai import AsyncOpenAI
from opentelemetry.sdk.trace import TracerProvider
from pydantic_ai import Agent
from pydantic_ai.capabilities.instrumentation import Instrumentation
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

from runlens.sdk import replay
from runlens.sdk.replay.openai_transport import AsyncReplayTransport
from runlens.sdk.replay.pydantic_ai_model import ReplayModel
from tests.sdk.replay.weather_agent import get_forecast

MODEL = "gpt-4o-mini"


@replay.action
def fetch_weather(city: str) -> dict[str, Any]:
    return {"city": city, "temp_c": 18, "sky": "cloudy"}


@dataclass
class ScriptedModel:
    """The model's side: asks for the weather tool, then answers with its result."""

    calls: list[list[ModelMessage]] = field(default_factory=list)

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.calls.append(messages)
        returns = [
            part
            for message in messages
            if isinstance(message, ModelRequest)
            for part in message.parts
            if isinstance(part, ToolReturnPart)
        ]
        if returns:
            return ModelResponse(parts=[TextPart(f"It is {returns[-1].content}")])
        return ModelResponse(parts=[ToolCallPart("weather", {"city": "Oslo"}, "call_w1")])


def run_agent(model: ScriptedModel, tracer_provider: TracerProvider, prompt: str) -> str:
    """One run of the agent; its run id (the replay's when replaying)."""
    instrumentation = InstrumentationSettings(tracer_provider=tracer_provider)
    agent = Agent(
        ReplayModel(FunctionModel(model, model_name=MODEL), instrumentation),
        instructions="Answer weather questions with the weather tool.",
        capabilities=[Instrumentation(settings=instrumentation)],
        name="pydantic_weather",
    )

    @agent.tool_plain
    def weather(city: str) -> str:
        found = fetch_weather(city)
        return f"{found['temp_c']} °C and {found['sky']} in {found['city']}"

    tracer = tracer_provider.get_tracer("pydantic-weather")
    with tracer.start_as_current_span("weather request") as root:
        agent.run_sync(prompt)
        session = replay.current()
        return session.run_id if session else format(root.get_span_context().trace_id, "032x")


def run_openai_agent(base_url: str, tracer_provider: TracerProvider, prompt: str) -> str:
    """The agent on pydantic-ai's OpenAI provider, its HTTP through the replay transport."""
    http = httpx.AsyncClient(transport=AsyncReplayTransport())
    llm = AsyncOpenAI(api_key="test-key", base_url=base_url, http_client=http, max_retries=0)
    agent = Agent(OpenAIChatModel(MODEL, provider=OpenAIProvider(openai_client=llm)))

    @agent.tool_plain(name="get_forecast")
    def forecast(city: str) -> str:
        return f"{get_forecast(city)}"

    tracer = tracer_provider.get_tracer("pydantic-openai-weather")
    with tracer.start_as_current_span("weather request") as root:
        agent.run_sync(prompt)
        session = replay.current()
        return session.run_id if session else format(root.get_span_context().trace_id, "032x")
