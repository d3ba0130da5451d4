"""Runs shaped as real instrumentation stacks emit them, built with the real OpenTelemetry SDK.

Span names, nesting and attributes follow captures of openai-agents 0.25 with
openinference-instrumentation-openai-agents 2.6 and openinference-instrumentation-openai 0.1.66
(both on, as auto-instrumentation does), and of langchain 1.5 `create_agent` with
openinference-instrumentation-langchain 0.1.80, run against an offline OpenAI-compatible server.
"""

from __future__ import annotations

import json
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

from tests.api.workload import Recorder

Attrs = dict[str, Any]
CALL_ID = "call_w1"
INPUT_TOKENS, OUTPUT_TOKENS = 150, 20


class Stack:
    """Opens and ends spans with explicit parents on a `Recorder`'s tracer and clock."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def open(self, name: str, attrs: Attrs, parent: Span | None = None) -> Span:
        context = trace.set_span_in_context(parent) if parent is not None else None
        return self.recorder.tracer.start_span(
            name, context=context, attributes=attrs, start_time=self.recorder.tick()
        )

    def close(self, span: Span, error: str | None = None) -> Span:
        if error is None:
            span.set_status(Status(StatusCode.OK))  # OpenInference sets OK explicitly
        else:
            span.set_status(Status(StatusCode.ERROR, error))
        span.end(end_time=self.recorder.tick())
        return span

    def leaf(self, name: str, attrs: Attrs, parent: Span, error: str | None = None) -> Span:
        return self.close(self.open(name, attrs, parent), error)


def oi(kind: str, **attrs: Any) -> Attrs:
    return {"openinference.span.kind": kind, **attrs}


def oi_output(tool_call: bool) -> Attrs:
    """OpenInference output messages: a tool call, or the final answer."""
    prefix = "llm.output_messages.0.message"
    if not tool_call:
        return {f"{prefix}.role": "assistant", f"{prefix}.content": "It is sunny in Paris."}
    call = f"{prefix}.tool_calls.0.tool_call"
    return {
        f"{prefix}.role": "assistant",
        f"{call}.id": CALL_ID,
        f"{call}.function.name": "get_weather",
        f"{call}.function.arguments": json.dumps({"city": "Paris"}),
    }


def oi_input(tool_call: bool) -> Attrs:
    """OpenInference input messages: the question, then (after the tool ran) the assistant's
    tool call and the tool's result."""
    prefix = "llm.input_messages"
    messages: Attrs = {
        f"{prefix}.0.message.role": "system",
        f"{prefix}.0.message.content": "Use tools.",
        f"{prefix}.1.message.role": "user",
        f"{prefix}.1.message.content": "Weather in Paris?",
    }
    if not tool_call:
        call = f"{prefix}.2.message.tool_calls.0.tool_call"
        messages |= {
            f"{prefix}.2.message.role": "assistant",
            f"{call}.id": CALL_ID,
            f"{call}.function.name": "get_weather",
            f"{call}.function.arguments": json.dumps({"city": "Paris"}),
            f"{prefix}.3.message.role": "tool",
            f"{prefix}.3.message.content": "sunny",
            f"{prefix}.3.message.tool_call_id": CALL_ID,
        }
    return messages


def generation(tool_call: bool) -> Attrs:
    """The Agents SDK's `generation` span (Chat Completions path): no response id."""
    return oi(
        "LLM",
        **{
            "llm.system": "openai",
            "llm.model_name": "gpt-4o-mini",
            "llm.token_count.prompt": INPUT_TOKENS,
            "llm.token_count.completion": OUTPUT_TOKENS,
        },
        **oi_input(tool_call),
        **oi_output(tool_call),
    )


def chat_completion(response_id: str, tool_call: bool) -> Attrs:
    """openinference-instrumentation-openai's `ChatCompletion` span: its own response id."""
    return oi(
        "LLM",
        **{
            "llm.system": "openai",
            "llm.model_name": "gpt-4o-mini-2024-07-18",
            "llm.invocation_parameters": json.dumps({"model": "gpt-4o-mini"}),
            "llm.token_count.prompt": INPUT_TOKENS,
            "llm.token_count.completion": OUTPUT_TOKENS,
            "llm.token_count.total": INPUT_TOKENS + OUTPUT_TOKENS,
            "output.value": json.dumps({"id": response_id, "object": "chat.completion"}),
        },
        **oi_input(tool_call),
        **oi_output(tool_call),
    )


def get_weather(output: str = "sunny") -> Attrs:
    return oi("TOOL", **{"tool.name": "get_weather", "input.value": '{"city": "Paris"}'}) | {
        "output.value": output
    }


