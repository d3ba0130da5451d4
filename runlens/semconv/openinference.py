"""OpenInference (Arize / Phoenix): `openinference.span.kind`, `llm.*`, `input/output.value`."""

from __future__ import annotations

from typing import Any

from runlens.semconv import keys
from runlens.semconv.coerce import as_float, as_int, as_json_text, as_str, loads
from runlens.semconv.draft import Scan, SpanDraft
from runlens.semconv.messages import openinference_messages
from runlens.semconv.records import Attributes, SpanKind

_MAX_TOKEN_PARAMS = ("max_tokens", "max_completion_tokens", "max_output_tokens")
_SCRUBBED = "[Scrubbed"


def apply(attributes: Attributes, found: Scan, draft: SpanDraft) -> None:
    get = attributes.get
    draft.fill("provider", as_str(get(keys.OI_LLM_PROVIDER)))
    draft.fill("provider", as_str(get(keys.OI_LLM_SYSTEM)))
    draft.fill("request_model", as_str(get(keys.OI_LLM_REQUEST_MODEL_NAME)))
    draft.fill("response_model", as_str(get(keys.OI_LLM_RESPONSE_MODEL_NAME)))
    if draft.llm_like:  # LangChain names a streamed call by its request in llm.model_name
        draft.fill("response_model", _generation_model(get(keys.OI_OUTPUT_VALUE)))
    draft.fill("response_model", as_str(get(keys.OI_LLM_MODEL_NAME)))
    params = loads(get(keys.OI_LLM_INVOCATION_PARAMETERS))
    if isinstance(params, dict):
        _apply_params(params, draft)
    draft.fill("stop_reason", as_str(get(keys.OI_LLM_FINISH_REASON)))
    draft.fill("agent_name", as_str(get(keys.OI_AGENT_NAME)))
    session = as_str(get(keys.OI_SESSION_ID))
    if not session.startswith(_SCRUBBED):
        draft.fill("conversation_id", session)
    input_value, output_value = get(keys.OI_INPUT_VALUE), get(keys.OI_OUTPUT_VALUE)
    if _mentions_compaction(input_value) or _mentions_compaction(output_value):
        draft.compaction = True
    if draft.llm_like:
        draft.fill("producer_cost", as_float(get(keys.OI_COST_TOTAL)))
        draft.fill("input_tokens", as_int(get(keys.OI_TOKEN_PROMPT)))
        draft.fill("output_tokens", as_int(get(keys.OI_TOKEN_COMPLETION)))
        draft.fill("cached_input", as_int(get(keys.OI_TOKEN_CACHE_READ)))
        draft.fill("cache_write", as_int(get(keys.OI_TOKEN_CACHE_WRITE)))
        draft.fill("reasoning", as_int(get(keys.OI_TOKEN_REASONING)))
        if draft.input_messages is None and found.oi_input:
            draft.input_messages = openinference_messages(found.oi_input)
            draft.input_messages_source = keys.OI_INPUT_MESSAGES_PREFIX
        if draft.output_messages is None and found.oi_output:
            draft.output_messages = openinference_messages(found.oi_output)
            draft.output_messages_source = keys.OI_OUTPUT_MESSAGES_PREFIX
        if not draft.response_id and isinstance(output_value, str) and output_value[:1] == "{":
            response = loads(output_value)
            if isinstance(response, dict) and isinstance(response.get("id"), str):
                draft.response_id = response["id"]
        return
    if draft.kind is SpanKind.TOOL_EXECUTION:
        draft.fill("tool_name", as_str(get(keys.OI_TOOL_NAME)))
        draft.fill("tool_call_id", as_str(get(keys.OI_TOOL_ID)))
    if input_value is not None:
        draft.fill_input(as_json_text(input_value), keys.OI_INPUT_VALUE)
    if output_value is not None:
        draft.fill_output(as_json_text(output_value), keys.OI_OUTPUT_VALUE)


def metadata_agent_name(attributes: Attributes) -> str:
    """The agent named by run metadata: OpenInference `metadata` (JSON), then OpenLLMetry
    association properties, each by `keys.AGENT_NAME_METADATA` in order."""
    metadata = loads(attributes.get(keys.OI_METADATA))
    for key in keys.AGENT_NAME_METADATA:
        if isinstance(metadata, dict):
            name = as_str(metadata.get(key))
            if name:
                return name
        name = as_str(attributes.get(keys.TL_ASSOCIATION_PREFIX + key))
        if name:
            return name
    return ""


def _apply_params(params: dict[str, Any], draft: SpanDraft) -> None:
    draft.fill("request_model", as_str(params.get("model")))
    draft.fill("temperature", as_float(params.get("temperature")))
    draft.fill("top_p", as_float(params.get("top_p")))
    for name in _MAX_TOKEN_PARAMS:
        draft.fill("max_tokens", as_int(params.get(name)))


def _generation_model(output_value: object) -> str:
    """The model that answered, from a LangChain `LLMResult` (`output.value` of an LLM span)."""
    if not isinstance(output_value, str) or not output_value.startswith('{"generations"'):
        return ""
    result = loads(output_value)
    generations = result.get("generations") if isinstance(result, dict) else None
    first = generations[0] if isinstance(generations, list) and generations else None
    generation = first[0] if isinstance(first, list) and first else None
    info = generation.get("generation_info") if isinstance(generation, dict) else None
    return as_str(info.get("model_name")) if isinstance(info, dict) else ""


def _mentions_compaction(value: object) -> bool:
    return isinstance(value, str) and (
        '"type": "compaction"' in value or '"type":"compaction"' in value
    )
