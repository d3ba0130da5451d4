"""opentelemetry-instrumentation-openai-v2 (OpenTelemetry contrib) tracing the model calls, with
the agent and tool spans of the GenAI semantic conventions (`invoke_agent`, `execute_tool`).

Content capture follows the environment, as for any user: OTEL_SEMCONV_STABILITY_OPT_IN=
gen_ai_latest_experimental with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY
(messages as span attributes) or SPAN_AND_EVENT (also as a log record), exported with OTLP."""

from __future__ import annotations

import json
from typing import Any

from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

from tests.e2e.agents.chat_loop import AGENT, Dialect, play
from tests.e2e.agents.harness import Harness


def tool_attributes(call: dict[str, Any], result: str) -> dict[str, Any]:
    return {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": call["function"]["name"],
        "gen_ai.tool.call.id": call["id"],
        "gen_ai.tool.call.arguments": call["function"]["arguments"],
        "gen_ai.tool.call.result": json.dumps(result),
    }


DIALECT = Dialect(
    agent_span=f"invoke_agent {AGENT}",
    agent_attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": AGENT},
    tool_span=lambda name: f"execute_tool {name}",
    tool_attributes=tool_attributes,
)


if __name__ == "__main__":
    harness = Harness("openai-v2-e2e")
    OpenAIInstrumentor().instrument(
        tracer_provider=harness.provider, logger_provider=harness.logger_provider()
    )
    play(harness, DIALECT)
