"""opentelemetry-instrumentation-openai (OpenLLMetry / Traceloop) tracing the model calls; the
agent and tool spans carry the `traceloop.*` attributes the Traceloop SDK's `@agent` and `@tool`
decorators give them. Prompts are captured unless TRACELOOP_TRACE_CONTENT=false: as span
attributes, or with `--events` (`use_attributes=False`) as log records."""

from __future__ import annotations

import json
import sys
from typing import Any

from opentelemetry.instrumentation.openai import OpenAIInstrumentor

from tests.e2e.agents.chat_loop import AGENT, Dialect, play
from tests.e2e.agents.harness import Harness


def tool_attributes(call: dict[str, Any], result: str) -> dict[str, Any]:
    return {
        "traceloop.span.kind": "tool",
        "traceloop.entity.name": call["function"]["name"],
        "traceloop.entity.input": json.dumps(
            {"args": [], "kwargs": json.loads(call["function"]["arguments"])}
        ),
        "traceloop.entity.output": json.dumps(result),
    }


DIALECT = Dialect(
    agent_span=f"{AGENT}.agent",
    agent_attributes={"traceloop.span.kind": "agent", "traceloop.entity.name": AGENT},
    tool_span=lambda name: f"{name}.tool",
    tool_attributes=tool_attributes,
)

if __name__ == "__main__":
    harness = Harness("openllmetry-e2e")
    if "--events" in sys.argv:
        OpenAIInstrumentor(use_attributes=False).instrument(
            tracer_provider=harness.provider, logger_provider=harness.logger_provider()
        )
    else:
        OpenAIInstrumentor().instrument(tracer_provider=harness.provider)
    play(harness, DIALECT)
