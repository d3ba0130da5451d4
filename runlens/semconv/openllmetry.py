"""OpenLLMetry / Traceloop: `traceloop.*` entities, flattened legacy prompts and completions,
private usage names."""

from __future__ import annotations

from runlens.semconv import keys
from runlens.semconv.coerce import as_int, as_json_text, as_str
from runlens.semconv.draft import Scan, SpanDraft
from runlens.semconv.messages import openllmetry_messages
from runlens.semconv.records import Attributes, SpanKind


def apply(attributes: Attributes, found: Scan, draft: SpanDraft) -> None:
    get = attributes.get
    if draft.kind is SpanKind.AGENT or get(keys.TL_SPAN_KIND) == "agent":
        draft.fill("agent_name", as_str(get(keys.TL_ENTITY_NAME)))
    for key in keys.TL_CONVERSATION_KEYS:
        draft.fill("conversation_id", as_str(get(key)))
    if draft.llm_like:
        draft.fill("reasoning", as_int(get(keys.TL_USAGE_REASONING_TOKENS)))
        draft.fill("reasoning", as_int(get(keys.TL_LLM_USAGE_REASONING_TOKENS)))
        if draft.input_messages is None and found.tl_prompt:
            draft.input_messages = openllmetry_messages(found.tl_prompt)
            draft.input_messages_source = keys.GEN_AI_PROMPT_PREFIX
        if draft.output_messages is None and found.tl_completion:
            draft.output_messages = openllmetry_messages(found.tl_completion)
            draft.output_messages_source = keys.GEN_AI_COMPLETION_PREFIX
        return
    if draft.kind is SpanKind.TOOL_EXECUTION:
        draft.fill("tool_name", as_str(get(keys.TL_ENTITY_NAME)))
    entity_input, entity_output = get(keys.TL_ENTITY_INPUT), get(keys.TL_ENTITY_OUTPUT)
    if entity_input is not None:
        draft.fill_input(as_json_text(entity_input), keys.TL_ENTITY_INPUT)
    if entity_output is not None:
        draft.fill_output(as_json_text(entity_output), keys.TL_ENTITY_OUTPUT)
