"""pydantic-ai's built-in instrumentation and Logfire extras.

Pending spans (`logfire.span_type = pending_span`) are start markers; `map_span` re-keys them.
Aggregates (`gen_ai.aggregated_usage.*`, `logfire.metrics`) are never read: summing them with
the chat spans they roll up would double count.
"""

from __future__ import annotations

from typing import Any

from runlens.semconv import keys
from runlens.semconv.coerce import as_float, as_int, as_json_text, as_str, loads
from runlens.semconv.draft import SpanDraft
from runlens.semconv.messages import normalize_messages
from runlens.semconv.records import Attributes, SpanKind


def apply(attributes: Attributes, draft: SpanDraft) -> None:
    get = attributes.get
    if draft.llm_like:
        draft.fill("producer_cost", as_float(get(keys.OPERATION_COST)))
        draft.fill("cached_input", as_int(get(keys.PAI_USAGE_CACHE_READ_TOKENS)))
        draft.fill("reasoning", as_int(get(keys.PAI_USAGE_REASONING_TOKENS)))
        raw = loads(get(keys.LOGFIRE_USAGE_RAW))
        if isinstance(raw, dict):
            apply_raw_usage(raw, draft)
        request_data = loads(get(keys.LOGFIRE_REQUEST_DATA))
        if isinstance(request_data, dict):
            draft.fill("request_model", as_str(request_data.get("model")))
        return
    if draft.kind is SpanKind.AGENT or draft.kind is SpanKind.SUMMARIZATION:
        draft.fill("agent_name", as_str(get(keys.PAI_AGENT_NAME)))
        draft.fill("request_model", as_str(get(keys.PAI_MODEL_NAME)))
        if draft.input_messages is None:
            prompt, complete = _prompt_messages(get(keys.PAI_ALL_MESSAGES))
            if prompt is not None:
                draft.input_messages = prompt
                if complete:  # else the rest of the conversation lives only in the attribute
                    draft.input_messages_source = keys.PAI_ALL_MESSAGES
        final = get(keys.PAI_FINAL_RESULT)
        if final is not None:
            draft.fill_output(as_json_text(final), keys.PAI_FINAL_RESULT)


def _prompt_messages(value: Any) -> tuple[list[dict[str, Any]] | None, bool]:
    """The messages a run started from: everything before the first assistant message; and
    whether that is all of them."""
    if value is None:
        return None, False
    messages = normalize_messages(value)
    if not messages:
        return None, False
    for index, message in enumerate(messages):
        if message.get("role") == "assistant":
            return messages[:index], False
    return messages, True


def apply_raw_usage(raw: dict[str, Any], draft: SpanDraft) -> None:
    """The provider's own usage object (OpenAI Chat / Responses, Anthropic)."""
    prompt = raw.get("prompt_tokens_details") or raw.get("input_tokens_details") or {}
    completion = raw.get("completion_tokens_details") or raw.get("output_tokens_details") or {}
    if isinstance(prompt, dict):
        draft.fill("cached_input", as_int(prompt.get("cached_tokens")))
        draft.fill("cache_write", as_int(prompt.get("cache_write_tokens")))
    if isinstance(completion, dict):
        draft.fill("reasoning", as_int(completion.get("reasoning_tokens")))
    cache_read = as_int(raw.get("cache_read_input_tokens"))
    cache_creation = as_int(raw.get("cache_creation_input_tokens"))
    base_input = as_int(raw.get("prompt_tokens"))
    if base_input is None:
        base_input = as_int(raw.get("input_tokens"))
        if base_input is not None and (cache_read is not None or cache_creation is not None):
            # Anthropic counts exclude cache reads and writes; the OTel rule includes them.
            base_input += (cache_read or 0) + (cache_creation or 0)
    draft.fill("input_tokens", base_input)
    draft.fill("cached_input", cache_read)
    draft.fill("cache_write", cache_creation)
    output = as_int(raw.get("completion_tokens"))
    draft.fill("output_tokens", output if output is not None else as_int(raw.get("output_tokens")))
