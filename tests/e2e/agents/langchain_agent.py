"""A LangChain agent (`langchain.agents.create_agent`, a LangGraph graph) on langchain-openai,
traced by openinference-instrumentation-langchain."""

from __future__ import annotations

from typing import Any

from langchain.agents import create_agent
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from openinference.instrumentation.langchain import LangChainInstrumentor

from tests.e2e.agents.harness import OVERFLOW, QUESTION, SYSTEM, Harness, get_weather


def main() -> None:
    harness = Harness("langchain-e2e")
    LangChainInstrumentor().instrument(tracer_provider=harness.provider)

    def agent(streaming: bool) -> Any:
        model = ChatOpenAI(model="gpt-4o-mini", streaming=streaming, stream_usage=True)
        return create_agent(
            model, tools=[tool(get_weather)], system_prompt=SYSTEM, name="weather_agent"
        )

    question = {"messages": [{"role": "user", "content": QUESTION}]}
    with harness.scenario("tool"):
        agent(streaming=False).invoke(question)
    with harness.scenario("stream"):
        for _ in agent(streaming=True).stream(question, stream_mode="messages"):
            pass
    with harness.scenario("error"):
        agent(streaming=False).invoke({"messages": [{"role": "user", "content": OVERFLOW}]})
    harness.finish()


if __name__ == "__main__":
    main()
