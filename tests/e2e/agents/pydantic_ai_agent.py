"""pydantic-ai with its built-in OpenTelemetry instrumentation (the `Instrumentation` capability,
GenAI semantic conventions, the default span version)."""

from __future__ import annotations

import asyncio

from pydantic_ai import Agent
from pydantic_ai.capabilities import Instrumentation
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.models.openai import OpenAIChatModel

from tests.e2e.agents.harness import OVERFLOW, QUESTION, SYSTEM, Harness, get_weather


async def main() -> None:
    harness = Harness("pydantic-ai-e2e")
    agent = Agent(
        OpenAIChatModel("gpt-4o-mini"),
        name="weather_agent",
        instructions=SYSTEM,
        tools=[get_weather],
        capabilities=[
            Instrumentation(
                InstrumentationSettings(tracer_provider=harness.provider, include_content=True)
            )
        ],
    )
    with harness.scenario("tool"):
        await agent.run(QUESTION)
    with harness.scenario("stream"):
        async with agent.run_stream(QUESTION) as streamed:
            async for _ in streamed.stream_text():
                pass
    with harness.scenario("error"):
        await agent.run(OVERFLOW)
    harness.finish()


if __name__ == "__main__":
    asyncio.run(main())
