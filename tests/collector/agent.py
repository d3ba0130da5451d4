"""An agent-shaped workload sent through the real OpenTelemetry SDK."""

from __future__ import annotations

import json

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.trace import Status, StatusCode


def provider(processor: SpanProcessor, service: str = "weather-service") -> TracerProvider:
    tracer_provider = TracerProvider(resource=Resource.create({"service.name": service}))
    tracer_provider.add_span_processor(processor)
    return tracer_provider


def weather_run(tracer_provider: TracerProvider, *, fail_tool: bool = False) -> str:
    """invoke_agent → chat (requests a tool) → execute_tool → chat; returns the run id."""
    tracer = tracer_provider.get_tracer("weather-agent")
    agent = {"gen_ai.agent.name": "weather_agent", "gen_ai.provider.name": "openai"}
    with tracer.start_as_current_span(
        "invoke_agent weather_agent", attributes={"gen_ai.operation.name": "invoke_agent", **agent}
    ) as root:
        with tracer.start_as_current_span("chat gpt-4o-mini", attributes=_chat(1, tool=True)):
            pass
        with tracer.start_as_current_span(
            "execute_tool get_weather",
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "get_weather",
                "gen_ai.tool.call.id": "call_1",
                "gen_ai.tool.call.arguments": json.dumps({"city": "Paris"}),
                "gen_ai.tool.call.result": json.dumps({"temp_c": 21}),
            },
        ) as tool:
            if fail_tool:
                tool.set_status(Status(StatusCode.ERROR, "TimeoutError: weather API timed out"))
                tool.set_attribute("error.type", "TimeoutError")
        with tracer.start_as_current_span("chat gpt-4o-mini", attributes=_chat(2, tool=False)):
            pass
        return format(root.get_span_context().trace_id, "032x")


def _chat(turn: int, *, tool: bool) -> dict[str, str | int | float]:
    output = (
        [
            {
                "type": "tool_call",
                "id": "call_1",
                "name": "get_weather",
                "arguments": {"city": "Paris"},
            }
        ]
        if tool
        else [{"type": "text", "content": "It is 21 °C in Paris."}]
    )
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.response.id": f"chatcmpl-{turn}",
        "gen_ai.request.temperature": 0.2,
        "gen_ai.usage.input_tokens": 100 * turn,
        "gen_ai.usage.cache_read.input_tokens": 40,
        "gen_ai.usage.output_tokens": 20,
        "gen_ai.input.messages": json.dumps(
            [{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}]
        ),
        "gen_ai.output.messages": json.dumps(
            [
                {
                    "role": "assistant",
                    "parts": output,
                    "finish_reason": "tool_call" if tool else "stop",
                }
            ]
        ),
    }
