"""OpenAI chat completions ↔ GenAI span attributes, and a completion rebuilt from a recording.

Pure functions over the JSON bodies; `openai_transport` does the HTTP.
"""

from __future__ import annotations

import json
import time
from typing import Any

from runlens.sdk.replay.recording import RecordedAction
from runlens.sdk.replay.tracing import SpanAttributes
from runlens.semconv import keys
from runlens.semconv.messages import openai_message

_FINISH_REASONS = {"tool_call": "tool_calls", "function_call": "function_call"}
_PARAMETERS = {
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "max_tokens": "gen_ai.request.max_tokens",
    "max_completion_tokens": "gen_ai.request.max_tokens",
}


def compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def span_name(body: dict[str, Any]) -> str:
    return f"chat {body.get('model', '')}"


def request_attributes(body: dict[str, Any]) -> SpanAttributes:
    messages = [openai_message(m) for m in body.get("messages") or () if isinstance(m, dict)]
    attributes: SpanAttributes = {
        keys.GEN_AI_OPERATION_NAME: "chat",
        keys.GEN_AI_PROVIDER_NAME: "openai",
        keys.GEN_AI_REQUEST_MODEL: str(body.get("model", "")),
        keys.GEN_AI_INPUT_MESSAGES: compact(messages),
    }
    for field, key in _PARAMETERS.items():
        value = body.get(field)
        if isinstance(value, int | float) and not isinstance(value, bool):
            attributes[key] = value
    return attributes


def response_attributes(completion: dict[str, Any]) -> SpanAttributes:
    output = [
        openai_message({**choice.get("message", {}), "finish_reason": choice.get("finish_reason")})
        for choice in completion.get("choices") or ()
        if isinstance(choice, dict)
    ]
    attributes: SpanAttributes = {
        keys.GEN_AI_OUTPUT_MESSAGES: compact(output),
        keys.GEN_AI_RESPONSE_MODEL: str(completion.get("model", "")),
        keys.GEN_AI_RESPONSE_ID: str(completion.get("id", "")),
    }
    usage = completion.get("usage")
    if isinstance(usage, dict):
        attributes[keys.GEN_AI_USAGE_INPUT_TOKENS] = int(usage.get("prompt_tokens") or 0)
        attributes[keys.GEN_AI_USAGE_OUTPUT_TOKENS] = int(usage.get("completion_tokens") or 0)
    return attributes


def served_attributes(entry: RecordedAction) -> SpanAttributes:
    """What a served call records: the recorded output and model, no token usage."""
    model = entry.attributes.get(keys.GEN_AI_RESPONSE_MODEL) or entry.model
    return {keys.GEN_AI_OUTPUT_MESSAGES: compact(entry.output), keys.GEN_AI_RESPONSE_MODEL: model}


def _choice(index: int, message: dict[str, Any]) -> dict[str, Any]:
    parts = [p for p in message.get("parts") or () if isinstance(p, dict)]
    text = "".join(str(p.get("content", "")) for p in parts if p.get("type") == "text")
    calls = [
        {
            "id": str(p.get("id", "")),
            "type": "function",
            "function": {
                "name": str(p.get("name", "")),
                "arguments": a if isinstance(a := p.get("arguments"), str) else json.dumps(a),
            },
        }
        for p in parts
        if p.get("type") == "tool_call"
    ]
    reason = str(message.get("finish_reason") or ("tool_calls" if calls else "stop"))
    reply: dict[str, Any] = {"role": "assistant", "content": text or None}
    if calls:
        reply["tool_calls"] = calls
    return {"index": index, "message": reply, "finish_reason": _FINISH_REASONS.get(reason, reason)}


def completion_of(entry: RecordedAction) -> dict[str, Any]:
    """A `chat.completion` body answering with the recorded output (usage 0)."""
    messages = entry.output if isinstance(entry.output, list) else []
    return {
        "id": entry.attributes.get(keys.GEN_AI_RESPONSE_ID) or f"chatcmpl-replay-{entry.span_id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": entry.attributes.get(keys.GEN_AI_RESPONSE_MODEL) or entry.model,
        "choices": [_choice(i, m) for i, m in enumerate(messages) if isinstance(m, dict)],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }
