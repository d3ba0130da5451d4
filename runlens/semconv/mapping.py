"""`map_span`: one decoded OTLP span → one canonical `SpanRecord`.

Runs on the ingest hot path: one scan of the attribute keys detects dialects and collects
flattened message families; every other field is a dictionary lookup. Dialect mappers run in
precedence order (spec `gen_ai.*` current names > dialect-specific keys > deprecated names) and
only fill what is still empty.
"""

from __future__ import annotations

from runlens.semconv import genai, keys, logfire, openinference, openllmetry
from runlens.semconv.coerce import as_str, attributes_text, dumps, in_range, with_dropped
from runlens.semconv.copies import copies_note, find_copies
from runlens.semconv.draft import SpanDraft, scan
from runlens.semconv.errors import code_location, error_of
from runlens.semconv.kinds import base_kind, is_chain, summarizing_name
from runlens.semconv.links import call_id_in
from runlens.semconv.messages import (
    first_finish_reason,
    has_compaction_part,
    messages_text,
    tool_calls_of,
)
from runlens.semconv.pricing import PriceTable
from runlens.semconv.records import (
    Attributes,
    CostSource,
    RawSpan,
    SpanKind,
    SpanRecord,
    SpanStatus,
    TokenUsage,
)

_LLM_LIKE = (SpanKind.LLM_CALL, SpanKind.EMBEDDING)


def map_span(raw: RawSpan, *, project_id: str, prices: PriceTable) -> SpanRecord:
    attributes = raw.attributes
    found = scan(attributes, raw.scope_name, raw.scope_version)
    draft = SpanDraft(kind=base_kind(attributes, raw.name))
    draft.llm_like = draft.kind in _LLM_LIKE or (
        draft.kind is SpanKind.SUMMARIZATION
        and bool(
            attributes.get(keys.GEN_AI_REQUEST_MODEL) or attributes.get(keys.GEN_AI_RESPONSE_MODEL)
        )
    )

    dialects: list[str] = []
    if found.genai:
        dialects.append("genai")
        genai.apply_current(attributes, draft)
    if found.openinference:
        dialects.append("openinference")
        openinference.apply(attributes, found, draft)
    if found.openllmetry:
        dialects.append("openllmetry")
        openllmetry.apply(attributes, found, draft)
    if found.pydantic_ai or found.logfire:
        dialects.append("pydantic_ai" if found.pydantic_ai else "logfire")
        if found.pydantic_ai and found.logfire:
            dialects.append("logfire")
        logfire.apply(attributes, draft)
    if found.genai:
        genai.apply_deprecated(attributes, draft)
    if found.runlens:
        dialects.append("runlens")

    kind = _final_kind(draft, found.compaction_keys, attributes, raw.name)
    status, span_id, parent_id, end = _status_and_ids(raw)
    run_id = as_str(attributes.get(keys.RUNLENS_RUN_ID)) or as_str(
        raw.resource.get(keys.RUNLENS_RUN_ID)
    )
    error_type, error_message = error_of(
        attributes, raw.events, raw.status_message, raw.status_code == 2
    )
    filepath, function, lineno = code_location(attributes)
    usage = _usage(draft)
    cost, cost_source = _cost(draft, usage, prices)
    output_messages = draft.output_messages or []

    payload = _payload(draft)
    stop_reason = draft.stop_reason or first_finish_reason(output_messages)
    _fill_from_context(draft, kind, attributes, found.openinference or found.openllmetry)

    return SpanRecord(
        project_id=project_id,
        run_id=run_id or raw.trace_id,
        trace_id=raw.trace_id,
        span_id=span_id,
        parent_span_id=parent_id,
        kind=kind,
        name=raw.name,
        status=status,
        start_time_unix_nano=raw.start_time_unix_nano,
        end_time_unix_nano=end,
        service_name=as_str(raw.resource.get(keys.SERVICE_NAME)),
        agent_id=draft.agent_id,
        agent_name=draft.agent_name,
        conversation_id=draft.conversation_id,
        provider=draft.provider,
        request_model=draft.request_model,
        response_model=draft.response_model,
        temperature=draft.temperature,
        top_p=draft.top_p,
        max_tokens=in_range(draft.max_tokens, -(2**63), 2**63 - 1, None),
        stop_reason=genai.normalize_finish_reason(stop_reason) if stop_reason else "",
        response_id=draft.response_id,
        usage=usage,
        cost_usd=cost,
        cost_source=cost_source,
        price_version=prices.version if cost_source is CostSource.PRICE_TABLE else "",
        input=draft.input,
        output=draft.output,
        tool_name=draft.tool_name,
        tool_call_id=draft.tool_call_id,
        tool_calls=tool_calls_of(output_messages) if draft.llm_like else (),
        error_type=error_type,
        error_message=error_message,
        outcome=as_str(attributes.get(keys.RUNLENS_ACTION_OUTCOME)),
        replay_of=as_str(attributes.get(keys.RUNLENS_REPLAY_OF)),
        code_filepath=filepath,
        code_function=function,
        code_lineno=in_range(lineno, 0, 2**32 - 1, 0) or 0,
        dialects=tuple(dialects),
        attributes=_stored_attributes(raw, payload, draft),
        resource=attributes_text(raw.resource),
        events=_events_json(raw),
        scope_name=raw.scope_name,
        truncated=bool(raw.truncated_keys),
        binary=bool(raw.binary_keys),
    )


