"""Pure conversions between canonical records and the columns of `runlens.spans` / `runlens.logs`.

`to_rows` / `logs_to_rows` build one Arrow table per batch column by column (one Python list per
column, no per-row dicts). `from_row` / `log_from_row` / `summary_from_row` turn one result row
(as read by the queries of `queries.py`) back into a record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from runlens.semconv.records import (
    CostSource,
    LogRecord,
    SpanKind,
    SpanRecord,
    SpanStatus,
    TokenUsage,
    ToolCallRequest,
)
from runlens.storage.contract import RunStatus, RunSummary

ENDED_BIT = 1 << 62
"""Set in `spans.version` for ended spans, so they win over running start markers."""

_TS_NS = pa.timestamp("ns", tz="UTC")
_TS_US = pa.timestamp("us", tz="UTC")
_MAP = pa.map_(pa.string(), pa.string())
_TOOL_CALL = pa.struct(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("arguments", pa.string(), nullable=False),
    ]
)

SPAN_SCHEMA = pa.schema(
    [
        ("project_id", pa.string()),
        ("run_id", pa.string()),
        ("trace_id", pa.string()),
        ("span_id", pa.string()),
        ("parent_span_id", pa.string()),
        ("kind", pa.string()),
        ("name", pa.string()),
        ("status", pa.string()),
        ("start_time", _TS_NS),
        ("end_time", _TS_NS),
        ("service_name", pa.string()),
        ("agent_id", pa.string()),
        ("agent_name", pa.string()),
        ("conversation_id", pa.string()),
        ("provider", pa.string()),
        ("request_model", pa.string()),
        ("response_model", pa.string()),
        ("temperature", pa.float64()),
        ("top_p", pa.float64()),
        ("max_tokens", pa.int64()),
        ("stop_reason", pa.string()),
        ("response_id", pa.string()),
        ("input_tokens", pa.uint64()),
        ("cached_tokens", pa.uint64()),
        ("cache_write_tokens", pa.uint64()),
        ("output_tokens", pa.uint64()),
        ("reasoning_tokens", pa.uint64()),
        ("cost_usd", pa.float64()),
        ("cost_source", pa.string()),
        ("price_version", pa.string()),
        ("input", pa.string()),
        ("output", pa.string()),
        ("tool_name", pa.string()),
        ("tool_call_id", pa.string()),
        ("tool_calls", pa.list_(pa.field("item", _TOOL_CALL, nullable=False))),
        ("error_type", pa.string()),
        ("error_message", pa.string()),
        ("outcome", pa.string()),
        ("replay_of", pa.string()),
        ("code_filepath", pa.string()),
        ("code_function", pa.string()),
        ("code_lineno", pa.uint32()),
        ("dialects", pa.list_(pa.string())),
        ("attributes", _MAP),
        ("resource", _MAP),
        ("events", pa.string()),
        ("scope_name", pa.string()),
        ("truncated", pa.bool_()),
        ("binary", pa.bool_()),
        ("ingested_at", _TS_US),
        ("version", pa.uint64()),
    ]
)

LOG_SCHEMA = pa.schema(
    [
        ("project_id", pa.string()),
        ("run_id", pa.string()),
        ("trace_id", pa.string()),
        ("span_id", pa.string()),
        ("time", _TS_NS),
        ("event_name", pa.string()),
        ("severity_number", pa.uint8()),
        ("body", pa.string()),
        ("attributes", _MAP),
        ("stream", pa.string()),
        ("seq", pa.uint64()),
        ("end_of_stream", pa.bool_()),
        ("truncated", pa.bool_()),
        ("binary", pa.bool_()),
        ("ingested_at", _TS_US),
    ]
)


def span_version(status: SpanStatus, ingested_at_us: int) -> int:
    """Ended spans beat running markers; among equals the later delivery wins."""
    return (0 if status == SpanStatus.RUNNING else ENDED_BIT) | ingested_at_us


def to_rows(spans: Sequence[SpanRecord], ingested_at_us: int) -> pa.Table:
    """The Arrow table inserted into `runlens.spans` for a batch of spans."""
    n = len(spans)
    ended = ENDED_BIT | ingested_at_us
    usage = [s.usage for s in spans]
    columns: dict[str, list[Any]] = {
        "project_id": [s.project_id for s in spans],
        "run_id": [s.run_id for s in spans],
        "trace_id": [s.trace_id for s in spans],
        "span_id": [s.span_id for s in spans],
        "parent_span_id": [s.parent_span_id for s in spans],
        "kind": [s.kind.value for s in spans],
        "name": [s.name for s in spans],
        "status": [s.status.value for s in spans],
        "start_time": [s.start_time_unix_nano for s in spans],
        "end_time": [s.end_time_unix_nano for s in spans],
        "service_name": [s.service_name for s in spans],
        "agent_id": [s.agent_id for s in spans],
        "agent_name": [s.agent_name for s in spans],
        "conversation_id": [s.conversation_id for s in spans],
        "provider": [s.provider for s in spans],
        "request_model": [s.request_model for s in spans],
        "response_model": [s.response_model for s in spans],
        "temperature": [s.temperature for s in spans],
        "top_p": [s.top_p for s in spans],
        "max_tokens": [s.max_tokens for s in spans],
        "stop_reason": [s.stop_reason for s in spans],
        "response_id": [s.response_id for s in spans],
        "input_tokens": [u.input for u in usage],
        "cached_tokens": [u.cached_input for u in usage],
        "cache_write_tokens": [u.cache_write for u in usage],
        "output_tokens": [u.output for u in usage],
        "reasoning_tokens": [u.reasoning for u in usage],
        "cost_usd": [s.cost_usd for s in spans],
        "cost_source": [s.cost_source.value for s in spans],
        "price_version": [s.price_version for s in spans],
        "input": [s.input for s in spans],
        "output": [s.output for s in spans],
        "tool_name": [s.tool_name for s in spans],
        "tool_call_id": [s.tool_call_id for s in spans],
        "tool_calls": [
            [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in s.tool_calls]
            for s in spans
        ],
        "error_type": [s.error_type for s in spans],
        "error_message": [s.error_message for s in spans],
        "outcome": [s.outcome for s in spans],
        "replay_of": [s.replay_of for s in spans],
        "code_filepath": [s.code_filepath for s in spans],
        "code_function": [s.code_function for s in spans],
        "code_lineno": [s.code_lineno for s in spans],
        "dialects": [list(s.dialects) for s in spans],
        "attributes": [list(s.attributes.items()) for s in spans],
        "resource": [list(s.resource.items()) for s in spans],
        "events": [s.events for s in spans],
        "scope_name": [s.scope_name for s in spans],
        "truncated": [s.truncated for s in spans],
        "binary": [s.binary for s in spans],
        "ingested_at": [ingested_at_us] * n,
        "version": [ingested_at_us if s.status == SpanStatus.RUNNING else ended for s in spans],
    }
    return pa.table(columns, schema=SPAN_SCHEMA)


def logs_to_rows(logs: Sequence[LogRecord], ingested_at_us: int) -> pa.Table:
    """The Arrow table inserted into `runlens.logs` for a batch of log records."""
    columns: dict[str, list[Any]] = {
        "project_id": [r.project_id for r in logs],
        "run_id": [r.run_id for r in logs],
        "trace_id": [r.trace_id for r in logs],
        "span_id": [r.span_id for r in logs],
        "time": [r.time_unix_nano for r in logs],
        "event_name": [r.event_name for r in logs],
        "severity_number": [r.severity_number for r in logs],
        "body": [r.body for r in logs],
        "attributes": [list(r.attributes.items()) for r in logs],
        "stream": [r.stream for r in logs],
        "seq": [r.seq for r in logs],
        "end_of_stream": [r.end_of_stream for r in logs],
        "truncated": [r.truncated for r in logs],
        "binary": [r.binary for r in logs],
        "ingested_at": [ingested_at_us] * len(logs),
    }
    return pa.table(columns, schema=LOG_SCHEMA)


def _as_dict(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return {str(k): str(v) for k, v in value or ()}


def from_row(row: Mapping[str, Any]) -> SpanRecord:
    """A span as read by `queries.SPAN_COLUMNS` (timestamps as integer nanoseconds)."""
    return SpanRecord(
        project_id=row["project_id"],
        run_id=row["run_id"],
        trace_id=row["trace_id"],
        span_id=row["span_id"],
        parent_span_id=row["parent_span_id"],
        kind=SpanKind(row["kind"]),
        name=row["name"],
        status=SpanStatus(row["status"]),
        start_time_unix_nano=int(row["start_time_unix_nano"]),
        end_time_unix_nano=int(row["end_time_unix_nano"]),
        service_name=row["service_name"],
        agent_id=row["agent_id"],
        agent_name=row["agent_name"],
        conversation_id=row["conversation_id"],
        provider=row["provider"],
        request_model=row["request_model"],
        response_model=row["response_model"],
        temperature=row["temperature"],
        top_p=row["top_p"],
        max_tokens=row["max_tokens"],
        stop_reason=row["stop_reason"],
        response_id=row["response_id"],
        usage=TokenUsage(
            input=int(row["input_tokens"]),
            cached_input=int(row["cached_tokens"]),
            cache_write=int(row["cache_write_tokens"]),
            output=int(row["output_tokens"]),
            reasoning=int(row["reasoning_tokens"]),
        ),
        cost_usd=row["cost_usd"],
        cost_source=CostSource(row["cost_source"]),
        price_version=row["price_version"],
        input=row["input"],
        output=row["output"],
        tool_name=row["tool_name"],
        tool_call_id=row["tool_call_id"],
        tool_calls=tuple(
            ToolCallRequest(id=c["id"], name=c["name"], arguments=c["arguments"])
            for c in row["tool_calls"]
        ),
        error_type=row["error_type"],
        error_message=row["error_message"],
        outcome=row["outcome"],
        replay_of=row["replay_of"],
        code_filepath=row["code_filepath"],
        code_function=row["code_function"],
        code_lineno=int(row["code_lineno"]),
        dialects=tuple(row["dialects"]),
        attributes=_as_dict(row["attributes"]),
        resource=_as_dict(row["resource"]),
        events=row["events"],
        scope_name=row["scope_name"],
        truncated=bool(row["truncated"]),
        binary=bool(row["binary"]),
    )


def log_from_row(row: Mapping[str, Any]) -> LogRecord:
    """A log record as read by `queries.LOG_COLUMNS`."""
    return LogRecord(
        project_id=row["project_id"],
        run_id=row["run_id"],
        trace_id=row["trace_id"],
        span_id=row["span_id"],
        time_unix_nano=int(row["time_unix_nano"]),
        event_name=row["event_name"],
        severity_number=int(row["severity_number"]),
        body=row["body"],
        attributes=_as_dict(row["attributes"]),
        stream=row["stream"],
        seq=int(row["seq"]),
        end_of_stream=bool(row["end_of_stream"]),
        truncated=bool(row["truncated"]),
        binary=bool(row["binary"]),
    )


def summary_from_row(row: Mapping[str, Any]) -> RunSummary:
    """A run summary as read by `queries.SUMMARY_COLUMNS`."""
    return RunSummary(
        project_id=row["project_id"],
        run_id=row["run_id"],
        agent_id=row["agent_id"],
        agent_name=row["agent_name"],
        name=row["name"],
        status=RunStatus(row["status"]),
        status_reason=row["status_reason"],
        started_at_unix_nano=int(row["started_at_unix_nano"]),
        ended_at_unix_nano=int(row["ended_at_unix_nano"]),
        last_activity_unix_nano=int(row["last_activity_unix_nano"]),
        span_count=int(row["span_count"]),
        action_count=int(row["action_count"]),
        action_ok_count=int(row["action_ok_count"]),
        error_count=int(row["error_count"]),
        turns=int(row["turns"]),
        input_tokens=int(row["input_tokens"]),
        cached_tokens=int(row["cached_tokens"]),
        cache_write_tokens=int(row["cache_write_tokens"]),
        output_tokens=int(row["output_tokens"]),
        reasoning_tokens=int(row["reasoning_tokens"]),
        cost_usd=float(row["cost_usd"]),
        unpriced_count=int(row["unpriced_count"]),
        error_type=row["error_type"],
        error_message=row["error_message"],
        models=tuple(row["models"]),
    )
