"""The benchmark workload: agent runs as finished OTel SDK spans (`ReadableSpan`), in batches of
the size a `BatchSpanProcessor` exports.

Each run is an `invoke_agent` root, 3-7 `chat` spans and the `execute_tool` spans between them.
Chat spans carry what GenAI instrumentations record with content capture on: the agent's system
prompt (the same on every call), the conversation so far (growing per turn, oldest turns dropped
past a window as agents do), tool definitions, the answer and usage. Text is drawn from a
Zipf-weighted synthetic vocabulary so it compresses about as well as English prose, and differs
from run to run, so the bytes on disk are not flattered by identical payloads.

`openinference=True` adds what an OpenInference instrumentation records on the same spans
(dual instrumentation): `openinference.span.kind`, `llm.*` and `tool.*` keys, and the same
payloads again as `input.value` / `output.value`. `as_instrumented=True` writes JSON as
`json.dumps` does by default (`", "`, `": "`) and the system prompt as the first input message,
as the OTel GenAI instrumentations send them (and as the shared yardstick does).
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, TraceFlags

_SCOPE = InstrumentationScope("bench.agent", "1.0.0")
_MODELS = ("gpt-4o-mini", "gpt-4.1", "claude-sonnet-4", "o4-mini")
_TOOLS = ("web_search", "read_file", "run_sql", "fetch_page", "lookup_order", "run_tests")
_HISTORY_WINDOW = 3_500  # characters of conversation kept in each chat request


class Vocabulary:
    """Synthetic words with Zipf-like frequencies: English-like entropy without a word list."""

    def __init__(self, rng: random.Random, size: int = 4_000) -> None:
        syllables = [a + b for a in "bcdfghklmnprstvz" for b in ("a", "e", "i", "o", "u", "ai")]
        self.words = [
            "".join(rng.choices(syllables, k=rng.choice((1, 2, 2, 3, 3, 4)))) for _ in range(size)
        ]
        self._cumulative = list(itertools.accumulate(1.0 / rank for rank in range(1, size + 1)))

    def text(self, rng: random.Random, words: int) -> str:
        chosen = rng.choices(self.words, cum_weights=self._cumulative, k=words)
        return " ".join(chosen).capitalize() + "."


class Workload:
    """Deterministic agent runs for one sender: `batches()` yields lists of `batch_size` spans."""

    def __init__(
        self,
        seed: int,
        sender: int,
        start_ns: int,
        *,
        openinference: bool = False,
        as_instrumented: bool = False,
    ) -> None:
        """Runs start at `start_ns` (recent: older spans would fall outside the retention)."""
        self._openinference = openinference
        self._instrumented = as_instrumented
        self._json = _spaced if as_instrumented else _json
        self._rng = random.Random(f"{seed}:{sender}")
        words = Vocabulary(random.Random(seed))
        self._words = words
        agents_rng = random.Random(f"{seed}:agents")
        # Eight agents, each with its own long system prompt, shared by all senders.
        self._agents = [
            (f"agent_{n}", words.text(agents_rng, agents_rng.randint(180, 300))) for n in range(8)
        ]
        self._resource = Resource.create({"service.name": f"bench-agents-{sender}"})
        self._clock = start_ns + sender * 1_000_000_000

    def batches(self, spans: int, batch_size: int) -> list[list[ReadableSpan]]:
        stream = itertools.islice(self._spans(), spans)
        out: list[list[ReadableSpan]] = []
        while batch := list(itertools.islice(stream, batch_size)):
            out.append(batch)
        return out

    def _spans(self) -> Iterator[ReadableSpan]:
        while True:
            yield from self._run()

    def _run(self) -> list[ReadableSpan]:
        rng, words = self._rng, self._words
        agent, system = rng.choice(self._agents)
        model = rng.choice(_MODELS)
        trace_id = rng.getrandbits(128) | 1
        root = SpanContext(trace_id, rng.getrandbits(64) | 1, False, TraceFlags(1))
        # Many agents run at once: a run starts every 50-500 ms, overlapping the previous ones.
        start = self._clock = self._clock + rng.randint(50, 500) * 1_000_000
        now = start + rng.randint(5, 50) * 1_000_000
        spans: list[ReadableSpan] = []
        question = words.text(rng, rng.randint(15, 60))
        history: list[dict[str, Any]] = [_message("user", {"type": "text", "content": question})]
        turns = rng.randint(3, 7)
        tools = [
            {"type": "function", "name": tool, "description": words.text(rng, 12)}
            for tool in rng.sample(_TOOLS, 3)
        ]
        for turn in range(turns):
            last = turn == turns - 1
            call_id = "call_" + format(rng.getrandbits(96), "024x")
            tool = str(rng.choice(tools)["name"])
            if last:
                part: dict[str, Any] = {"type": "text", "content": words.text(rng, 90)}
            else:
                arguments = {"query": words.text(rng, rng.randint(4, 12)), "limit": 10}
                part = {"type": "tool_call", "id": call_id, "name": tool, "arguments": arguments}
            attributes = self._chat(model, system, _window(history), part, tools=tools, last=last)
            end = now + rng.randint(400, 4_000) * 1_000_000
            spans.append(
                self._span(
                    f"chat {model}", root, attributes, start=now, end=end, kind=SpanKind.CLIENT
                )
            )
            history.append(_message("assistant", part))
            now = end + rng.randint(2, 20) * 1_000_000
            if last:
                break
            result = words.text(rng, rng.randint(80, 400))
            tool_attributes = {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": tool,
                "gen_ai.tool.call.id": call_id,
                "gen_ai.tool.call.arguments": self._json(part["arguments"]),
                "gen_ai.tool.call.result": result,
            }
            if self._openinference:
                tool_attributes |= _openinference_tool(tool_attributes)
            end = now + rng.randint(20, 3_000) * 1_000_000
            spans.append(
                self._span(f"execute_tool {tool}", root, tool_attributes, start=now, end=end)
            )
            response = {"type": "tool_call_response", "id": call_id, "response": result}
            history.append(_message("tool", response))
            now = end + rng.randint(2, 20) * 1_000_000
        root_attributes = {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": agent,
            "gen_ai.request.model": model,
            "gen_ai.input.messages": self._json(history[:1]),
            "gen_ai.output.messages": self._json(history[-1:]),
        }
        if self._openinference:
            answer = str(history[-1]["parts"][0].get("content", ""))
            root_attributes |= _openinference_agent(agent, question, answer)
        spans.append(
            self._span(
                f"invoke_agent {agent}", None, root_attributes, start=start, end=now, ctx=root
            )
        )
        return spans

    def _chat(
        self,
        model: str,
        system: str,
        window: list[dict[str, Any]],
        part: dict[str, Any],
        *,
        tools: list[dict[str, str]],
        last: bool,
    ) -> dict[str, Any]:
        """A chat span's attributes: the request `window`, the answer `part`."""
        rng = self._rng
        if self._instrumented:
            window.insert(0, _message("system", {"type": "text", "content": system}))
        sent = self._json(window)
        input_tokens = (len(sent) + (0 if self._instrumented else len(system))) // 4
        attributes = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "anthropic" if model.startswith("claude") else "openai",
            "gen_ai.request.model": model,
            "gen_ai.response.model": model,
            "gen_ai.response.id": "chatcmpl-" + format(rng.getrandbits(116), "029x"),
            "gen_ai.request.temperature": 0.2,
            "gen_ai.response.finish_reasons": ["stop" if last else "tool_call"],
            "gen_ai.usage.input_tokens": input_tokens,
            "gen_ai.usage.cache_read.input_tokens": (input_tokens // 2 // 128) * 128,
            "gen_ai.usage.output_tokens": rng.randint(20, 400),
            "gen_ai.input.messages": sent,
            "gen_ai.output.messages": self._json([_message("assistant", part)]),
            "gen_ai.tool.definitions": self._json(tools),
        }
        if not self._instrumented:
            system_part = [{"type": "text", "content": system}]
            attributes["gen_ai.system_instructions"] = self._json(system_part)
        if self._openinference:
            attributes |= _openinference_llm(attributes, self._json({"temperature": 0.2}))
        return attributes

    def _span(
        self,
        name: str,
        parent: SpanContext | None,
        attributes: dict[str, Any],
        *,
        start: int,
        end: int,
        kind: SpanKind = SpanKind.INTERNAL,
        ctx: SpanContext | None = None,
    ) -> ReadableSpan:
        if ctx is None:
            assert parent is not None
            ctx = SpanContext(parent.trace_id, self._rng.getrandbits(64) | 1, False, TraceFlags(1))
        return ReadableSpan(
            name=name,
            context=ctx,
            parent=parent,
            resource=self._resource,
            attributes=attributes,
            kind=kind,
            start_time=start,
            end_time=end,
            instrumentation_scope=_SCOPE,
        )


