"""The OpenAI Agents SDK (Responses API) with openinference-instrumentation-openai-agents; with
`--stacked`, openinference-instrumentation-openai on as well, as auto-instrumentation does when
both are installed (each model call then has two LLM spans)."""

from __future__ import annotations

import asyncio
import sys

from agents import Agent, Runner, function_tool
from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor

from tests.e2e.agents.harness import OVERFLOW, QUESTION, SYSTEM, Harness, get_weather


async def main(stacked: bool) -> None:
    harness = Harness("openai-agents-e2e")
    OpenAIAgentsInstrumentor().instrument(tracer_provider=harness.provider)
    if stacked:
        from openinference.instrumentation.openai import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=harness.provider)
    agent = Agent(
        name="weather_agent",
        instructions=SYSTEM,
        model="gpt-4o-mini",
        tools=[function_tool(get_weather)],
    )
    with harness.scenario("tool"):
        await Runner.run(agent, QUESTION)
    with harness.scenario("stream"):
        streamed = Runner.run_streamed(agent, QUESTION)
        async for _ in streamed.stream_events():
            pass
    with harness.scenario("error"):
        await Runner.run(agent, OVERFLOW)
    harness.finish()


if __name__ == "__main__":
    asyncio.run(main("--stacked" in sys.argv))