def _payload(draft: SpanDraft) -> list[str]:
    """Compose `input` / `output` from what the mappers found; the keys (or families) whose
    content went into them."""
    payload: list[str] = []
    if draft.input:
        payload.append(draft.input_source)
    elif draft.input_messages is not None:
        draft.input, prepended = messages_text(
            draft.input_messages, draft.input_messages_text, draft.system
        )
        payload.append(draft.input_messages_source)
        if prepended:
            payload.append(keys.GEN_AI_SYSTEM_INSTRUCTIONS)
    elif draft.system is not None and draft.llm_like:
        draft.input = dumps([draft.system])
        payload.append(keys.GEN_AI_SYSTEM_INSTRUCTIONS)
    if draft.output:
        payload.append(draft.output_source)
    elif draft.output_messages is not None:
        draft.output = draft.output_messages_text or dumps(draft.output_messages)
        payload.append(draft.output_messages_source)
    return payload


def _stored_attributes(raw: RawSpan, payload: list[str], draft: SpanDraft) -> dict[str, str]:
    """The raw attributes as text, without the payload keys the columns hold (taken from, or
    copies of them: `semconv.copies`), with the decoder's drop counts."""
    copies = find_copies(raw.attributes, payload, draft.input, draft.output)
    stored = attributes_text(raw.attributes, [*payload, *copies, keys.RUNLENS_PAYLOAD_COPIES])
    if copies:
        stored[keys.RUNLENS_PAYLOAD_COPIES] = copies_note(copies)
    return with_dropped(stored, raw.dropped_attributes, raw.dropped_events)


def _fill_from_context(
    draft: SpanDraft, kind: SpanKind, attributes: Attributes, framework: bool
) -> None:
    """Fields no attribute gave, read last: the agent named by run metadata, and a tool
    execution's call id from its payload."""
    if not draft.agent_name and framework:
        draft.agent_name = openinference.metadata_agent_name(attributes)
    if kind is SpanKind.TOOL_EXECUTION and not draft.tool_call_id:
        draft.tool_call_id = call_id_in(draft.output) or call_id_in(draft.input)


def _final_kind(
    draft: SpanDraft, compaction_keys: bool, attributes: Attributes, name: str
) -> SpanKind:
    kind = draft.kind
    if kind is SpanKind.SUMMARIZATION or compaction_keys or draft.compaction:
        return SpanKind.SUMMARIZATION
    if (draft.input_messages and has_compaction_part(draft.input_messages)) or (
        draft.output_messages and has_compaction_part(draft.output_messages)
    ):
        return SpanKind.SUMMARIZATION
    agent_or_chain = kind is SpanKind.AGENT or (kind is SpanKind.OTHER and is_chain(attributes))
    if agent_or_chain and summarizing_name(name, draft.agent_name):
        return SpanKind.SUMMARIZATION
    return kind


def _status_and_ids(raw: RawSpan) -> tuple[SpanStatus, str, str, int]:
    """Status, span id, parent id and end time; start markers become RUNNING with end 0.

    A Logfire pending span is a child of the real span: its parent id is the real span's id and
    `logfire.pending_parent_id` the real span's parent.
    """
    attributes = raw.attributes
    if attributes.get(keys.LOGFIRE_SPAN_TYPE) == keys.LOGFIRE_PENDING_SPAN and raw.parent_span_id:
        parent = attributes.get(keys.LOGFIRE_PENDING_PARENT_ID)
        parent_id = f"{parent:016x}" if isinstance(parent, int) else as_str(parent)
        if parent_id.strip("0") == "":
            parent_id = ""
        return SpanStatus.RUNNING, raw.parent_span_id, parent_id, 0
    if attributes.get(keys.RUNLENS_SPAN_STATE) == keys.RUNLENS_SPAN_STATE_STARTED:
        return SpanStatus.RUNNING, raw.span_id, raw.parent_span_id, 0
    status = SpanStatus.ERROR if raw.status_code == 2 else SpanStatus.OK
    return status, raw.span_id, raw.parent_span_id, raw.end_time_unix_nano


def _usage(draft: SpanDraft) -> TokenUsage:
    if not draft.llm_like:
        return TokenUsage()
    # A negative or absurd count (a broken instrumentation) is stored as unknown (0).
    input_, cached, write, output, reasoning = (
        in_range(count, 0, 2**64 - 1, 0) or 0
        for count in (
            draft.input_tokens,
            draft.cached_input,
            draft.cache_write,
            draft.output_tokens,
            draft.reasoning,
        )
    )
    return TokenUsage(
        input=input_, cached_input=cached, cache_write=write, output=output, reasoning=reasoning
    )


def _cost(
    draft: SpanDraft, usage: TokenUsage, prices: PriceTable
) -> tuple[float | None, CostSource]:
    if draft.producer_cost is not None:
        return draft.producer_cost, CostSource.PRODUCER
    if not draft.llm_like:
        return None, CostSource.NONE
    cost = prices.cost(draft.response_model, usage)
    if cost is None:
        cost = prices.cost(draft.request_model, usage)
    if cost is None:
        return None, CostSource.UNPRICED
    return cost, CostSource.PRICE_TABLE


def _events_json(raw: RawSpan) -> str:
    if not raw.events:
        return ""
    return dumps(
        [
            {"name": e.name, "time_unix_nano": e.time_unix_nano, "attributes": e.attributes}
            for e in raw.events
        ]
    )