def _openinference_llm(genai: dict[str, Any], parameters: str) -> dict[str, Any]:
    """What OpenInference records on an LLM span that GenAI attributes describe too."""
    prompt, completion = genai["gen_ai.usage.input_tokens"], genai["gen_ai.usage.output_tokens"]
    return {
        "openinference.span.kind": "LLM",
        "llm.model_name": genai["gen_ai.request.model"],
        "llm.provider": genai["gen_ai.provider.name"],
        "llm.invocation_parameters": parameters,
        "llm.token_count.prompt": prompt,
        "llm.token_count.completion": completion,
        "llm.token_count.total": prompt + completion,
        "input.value": genai["gen_ai.input.messages"],
        "input.mime_type": "application/json",
        "output.value": genai["gen_ai.output.messages"],
        "output.mime_type": "application/json",
    }


def _openinference_tool(genai: dict[str, str]) -> dict[str, str]:
    return {
        "openinference.span.kind": "TOOL",
        "tool.name": genai["gen_ai.tool.name"],
        "input.value": genai["gen_ai.tool.call.arguments"],
        "input.mime_type": "application/json",
        "output.value": genai["gen_ai.tool.call.result"],
        "output.mime_type": "text/plain",
    }


def _openinference_agent(agent: str, question: str, answer: str) -> dict[str, str]:
    return {
        "openinference.span.kind": "AGENT",
        "agent.name": agent,
        "input.value": question,
        "input.mime_type": "text/plain",
        "output.value": answer,
        "output.mime_type": "text/plain",
    }


def _message(role: str, part: dict[str, Any]) -> dict[str, Any]:
    return {"role": role, "parts": [part]}


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _spaced(value: Any) -> str:
    return json.dumps(value)


def _window(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The request's messages: the first user message and as many recent turns as fit."""
    kept = [history[0]]
    size = len(_json(history[0]))
    for message in reversed(history[1:]):
        size += len(_json(message))
        if size > _HISTORY_WINDOW and len(kept) > 1:
            break
        kept.insert(1, message)
    return kept
