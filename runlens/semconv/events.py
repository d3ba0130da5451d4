"""Log records: `map_log` (GenAI events, terminal output chunks, plain logs), `apply_log_events`,
which gives an LLM span the content its correlated GenAI events carry, and `merge_batch`, which
does so at ingest for the spans whose events arrive with them."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from runlens.semconv import keys
from runlens.semconv.coerce import (
    as_bool,
    as_int,
    as_str,
    attributes_text,
    dumps,
    in_range,
    loads,
    with_dropped,
)
from runlens.semconv.genai import normalize_finish_reason
from runlens.semconv.messages import (
    Message,
    normalize_messages,
    openai_message,
    system_message,
    text_part,
    tool_calls_of,
    with_system,
)
from runlens.semconv.records import LogRecord, RawLog, SpanKind, SpanRecord

_STREAMS = ("stdout", "stderr", "model")
_LEGACY_ROLES = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}


def map_log(raw: RawLog, *, project_id: str) -> LogRecord:
    attributes = raw.attributes
    run_id = as_str(attributes.get(keys.RUNLENS_RUN_ID)) or as_str(
        raw.resource.get(keys.RUNLENS_RUN_ID)
    )
    stream = as_str(attributes.get(keys.RUNLENS_OUTPUT_STREAM))
    is_chunk = stream in _STREAMS
    return LogRecord(
        project_id=project_id,
        run_id=run_id or raw.trace_id,
        trace_id=raw.trace_id,
        span_id=raw.span_id,
        time_unix_nano=raw.time_unix_nano,
        event_name=raw.event_name,
        severity_number=raw.severity_number if 0 <= raw.severity_number <= 24 else 0,  # OTLP range
        body="" if raw.body is None else dumps(raw.body),
        attributes=with_dropped(attributes_text(attributes), raw.dropped_attributes),
        stream=stream if is_chunk else "",
        seq=(in_range(as_int(attributes.get(keys.RUNLENS_OUTPUT_SEQ)), 0, 2**64 - 1, 0) or 0)
        if is_chunk
        else 0,
        end_of_stream=is_chunk and as_bool(attributes.get(keys.RUNLENS_OUTPUT_EOF)),
        truncated=bool(raw.truncated_keys),
        binary=bool(raw.binary_keys),
    )


def apply_log_events(span: SpanRecord, logs: Sequence[LogRecord]) -> SpanRecord:
    """`span` with input, output, tool calls and stop reason taken from its GenAI log events
    (correlated by trace and span id) wherever the span itself carries none."""
    if span.kind not in (SpanKind.LLM_CALL, SpanKind.SUMMARIZATION):
        return span
    mine = [
        log
        for log in logs
        if log.span_id == span.span_id and log.trace_id == span.trace_id and log.event_name
    ]
    if not mine:
        return span
    mine.sort(key=lambda log: log.time_unix_nano)
    inputs: list[Message] = []
    outputs: list[tuple[int, Message]] = []
    system: Message | None = None
    for log in mine:
        if log.event_name == keys.GEN_AI_INFERENCE_DETAILS_EVENT:
            inputs = normalize_messages(log.attributes.get(keys.GEN_AI_INPUT_MESSAGES)) or inputs
            details_out = normalize_messages(log.attributes.get(keys.GEN_AI_OUTPUT_MESSAGES))
            outputs = list(enumerate(details_out or ())) or outputs
            instructions = log.attributes.get(keys.GEN_AI_SYSTEM_INSTRUCTIONS)
            system = system_message(instructions) if instructions else system
        elif log.event_name in _LEGACY_ROLES:
            body = loads(log.body)
            if isinstance(body, dict):
                inputs.append(_legacy_message(_LEGACY_ROLES[log.event_name], body))
        elif log.event_name == keys.GEN_AI_CHOICE_EVENT:
            body = loads(log.body)
            if isinstance(body, dict):
                outputs.append((as_int(body.get("index")) or 0, _choice_message(body)))
    changes: dict[str, Any] = {}
    if not span.input and (inputs or system):
        changes["input"] = dumps(with_system(system, inputs))
    ordered = [message for _, message in sorted(outputs, key=lambda item: item[0])]
    if not span.output and ordered:
        changes["output"] = dumps(ordered)
    if not span.tool_calls and ordered:
        changes["tool_calls"] = tool_calls_of(ordered)
    if not span.stop_reason:
        for message in ordered:
            reason = message.get("finish_reason")
            if isinstance(reason, str) and reason:
                changes["stop_reason"] = normalize_finish_reason(reason)
                break
    return dataclasses.replace(span, **changes) if changes else span


def genai_events(logs: Sequence[LogRecord]) -> dict[str, list[LogRecord]]:
    """The GenAI events among log records (not output chunks, not plain logs), by span id."""
    found: dict[str, list[LogRecord]] = {}
    for log in logs:
        if log.event_name and log.stream not in _STREAMS:
            found.setdefault(log.span_id, []).append(log)
    return found


def merge_batch(
    spans: Sequence[SpanRecord], events: Mapping[str, Sequence[LogRecord]]
) -> list[SpanRecord] | None:
    """The spans with the content of their GenAI events (`events`: by span id, as
    `genai_events` gives them) merged, each merged span marked with how many events it took
    (`runlens.log_events.merged`: a reader merges again only when more arrived later); None
    when no span has events here."""
    merged: list[SpanRecord] = []
    changed = False
    for span in spans:
        found = events.get(span.span_id, ())
        mine = [log for log in found if log.trace_id == span.trace_id]
        if not mine or span.kind not in (SpanKind.LLM_CALL, SpanKind.SUMMARIZATION):
            merged.append(span)
            continue
        filled = apply_log_events(span, mine)
        attributes = {**filled.attributes, keys.RUNLENS_LOG_EVENTS_MERGED: str(len(mine))}
        merged.append(dataclasses.replace(filled, attributes=attributes))
        changed = True
    return merged if changed else None


def merged_count(span: SpanRecord) -> int:
    """How many GenAI events ingest merged into the span (0 when none, or not read)."""
    try:
        return int(span.attributes.get(keys.RUNLENS_LOG_EVENTS_MERGED, 0))
    except ValueError:
        return 0


def _legacy_message(role: str, body: dict[str, Any]) -> Message:
    """Body `{content}`, `{content?, tool_calls}` or `{content, id}` (tool result)."""
    message = dict(body)
    message["role"] = body.get("role") or role
    if role == "tool" and "tool_call_id" not in message:
        message["tool_call_id"] = body.get("id") or ""
    return openai_message(message)


def _choice_message(body: dict[str, Any]) -> Message:
    """`gen_ai.choice` body `{index, finish_reason, message: {role?, content, tool_calls?},
    tool_calls?}`; some emitters put `tool_calls` beside `message`."""
    inner = body.get("message")
    message: dict[str, Any] = dict(inner) if isinstance(inner, dict) else {}
    message.setdefault("role", "assistant")
    if not message.get("tool_calls") and body.get("tool_calls"):
        message["tool_calls"] = body["tool_calls"]
    if body.get("finish_reason"):
        message["finish_reason"] = body["finish_reason"]
    canonical = openai_message(message)
    if not canonical["parts"] and isinstance(inner, str):
        canonical["parts"] = [text_part(inner)]
    return canonical