class AgentsRun:
    """Agent workflow (AGENT, root) → Agent workflow (CHAIN) → weather_agent (AGENT) → one
    `turn` (CHAIN) per model round trip holding `generation` → `ChatCompletion` and the tool."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.root = stack.open("Agent workflow", oi("AGENT"))
        self.task = stack.open("Agent workflow", oi("CHAIN"), self.root)
        self.agent = stack.open(
            "weather_agent",
            oi("AGENT", **{"agent.name": "weather_agent", "graph.node.id": "weather_agent"}),
            self.task,
        )

    def turn(self, response_id: str, tool_call: bool, tool_error: str | None = None) -> None:
        stack = self.stack
        turn = stack.open("turn", oi("CHAIN"), self.agent)
        wrapper = stack.open("generation", generation(tool_call), turn)
        stack.leaf("ChatCompletion", chat_completion(response_id, tool_call), wrapper)
        stack.close(wrapper)
        if tool_call:
            stack.leaf("get_weather", get_weather(), turn, error=tool_error)
        stack.close(turn)

    def failed_turn(self, error: str) -> None:
        """A call refused by the provider (context length exceeded): no usage."""
        stack = self.stack
        turn = stack.open("turn", oi("CHAIN"), self.agent)
        refused = oi("LLM", **{"llm.system": "openai", "llm.model_name": "gpt-4o-mini"})
        wrapper = stack.open("generation", refused, turn)
        stack.leaf(
            "ChatCompletion",
            oi(
                "LLM",
                **{
                    "llm.system": "openai",
                    "llm.invocation_parameters": json.dumps({"model": "gpt-4o-mini"}),
                },
            ),
            wrapper,
            error=f"BadRequestError: {error}",
        )
        stack.close(wrapper, error=f"Error getting response: {{'error': '{error}'}}")
        stack.close(turn)

    def end(self, agent_error: str | None = None) -> str:
        """End the agent, the task and the root (the root ends OK, as the SDK's does)."""
        error = None if agent_error is None else f"Error in agent run: {{'error': '{agent_error}'}}"
        self.stack.close(self.agent, error)
        self.stack.close(self.task)
        self.stack.close(self.root)
        return format(self.root.get_span_context().trace_id, "032x")


def genai_chat(tool_call: bool, **usage: Any) -> Attrs:
    """A GenAI chat span: the question (and after the tool ran, the assistant's tool call and
    the result), then the tool call or the final answer."""
    call = {"type": "tool_call", "id": CALL_ID, "name": "get_weather", "arguments": {}}
    asked = {"role": "assistant", "parts": [call]}
    inputs = [
        {"role": "system", "parts": [{"type": "text", "content": "Use tools."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
    ]
    if tool_call:
        output = asked
    else:
        result = {"type": "tool_call_response", "id": CALL_ID, "response": "sunny"}
        inputs += [asked, {"role": "tool", "parts": [result]}]
        text = {"type": "text", "content": "It is sunny in Paris."}
        output = {"role": "assistant", "parts": [text]}
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.input.messages": json.dumps(inputs),
        "gen_ai.output.messages": json.dumps([output]),
        **usage,
    }


class TraceloopRun:
    """opentelemetry-instrumentation-openai-agents and -openai 0.62 (Traceloop), Chat
    Completions path: Agent Workflow (workflow, root) → weather_agent.agent → `openai.response`
    (the SDK's call, no usage) → `openai.chat` (the client's, with usage and response id);
    `get_weather.tool` beside the call."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.root = stack.open(
            "Agent Workflow",
            {"traceloop.span.kind": "workflow", "traceloop.workflow.name": "Agent Workflow"},
        )
        self.agent = stack.open(
            "weather_agent.agent",
            {
                "traceloop.span.kind": "agent",
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": "weather_agent",
            },
            self.root,
        )

    def turn(self, response_id: str, tool_call: bool, tool_error: str | None = None) -> None:
        stack = self.stack
        wrapper = stack.open("openai.response", genai_chat(tool_call), self.agent)
        usage = {
            "gen_ai.response.id": response_id,
            "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
            "gen_ai.usage.input_tokens": INPUT_TOKENS,
            "gen_ai.usage.output_tokens": OUTPUT_TOKENS,
        }
        stack.leaf("openai.chat", genai_chat(tool_call, **usage), wrapper)
        stack.close(wrapper)
        if tool_call:
            tool = {
                "traceloop.span.kind": "tool",
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "get_weather",
                "gen_ai.tool.call.arguments": '{"city": "Paris"}',
                "gen_ai.tool.call.result": "sunny",
            }
            stack.leaf("get_weather.tool", tool, self.agent, error=tool_error)

    def failed_turn(self, error: str) -> None:
        stack = self.stack
        refused = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini"}
        wrapper = stack.open("openai.response", refused, self.agent)
        stack.leaf("openai.chat", refused, wrapper, error=f"BadRequestError: {error}")
        stack.close(wrapper, error=error)

    def end(self, agent_error: str | None = None) -> str:
        self.stack.close(self.agent, agent_error)
        self.stack.close(self.root)
        return format(self.root.get_span_context().trace_id, "032x")
