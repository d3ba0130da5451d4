"""What an LLM call saw: its input messages as context items, each marked new or not.

An item is new when its canonical JSON (`role` + `parts`, keys sorted) is not among the input
or output messages of the previous LLM call of the run. Empty text parts (streamed tool-call
turns carry one) are dropped before messages are compared or their text joined. Kinds:
`system_prompt`, `summary` (a message whose text is the output of a summarization in the same
run), `tool_result`, `tool_call` (an assistant message that only requests tools) and `message`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from runlens.runs.view import RunView
from runlens.semconv.records import SpanKind, SpanRecord


@dataclass(frozen=True, slots=True)
class ContextEntry:
    role: str
    kind: str
    content: str
    parts: list[Any]
    is_new: bool


def messages_of(payload: str) -> list[dict[str, Any]]:
    """The canonical message list stored in `input` / `output` (empty when it is not one)."""
    try:
        data = json.loads(payload) if payload else None
    except ValueError:
        return []
    if not isinstance(data, list):
        return []
    return [m for m in data if isinstance(m, dict)]


def parts_of(message: dict[str, Any]) -> list[Any]:
    """The message's parts without empty text parts."""
    parts = message.get("parts")
    if not isinstance(parts, list):
        return []
    return [p for p in parts if not (isinstance(p, dict) and _empty_text(p))]


def _empty_text(part: dict[str, Any]) -> bool:
    return part.get("type") == "text" and not part.get("content")


def message_key(message: dict[str, Any]) -> str:
    canonical = {"role": message.get("role", ""), "parts": parts_of(message)}
    return json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def message_text(message: dict[str, Any]) -> str:
    pieces: list[str] = []
    for part in parts_of(message):
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind in ("text", "reasoning", "thinking"):
            pieces.append(str(part.get("content", "")))
        elif kind == "tool_call":
            arguments = json.dumps(part.get("arguments"), ensure_ascii=False)
            pieces.append(f"{part.get('name', '')}({arguments})")
        elif kind == "tool_call_response":
            response = part.get("response")
            pieces.append(
                response if isinstance(response, str) else json.dumps(response, ensure_ascii=False)
            )
        else:
            pieces.append(json.dumps(part, ensure_ascii=False))
    return "\n".join(pieces)


def output_text(span: SpanRecord) -> str:
    """The text of a span's output messages (or its output as stored if not messages)."""
    messages = messages_of(span.output)
    if not messages:
        return span.output
    return "\n".join(text for text in (message_text(m) for m in messages) if text)


REASONING_PARTS = ("reasoning", "thinking")  # the GenAI part type; pydantic-ai's older name


def response_text(span: SpanRecord) -> str:
    """`output_text` without the model's reasoning (`reasoning_text` has it)."""
    messages = messages_of(span.output)
    if not messages:
        return span.output
    answers = [{**m, "parts": [p for p in parts_of(m) if not _is_reasoning(p)]} for m in messages]
    return "\n".join(text for text in (message_text(m) for m in answers) if text)


def reasoning_text(span: SpanRecord) -> str:
    """The reasoning (thinking) parts of a span's output messages, in order: "" when none."""
    return "\n\n".join(
        str(part.get("content") or "")
        for message in messages_of(span.output)
        for part in parts_of(message)
        if _is_reasoning(part) and part.get("content")
    )


def _is_reasoning(part: Any) -> bool:
    return isinstance(part, dict) and part.get("type") in REASONING_PARTS


def content_captured(span: SpanRecord) -> bool:
    """Whether the call arrived with any of its content (prompt or answer, from attributes or
    log events): instrumentations leave it out unless told to capture it (docs/api.md)."""
    for payload in (span.input, span.output):
        messages = messages_of(payload)
        if any(_has_content(part) for m in messages for part in m.get("parts") or ()):
            return True
        if not messages and _loaded(payload) not in (None, "", [], {}):
            return True
    return False


def _has_content(part: Any) -> bool:
    if not isinstance(part, dict):
        return part not in (None, "")
    kind = part.get("type")
    if kind in ("text", "reasoning", "thinking"):
        return bool(str(part.get("content") or "").strip())
    if kind == "tool_call":
        return part.get("arguments") not in (None, "")
    if kind == "tool_call_response":
        return part.get("response") not in (None, "")
    return True  # images, files, anything else sent is content


def _loaded(payload: str) -> Any:
    try:
        return json.loads(payload) if payload else None
    except ValueError:
        return payload.strip()


def _kind(message: dict[str, Any], summaries: set[str]) -> str:
    role = message.get("role", "")
    parts = [p for p in parts_of(message) if isinstance(p, dict)]
    types = {p.get("type") for p in parts}
    if role == "system":
        return "system_prompt"
    if summaries and message_text(message).strip() in summaries:
        return "summary"
    if role == "tool" or (types and types <= {"tool_call_response"}):
        return "tool_result"
    if types and types <= {"tool_call"}:
        return "tool_call"
    return "message"


def context_of(view: RunView, span: SpanRecord) -> list[ContextEntry]:
    summaries = {
        output_text(s).strip() for s in view.spans if s.kind is SpanKind.SUMMARIZATION and s.output
    }
    summaries.discard("")
    seen: set[str] = set()
    previous_id = view.previous_llm.get(span.span_id)
    if previous_id is not None:
        previous = view.by_id[previous_id]
        seen = {message_key(m) for m in messages_of(previous.input) + messages_of(previous.output)}
    return [
        ContextEntry(
            role=str(message.get("role", "")),
            kind=_kind(message, summaries),
            content=message_text(message),
            parts=parts_of(message),
            is_new=previous_id is None or message_key(message) not in seen,
        )
        for message in messages_of(span.input)
    ]
