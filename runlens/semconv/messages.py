"""Canonical message lists (the OTel GenAI JSON schema) built from every dialect's shape.

Canonical: `[{"role": ..., "parts": [{"type": "text", "content": ...} |
{"type": "tool_call", "id", "name", "arguments"} | {"type": "tool_call_response", "id",
"response"} | ...]}]`, system instructions as a leading `{"role": "system", ...}` message.
"""

from __future__ import annotations

from typing import Any

from runlens.semconv.coerce import dumps, is_compact_json, loads
from runlens.semconv.records import AttrValue, ToolCallRequest

Message = dict[str, Any]
Flat = dict[int, dict[str, AttrValue]]
"""Flattened messages grouped by index: {i: {suffix after `{i}.`: value}}."""


def normalize_messages(value: AttrValue) -> list[Message] | None:
    """Messages in the GenAI shape (JSON string or structured) with parts normalised."""
    return parse_messages(value)[0]


def parse_messages(value: AttrValue) -> tuple[list[Message] | None, str | None]:
    """`normalize_messages`, and the JSON text itself when `value` is compact JSON already in
    the canonical shape (normalising changed nothing), so it can be stored without re-encoding."""
    data = loads(value)
    if not isinstance(data, list):
        return None, None
    out: list[Message] = []
    unchanged = isinstance(value, str)
    for message in data:
        if isinstance(message, dict):
            normalized = _normalize_message(message)
            out.append(normalized)
            unchanged = unchanged and normalized is message
        else:
            unchanged = False
    if not unchanged or not isinstance(value, str):
        return out, None
    text = value.strip()
    return out, (text if is_compact_json(text) else None)


def _normalize_message(message: dict[str, Any]) -> Message:
    """The message in the canonical shape: the same object when it already was."""
    parts = message.get("parts")
    if not isinstance(parts, list):
        return _openai_message(message)
    fixed = [_normalize_part(part) for part in parts if isinstance(part, dict)]
    if len(fixed) == len(parts) and all(a is b for a, b in zip(fixed, parts, strict=True)):
        return message
    normalized = dict(message)
    normalized["parts"] = fixed
    return normalized


def _normalize_part(part: dict[str, Any]) -> dict[str, Any]:
    kind = part.get("type")
    if kind == "tool_call":
        arguments = part.get("arguments")
        if isinstance(arguments, str):
            parsed = loads(arguments)
            if parsed is not None:
                return {**part, "arguments": parsed}
    elif kind == "thinking":  # pydantic-ai's name for the GenAI `reasoning` part
        return {**part, "type": "reasoning"}
    elif kind == "tool_call_response" and "response" not in part and "result" in part:
        fixed = {key: value for key, value in part.items() if key != "result"}
        fixed["response"] = part["result"]
        return fixed
    return part


def system_message(value: AttrValue) -> Message | None:
    """`gen_ai.system_instructions` (a list of parts, or plain text) as a system message."""
    data = loads(value) if isinstance(value, str) else value
    if isinstance(data, list):
        parts = [p if isinstance(p, dict) else text_part(str(p)) for p in data]
    elif isinstance(value, str) and value:
        parts = [text_part(value)]
    else:
        return None
    return {"role": "system", "parts": parts} if parts else None


def with_system(system: Message | None, messages: list[Message]) -> list[Message]:
    if system is None or (messages and messages[0].get("role") == "system"):
        return messages
    return [system, *messages]


def messages_text(
    messages: list[Message], text: str | None, system: Message | None = None
) -> tuple[str, bool]:
    """JSON text of `with_system(system, messages)`, reusing `text` (the canonical JSON of
    `messages`) when there is one; and whether the system message was prepended."""
    full = with_system(system, messages)
    prepended = full is not messages
    if text is None or not messages:
        return dumps(full), prepended
    if not prepended:
        return text, False
    return "[" + dumps(system) + "," + text[1:], True


def text_part(content: str) -> dict[str, Any]:
    return {"type": "text", "content": content}


def reasoning_part(content: Any) -> dict[str, Any]:
    return {"type": "reasoning", "content": "" if content is None else str(content)}


def tool_call_part(call_id: Any, name: Any, arguments: Any) -> dict[str, Any]:
    if isinstance(arguments, str):
        parsed = loads(arguments)
        arguments = parsed if parsed is not None else arguments
    return {"type": "tool_call", "id": call_id or "", "name": name or "", "arguments": arguments}


