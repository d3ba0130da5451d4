"""OpenTelemetry GenAI semantic conventions: current names first, deprecated names last."""

from __future__ import annotations

from runlens.semconv import keys
from runlens.semconv.coerce import as_bool, as_float, as_int, as_json_text, as_str, loads
from runlens.semconv.draft import SpanDraft
from runlens.semconv.messages import parse_messages, system_message
from runlens.semconv.records import Attributes, AttrValue, SpanKind


def apply_current(attributes: Attributes, draft: SpanDraft) -> None:
    """Spec `gen_ai.*` names (highest precedence)."""
    get = attributes.get
    draft.fill("provider", as_str(get(keys.GEN_AI_PROVIDER_NAME)))
    draft.fill("request_model", as_str(get(keys.GEN_AI_REQUEST_MODEL)))
    draft.fill("response_model", as_str(get(keys.GEN_AI_RESPONSE_MODEL)))
    draft.fill("temperature", as_float(get(keys.GEN_AI_REQUEST_TEMPERATURE)))
    draft.fill("top_p", as_float(get(keys.GEN_AI_REQUEST_TOP_P)))
    draft.fill("max_tokens", as_int(get(keys.GEN_AI_REQUEST_MAX_TOKENS)))
    draft.fill("stop_reason", first_reason(get(keys.GEN_AI_RESPONSE_FINISH_REASONS)))
    draft.fill("response_id", as_str(get(keys.GEN_AI_RESPONSE_ID)))
    draft.fill("conversation_id", as_str(get(keys.GEN_AI_CONVERSATION_ID)))
    draft.fill("agent_id", as_str(get(keys.GEN_AI_AGENT_ID)))
    draft.fill("agent_name", as_str(get(keys.GEN_AI_AGENT_NAME)))
    if as_bool(get(keys.GEN_AI_CONVERSATION_COMPACTED)):
        draft.compaction = True
    if draft.llm_like:
        draft.fill("input_tokens", as_int(get(keys.GEN_AI_USAGE_INPUT_TOKENS)))
        draft.fill("output_tokens", as_int(get(keys.GEN_AI_USAGE_OUTPUT_TOKENS)))
        draft.fill("cached_input", as_int(get(keys.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS)))
        draft.fill("cache_write", as_int(get(keys.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS)))
        draft.fill("reasoning", as_int(get(keys.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS)))
    if draft.kind is SpanKind.TOOL_EXECUTION:
        draft.fill("tool_name", as_str(get(keys.GEN_AI_TOOL_NAME)))
        draft.fill("tool_call_id", as_str(get(keys.GEN_AI_TOOL_CALL_ID)))
        arguments, result = get(keys.GEN_AI_TOOL_CALL_ARGUMENTS), get(keys.GEN_AI_TOOL_CALL_RESULT)
        if arguments is not None:
            draft.fill_input(as_json_text(arguments), keys.GEN_AI_TOOL_CALL_ARGUMENTS)
        if result is not None:
            draft.fill_output(as_json_text(result), keys.GEN_AI_TOOL_CALL_RESULT)
    else:
        apply_messages(attributes, draft)


def apply_messages(attributes: Attributes, draft: SpanDraft) -> None:
    """`gen_ai.input.messages` / `gen_ai.output.messages` / `gen_ai.system_instructions`."""
    get = attributes.get
    if draft.input_messages is None:
        value = get(keys.GEN_AI_INPUT_MESSAGES)
        if value is not None:
            draft.input_messages, draft.input_messages_text = parse_messages(value)
            draft.input_messages_source = keys.GEN_AI_INPUT_MESSAGES
    if draft.output_messages is None:
        value = get(keys.GEN_AI_OUTPUT_MESSAGES)
        if value is not None:
            draft.output_messages, draft.output_messages_text = parse_messages(value)
            draft.output_messages_source = keys.GEN_AI_OUTPUT_MESSAGES
    if draft.system is None:
        value = get(keys.GEN_AI_SYSTEM_INSTRUCTIONS)
        if value is not None:
            draft.system = system_message(value)


def apply_deprecated(attributes: Attributes, draft: SpanDraft) -> None:
    """Renamed `gen_ai.*` keys (lowest precedence)."""
    get = attributes.get
    draft.fill("provider", as_str(get(keys.GEN_AI_SYSTEM)))
    if draft.llm_like:
        draft.fill("input_tokens", as_int(get(keys.GEN_AI_USAGE_PROMPT_TOKENS)))
        draft.fill("output_tokens", as_int(get(keys.GEN_AI_USAGE_COMPLETION_TOKENS)))
        draft.fill("cached_input", as_int(get(keys.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS_OLD)))
        draft.fill("cache_write", as_int(get(keys.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS)))


def first_reason(value: AttrValue) -> str:
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str) and item:
                return item
        return ""
    if isinstance(value, str) and value.startswith("["):
        parsed = loads(value)
        return first_reason(parsed) if isinstance(parsed, list) else value
    return as_str(value)


_FINISH_REASONS = {
    "tool_calls": "tool_call",
    "function_call": "tool_call",
    "tool_use": "tool_call",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "completed": "stop",
    "max_tokens": "length",
    "max_output_tokens": "length",
    "safety": "content_filter",
    "recitation": "content_filter",
}


def normalize_finish_reason(reason: str) -> str:
    """Provider finish reasons in the spec's vocabulary: stop, length, content_filter, tool_call,
    error; unknown values pass through lower-cased."""
    lowered = reason.lower()
    return _FINISH_REASONS.get(lowered, lowered)
