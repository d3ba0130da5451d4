"""The hand-written tool loop of `examples/openai_agent.py`, for the instrumentations that trace
only the model calls: the agent span and the tool spans carry the attributes the library's own
convention gives them (`Dialect`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openai
from opentelemetry import trace

from examples.openai_agent import TOOLS, ask
from tests.e2e.agents.harness import OVERFLOW, QUESTION, SYSTEM, Harness

AGENT = "weather_agent"


@dataclass(frozen=True)
class Dialect:
    agent_span: str
    agent_attributes: dict[str, Any]
    tool_span: Callable[[str], str]
    tool_attributes: Callable[[dict[str, Any], str], dict[str, Any]]


def run(dialect: Dialect, question: str, *, stream: bool) -> None:
    tracer = trace.get_tracer("e2e-chat-loop")
    client = openai.OpenAI()
    messages: list[Any] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": question},
    ]
    with tracer.start_as_current_span(dialect.agent_span, attributes=dialect.agent_attributes):
        for _ in range(4):
            message = ask(client, "gpt-4o-mini", messages, stream)
            messages.append(message)
            if not message.get("tool_calls"):
                return
            for call in message["tool_calls"]:
                name = call["function"]["name"]
                result = TOOLS[name](**json.loads(call["function"]["arguments"]))
                with tracer.start_as_current_span(
                    dialect.tool_span(name), attributes=dialect.tool_attributes(call, result)
                ):
                    pass
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})


def play(harness: Harness, dialect: Dialect) -> None:
    """The three scenarios of the suite, then the run ids on stdout."""
    with harness.scenario("tool"):
        run(dialect, QUESTION, stream=False)
    with harness.scenario("stream"):
        run(dialect, QUESTION, stream=True)
    with harness.scenario("error"):
        run(dialect, OVERFLOW, stream=False)
    harness.finish()
