"""Play a demo `Script` through an OpenTelemetry tracer: one `invoke_agent` root, a `chat` span per
model call with the growing conversation, an `execute_tool` span per requested tool call (same
call id), and a `compact_context` span when the agent summarizes its history.

Spans carry explicit timestamps from a `Clock`: a simulated one places past runs instantly, the
wall clock plays a run live. Given a logger, a live run streams what its model calls answer and
what its tools print (`SpanOutput`) while the spans run. Given `replay_of`, the run is traced as
`runlens.sdk.replay` records a replay of that run: its calls are served from the recording
(`runlens.action.outcome = replayed`, no token usage) until a never-replayed action has run,
and run live from there.
"""

from __future__ import annotations

import json
import math
import random
import re
import string
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from opentelemetry import trace
from opentelemetry._logs import Logger
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, Status, StatusCode

from runlens.analysis.replay.simulate import REPLAY_POLICY
from runlens.sdk.demo_scenarios import (
    TOOL_DESCRIPTIONS,
    Compaction,
    Model,
    ModelFailure,
    Reply,
    Script,
    ToolCall,
)
from runlens.sdk.output import SpanOutput, Stream
from runlens.semconv import keys

Message = dict[str, Any]


class Clock(Protocol):
    def now_ns(self) -> int: ...
    def wait(self, seconds: float) -> None: ...


class SimulatedClock:
    """Time that moves only when told to: a run from the past, traced in no time."""

    def __init__(self, start_ns: int) -> None:
        self._now = start_ns

    def now_ns(self) -> int:
        return self._now

    def wait(self, seconds: float) -> None:
        self._now += int(seconds * 1e9)


class WallClock:
    """Real time, with every wait scaled down so a live run lasts seconds, not minutes."""

    def __init__(self, scale: float) -> None:
        self._scale = scale

    def now_ns(self) -> int:
        return time.time_ns()

    def wait(self, seconds: float) -> None:
        time.sleep(seconds * self._scale)


