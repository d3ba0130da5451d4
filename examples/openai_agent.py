"""A weather agent on the OpenAI SDK, traced by openinference-instrumentation-openai, in runlens.

The agent asks the model, runs the tools the model calls, and asks again until the model
answers in text. OpenInference traces each model call; the agent adds the AGENT span around
the run (its trace is the runlens run) and a TOOL span per tool execution, carrying the tool call
id so runlens links each call to its execution. Spans go to runlens with the standard OTLP
exporter (gRPC; `OTEL_EXPORTER_OTLP_ENDPOINT`, default `http://localhost:4317`).

Offline, against the fake OpenAI-compatible server in this folder (three terminals, from the
repository root, after `make e2e-deps` has installed the instrumentation libraries):

    .venv/bin/runlens serve
    .venv/bin/python examples/fake_openai_server.py --port 9100
    OPENAI_BASE_URL=http://127.0.0.1:9100/v1 OPENAI_API_KEY=fake \\
        .venv/bin/python examples/openai_agent.py "What is the weather in Paris?"

It prints the answer and the run id (open it at http://127.0.0.1:8000, or query
`run(id: ...)` on /graphql). `--stream` streams every model call; a question containing
`[overflow]` makes the fake server refuse the prompt as too long, and the run fails. With a real
OpenAI key, leave OPENAI_BASE_URL unset.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

import openai
from openinference.instrumentation.openai import OpenAIInstrumentor
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

AGENT = "weather_agent"
SYSTEM = "You are a weather assistant. Use the tools to answer."
MAX_STEPS = 5


def get_weather(city: str) -> str:
    return f"Sunny, 21 °C in {city}"


TOOLS: dict[str, Callable[..., str]] = {"get_weather": get_weather}
TOOL_SCHEMAS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The current weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def ask(client: openai.OpenAI, model: str, messages: list[Any], stream: bool) -> dict[str, Any]:
    """One model call; the assistant message as a dict (streamed chunks put back together)."""
    if not stream:
        response = client.chat.completions.create(
            model=model, messages=messages, tools=TOOL_SCHEMAS
        )
        return response.choices[0].message.model_dump(exclude_none=True)
    chunks = client.chat.completions.create(
        model=model,
        messages=messages,
        tools=TOOL_SCHEMAS,
        stream=True,
        stream_options={"include_usage": True},
    )
    text: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        for choice in chunk.choices:
            text.append(choice.delta.content or "")
            for delta in choice.delta.tool_calls or []:
                call = calls.setdefault(
                    delta.index,
                    {"id": "", "type": "function", "function": {"name": "", "arguments": ""}},
                )
                call["id"] = delta.id or call["id"]
                if delta.function is not None:
                    call["function"]["name"] += delta.function.name or ""
                    call["function"]["arguments"] += delta.function.arguments or ""
    message: dict[str, Any] = {"role": "assistant", "content": "".join(text) or None}
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    return message


def run_tool(tracer: trace.Tracer, call: dict[str, Any]) -> str:
    """Runs one requested tool inside an OpenInference TOOL span."""
    name, arguments = call["function"]["name"], call["function"]["arguments"]
    attributes = {
        "openinference.span.kind": "TOOL",
        "tool.name": name,
        "tool.id": call["id"],
        "input.value": arguments,
        "input.mime_type": "application/json",
    }
    with tracer.start_as_current_span(name, attributes=attributes) as span:
        result = TOOLS[name](**json.loads(arguments))
        span.set_attribute("output.value", result)
        return result


def run_agent(
    question: str, *, model: str = "gpt-4o-mini", stream: bool = False
) -> tuple[str, str | None]:
    """Runs the agent on the global tracer provider; returns (run id, answer or None if a model
    call failed: the run's spans say why)."""
    tracer = trace.get_tracer("weather-agent")
    client = openai.OpenAI()
    messages: list[Any] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": question},
    ]
    agent_attributes = {
        "openinference.span.kind": "AGENT",
        "agent.name": AGENT,
        "input.value": question,
    }
    with tracer.start_as_current_span(AGENT, attributes=agent_attributes) as root:
        run_id = format(root.get_span_context().trace_id, "032x")
        for _ in range(MAX_STEPS):
            try:
                message = ask(client, model, messages, stream)
            except openai.APIError as exc:
                root.record_exception(exc)
                root.set_status(trace.Status(trace.StatusCode.ERROR, f"model call failed: {exc}"))
                return run_id, None
            messages.append(message)
            if not message.get("tool_calls"):
                answer = str(message.get("content") or "")
                root.set_attribute("output.value", answer)
                return run_id, answer
            for call in message["tool_calls"]:
                result = run_tool(tracer, call)
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})
        raise RuntimeError(f"no answer after {MAX_STEPS} steps")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("question", nargs="?", default="What is the weather in Paris?")
    parser.add_argument("--model", default="gpt-4o-mini")
    parser.add_argument("--stream", action="store_true", help="stream every model call")
    args = parser.parse_args()

    provider = TracerProvider(resource=Resource.create({"service.name": "openai-weather-agent"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    try:
        run_id, answer = run_agent(args.question, model=args.model, stream=args.stream)
    finally:
        provider.shutdown()  # sends what is still buffered
    print(answer if answer is not None else "the model call failed (see the run)")
    print(f"run {run_id}")
    return 0 if answer is not None else 1


if __name__ == "__main__":
    sys.exit(main())