def _openai_message(message: dict[str, Any]) -> Message:
    """An OpenAI chat message (`content`, `tool_calls`, `tool_call_id`) in the canonical shape."""
    role = message.get("role") or "user"
    parts: list[dict[str, Any]] = []
    content = message.get("content")
    if role == "tool":
        parts.append(
            {
                "type": "tool_call_response",
                "id": message.get("tool_call_id") or message.get("id") or "",
                "response": content,
            }
        )
    elif isinstance(content, str):
        if content:
            parts.append(text_part(content))
    elif isinstance(content, list):
        for item in content:
            if isinstance(item, dict) and isinstance(item.get("text"), str):
                parts.append(text_part(item["text"]))
            elif isinstance(item, str):
                parts.append(text_part(item))
    calls = message.get("tool_calls")
    for call in calls if isinstance(calls, list) else ():
        if isinstance(call, dict):
            nested = call.get("function")
            function: dict[str, Any] = nested if isinstance(nested, dict) else call
            parts.append(
                tool_call_part(call.get("id"), function.get("name"), function.get("arguments"))
            )
    out: Message = {"role": role, "parts": parts}
    if message.get("name"):
        out["name"] = message["name"]
    if message.get("finish_reason"):
        out["finish_reason"] = message["finish_reason"]
    return out


def openai_message(message: dict[str, Any]) -> Message:
    return _openai_message(message)


def add_flat(groups: Flat, rest: str, value: AttrValue) -> None:
    """Record `rest` = `{i}.{suffix}` of a flattened message key under index i."""
    dot = rest.find(".")
    if dot <= 0:
        return
    head = rest[:dot]
    if head.isdigit():
        groups.setdefault(int(head), {})[rest[dot + 1 :]] = value


def _nested(fields: dict[str, AttrValue], prefix: str) -> Flat:
    groups: Flat = {}
    for key, value in fields.items():
        if key.startswith(prefix):
            add_flat(groups, key[len(prefix) :], value)
    return groups


def openinference_messages(groups: Flat) -> list[Message]:
    """`llm.{input,output}_messages.{i}.message.*` as canonical messages."""
    out: list[Message] = []
    for index in sorted(groups):
        fields = groups[index]
        message: dict[str, Any] = {
            "role": fields.get("message.role"),
            "content": fields.get("message.content"),
            "tool_call_id": fields.get("message.tool_call_id"),
            "name": fields.get("message.name"),
        }
        contents = _nested(fields, "message.contents.")
        if message["content"] is None and contents:
            message["content"] = [
                {"text": c.get("message_content.text")}
                for _, c in sorted(contents.items())
                if c.get("message_content.text") is not None
            ]
        calls = _nested(fields, "message.tool_calls.")
        message["tool_calls"] = [
            {
                "id": c.get("tool_call.id"),
                "function": {
                    "name": c.get("tool_call.function.name"),
                    "arguments": c.get("tool_call.function.arguments"),
                },
            }
            for _, c in sorted(calls.items())
        ]
        out.append(_openai_message(message))
    return out


def openllmetry_messages(groups: Flat) -> list[Message]:
    """Legacy `gen_ai.prompt.{i}.*` / `gen_ai.completion.{i}.*` as canonical messages."""
    out: list[Message] = []
    for index in sorted(groups):
        fields = groups[index]
        if fields.get("role") == "thinking":  # a reasoning block (the Anthropic instrumentation)
            content = fields.get("content")
            out.append({"role": "assistant", "parts": [reasoning_part(content)]})
            continue
        calls = _nested(fields, "tool_calls.")
        message: dict[str, Any] = {
            "role": fields.get("role") or "assistant",
            "content": fields.get("content"),
            "tool_call_id": fields.get("tool_call_id"),
            "finish_reason": fields.get("finish_reason"),
            "tool_calls": [
                {
                    "id": c.get("id"),
                    "function": {"name": c.get("name"), "arguments": c.get("arguments")},
                }
                for _, c in sorted(calls.items())
            ],
        }
        out.append(_openai_message(message))
    return out


def tool_calls_of(messages: list[Message]) -> tuple[ToolCallRequest, ...]:
    """Tool calls requested in (output) messages, arguments as compact JSON text."""
    calls: list[ToolCallRequest] = []
    for message in messages:
        for part in message.get("parts") or ():
            if isinstance(part, dict) and part.get("type") == "tool_call":
                arguments = part.get("arguments")
                text = (
                    ""
                    if arguments is None
                    else (arguments if isinstance(arguments, str) else dumps(arguments))
                )
                calls.append(
                    ToolCallRequest(
                        id=str(part.get("id") or ""),
                        name=str(part.get("name") or ""),
                        arguments=text,
                    )
                )
    return tuple(calls)


def first_finish_reason(messages: list[Message]) -> str:
    for message in messages:
        reason = message.get("finish_reason")
        if isinstance(reason, str) and reason:
            return reason
    return ""


def has_compaction_part(messages: list[Message]) -> bool:
    return any(
        isinstance(part, dict) and part.get("type") == "compaction"
        for message in messages
        for part in message.get("parts") or ()
    )