class RunTrace:
    """One run being traced: `root` is open from construction until `play` returns."""

    def __init__(
        self,
        tracer: trace.Tracer,
        script: Script,
        clock: Clock,
        rng: random.Random,
        on_span: Callable[[str], None] = lambda name: None,
        *,
        output: Logger | None = None,
        replay_of: str = "",
    ) -> None:
        self._tracer, self._script, self._clock, self._rng = tracer, script, clock, rng
        self._on_span = on_span
        self._output = output
        self._replay_of = replay_of
        self._serving = bool(replay_of)  # until a never-replayed action has run
        self._history: list[Message] = [_message("user", _text(script.user))]
        self._compacted = False
        self._prev_input = 0
        self._conversation = "conv_" + _token(rng, 24)
        self.root = self._start(
            f"invoke_agent {script.agent}",
            None,
            {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": script.agent,
                "gen_ai.provider.name": script.model.provider,
                "gen_ai.request.model": script.model.request,
                "gen_ai.conversation.id": self._conversation,
                "gen_ai.input.messages": _json(self._history),
            },
        )

    @property
    def run_id(self) -> str:
        return format(self.root.get_span_context().trace_id, "032x")

    def readable_root(self) -> ReadableSpan:
        if not isinstance(self.root, ReadableSpan):
            raise TypeError("the tracer must come from the OpenTelemetry SDK")
        return self.root

    def play(self) -> None:
        parent = trace.set_span_in_context(self.root)
        for step in self._script.steps:
            self._clock.wait(self._rng.uniform(0.005, 0.03))
            if isinstance(step, Reply):
                call_ids = self._chat(step, parent)
                for call_id, call in zip(call_ids, step.calls, strict=True):
                    self._tool(call_id, call, parent)
            elif isinstance(step, Compaction):
                self._compact(step, parent)
            else:
                self._chat_fails(step, parent)
                self._end(self.root, error=step)
                return
        self.root.set_attribute("gen_ai.output.messages", _json(self._history[-1:]))
        self._end(self.root)

    def _chat(self, reply: Reply, parent: Context, *, summarizing: bool = False) -> list[str]:
        """Trace one model call; returns the ids of the tool calls it requested."""
        model = self._script.model
        messages = [*self._history, _SUMMARIZE] if summarizing else self._history
        span = self._start(
            f"chat {model.request}", parent, self._request_attributes(messages), SpanKind.CLIENT
        )
        call_ids = [self._call_id() for _ in reply.calls]
        parts: list[dict[str, Any]] = [_text(reply.text)] if reply.text else []
        parts += [
            {"type": "tool_call", "id": call_id, "name": call.name, "arguments": call.arguments}
            for call_id, call in zip(call_ids, reply.calls, strict=True)
        ]
        finish = "tool_call" if reply.calls else "stop"
        answer = _message("assistant", *parts)
        input_tokens = _tokens(self._script.system, messages, self._script.tools)
        output_tokens = _tokens(parts) + reply.reasoning_tokens
        # The repeated prefix (system prompt, earlier turns) is served from the provider's cache.
        cached = (self._prev_input // 128) * 128 if self._prev_input >= 512 else 0
        self._prev_input = input_tokens
        seconds = 0.35 + output_tokens * 0.012 + self._rng.uniform(0.0, 0.6)
        self._pace(span, "model", re.findall(r"\S+\s*", reply.text), seconds)
        usage: dict[str, int] = {
            "gen_ai.usage.input_tokens": input_tokens,
            "gen_ai.usage.output_tokens": output_tokens,
        }
        if cached and model.provider != "vllm":
            usage["gen_ai.usage.cache_read.input_tokens"] = min(cached, input_tokens)
        if reply.reasoning_tokens:
            usage["gen_ai.usage.reasoning.output_tokens"] = reply.reasoning_tokens
        if self._serving:
            usage = {}  # served from the recording: no model request, nothing spent
            span.set_attribute(keys.RUNLENS_ACTION_OUTCOME, "replayed")
        span.set_attributes(
            {
                "gen_ai.response.model": model.response,
                "gen_ai.response.id": _response_id(model, self._rng),
                "gen_ai.response.finish_reasons": [finish],
                "gen_ai.output.messages": _json([{**answer, "finish_reason": finish}]),
                **usage,
            }
        )
        if not summarizing:
            self._history.append(answer)
        self._end(span)
        return call_ids

    def _request_attributes(self, messages: list[Message]) -> dict[str, Any]:
        model = self._script.model
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": model.provider,
            "gen_ai.request.model": model.request,
            "gen_ai.request.max_tokens": 4096,
            "gen_ai.conversation.id": self._conversation,
            "server.address": model.server,
            "server.port": 443,
            "gen_ai.system_instructions": _json([{"type": "text", "content": self._script.system}]),
            "gen_ai.input.messages": _json(messages),
            "gen_ai.tool.definitions": _json(
                [
                    {"type": "function", "name": tool, "description": TOOL_DESCRIPTIONS[tool]}
                    for tool in self._script.tools
                ]
            ),
        }
        if not model.reasoning:
            attributes["gen_ai.request.temperature"] = 0.2
        if self._compacted:
            attributes["gen_ai.conversation.compacted"] = True
            self._compacted = False
        return attributes

    def _tool(self, call_id: str, call: ToolCall, parent: Context) -> None:
        attributes = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": call.name,
            "gen_ai.tool.type": "function",
            "gen_ai.tool.description": TOOL_DESCRIPTIONS[call.name],
            "gen_ai.tool.call.id": call_id,
            "gen_ai.tool.call.arguments": _json(call.arguments),
        }
        if call.policy:
            attributes[REPLAY_POLICY] = call.policy
        span = self._start(f"execute_tool {call.name}", parent, attributes)
        seconds = call.seconds * self._rng.uniform(0.8, 1.25)
        if call.policy == "never":
            self._serving = False  # it runs again: what follows may differ from the recording
        elif self._serving:
            span.set_attribute(keys.RUNLENS_ACTION_OUTCOME, "replayed")
        self._pace(span, "stdout", call.stdout, seconds)
        if call.error is None:
            span.set_attribute("gen_ai.tool.call.result", _json(call.result))
            response: Any = call.result
        else:
            response = f"{call.error[0]}: {call.error[1]}"
        self._history.append(
            _message("tool", {"type": "tool_call_response", "id": call_id, "response": response})
        )
        self._end(span, error=ModelFailure(*call.error) if call.error else None)

    def _compact(self, step: Compaction, parent: Context) -> None:
        before = list(self._history)
        tokens_before = _tokens(self._script.system, before, self._script.tools)
        span = self._start(
            "compact_context",
            parent,
            {
                "gen_ai.operation.name": "compact_context",
                "gen_ai.conversation.id": self._conversation,
                "runlens.compaction.strategy": "summarize",
                "runlens.compaction.trigger": step.trigger,
                "runlens.compaction.messages_before": len(before),
            },
        )
        self._chat(Reply(step.summary), trace.set_span_in_context(span), summarizing=True)
        summary = _message("user", _text(f"[Summary of the work so far] {step.summary}"))
        self._history = [before[0], summary, *before[-step.keep_last :]]
        self._compacted = True
        span.set_attributes(
            {
                "runlens.compaction.messages_after": len(self._history),
                "runlens.compaction.tokens_before": tokens_before,
                "runlens.compaction.tokens_after": _tokens(
                    self._script.system, self._history, self._script.tools
                ),
            }
        )
        self._end(span)

    def _chat_fails(self, failure: ModelFailure, parent: Context) -> None:
        span = self._start(
            f"chat {self._script.model.request}",
            parent,
            self._request_attributes(self._history),
            SpanKind.CLIENT,
        )
        self._clock.wait(self._rng.uniform(0.2, 0.5))
        self._end(span, error=failure)

    def _end(self, span: trace.Span, *, error: ModelFailure | None = None) -> None:
        now = self._clock.now_ns()
        if error is not None:
            span.set_status(Status(StatusCode.ERROR, f"{error.error_type}: {error.message}"))
            span.set_attribute("error.type", error.error_type)
            span.add_event(
                "exception",
                {"exception.type": error.error_type, "exception.message": error.message},
                timestamp=now,
            )
        span.end(end_time=now)
        self._on_span(span.name if isinstance(span, ReadableSpan) else "")

    def _start(
        self,
        name: str,
        parent: Context | None,
        attributes: dict[str, Any],
        kind: SpanKind = SpanKind.INTERNAL,
    ) -> trace.Span:
        if self._replay_of:
            attributes[keys.RUNLENS_REPLAY_OF] = self._replay_of
        return self._tracer.start_span(
            name, context=parent, kind=kind, start_time=self._clock.now_ns(), attributes=attributes
        )

    def _pace(
        self, span: trace.Span, stream: Stream, chunks: Sequence[str], seconds: float
    ) -> None:
        """Let `seconds` pass on the clock; a live run streams `chunks` meanwhile, evenly."""
        if self._output is None or not chunks:
            self._clock.wait(seconds)
            return
        step = seconds / (len(chunks) + 1)
        self._clock.wait(step)
        with SpanOutput(self._output, span, stream) as out:
            for chunk in chunks:
                out.write(chunk)
                self._clock.wait(step)

    def _call_id(self) -> str:
        if self._script.model.provider == "anthropic":
            return "toolu_01" + _token(self._rng, 22)
        return "call_" + _token(self._rng, 24)


_SUMMARIZE = {
    "role": "user",
    "parts": [{"type": "text", "content": "Summarize the conversation so far for yourself."}],
}


def _message(role: str, *parts: dict[str, Any]) -> Message:
    return {"role": role, "parts": list(parts)}


def _text(content: str) -> dict[str, Any]:
    return {"type": "text", "content": content}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _tokens(*parts: Any) -> int:
    """About four characters per token, as the tokenizers of these models average on English."""
    return max(1, math.ceil(sum(len(p if isinstance(p, str) else _json(p)) for p in parts) / 4))


def _token(rng: random.Random, length: int) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=length))


def _response_id(model: Model, rng: random.Random) -> str:
    if model.provider == "anthropic":
        return "msg_01" + _token(rng, 22)
    if model.provider == "openai":
        return "chatcmpl-" + _token(rng, 29)
    return "cmpl-" + format(rng.getrandbits(128), "032x")
