"""Pure conversions between canonical records and the columns of `runlens.spans` / `runlens.logs`.

`to_rows` / `logs_to_rows` build one Arrow table per batch column by column (one Python list per
column, no per-row dicts; maps and lists from flat key/value arrays and offsets).
`spans_from_table` turns a read of spans back into records the same way, column by column;
`log_from_row` / `summary_from_row` turn one result row (as read by the queries of
`queries.py`) back into a record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import attrgetter
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


def _strings(values: list[str]) -> pa.Array:
    return pa.array(values, pa.string())


def _map_array(maps: list[dict[str, str]]) -> pa.Array:
    """A Map(String, String) column from dicts, built from flat key/value arrays (far cheaper
    than converting one list of pairs per row)."""
    offsets = [0]
    keys: list[str] = []
    values: list[str] = []
    total = 0
    for item in maps:
        if item:
            keys.extend(item)
            values.extend(item.values())
            total += len(item)
        offsets.append(total)
    return pa.MapArray.from_arrays(
        pa.array(offsets, pa.int32()), _strings(keys), _strings(values), type=_MAP
    )


def _string_lists(lists: list[tuple[str, ...]]) -> pa.Array:
    offsets = [0]
    flat: list[str] = []
    for item in lists:
        flat.extend(item)
        offsets.append(len(flat))
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), _strings(flat))


def _tool_calls(spans: Sequence[SpanRecord]) -> pa.Array:
    offsets = [0]
    ids: list[str] = []
    names: list[str] = []
    arguments: list[str] = []
    for span in spans:
        for call in span.tool_calls:
            ids.append(call.id)
            names.append(call.name)
            arguments.append(call.arguments)
        offsets.append(len(ids))
    items = pa.StructArray.from_arrays(
        [_strings(ids), _strings(names), _strings(arguments)], fields=list(_TOOL_CALL)
    )
    return pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()), items, type=SPAN_SCHEMA.field("tool_calls").type
    )


def _column(spans: Sequence[Any], name: str) -> list[Any]:
    return list(map(attrgetter(name), spans))


_SPAN_PLAIN = (
    "project_id", "run_id", "trace_id", "span_id", "parent_span_id", "name",
    "start_time_unix_nano", "end_time_unix_nano", "service_name", "agent_id", "agent_name",
    "conversation_id", "provider", "request_model", "response_model", "temperature", "top_p",
    "max_tokens", "stop_reason", "response_id", "cost_usd", "price_version", "input", "output",
    "tool_name", "tool_call_id", "error_type", "error_message", "outcome", "replay_of",
    "code_filepath", "code_function", "code_lineno", "events", "scope_name", "truncated",
    "binary",
)  # fmt: skip
_SPAN_ENUMS = ("kind", "status", "cost_source")
_RENAMED = {"start_time_unix_nano": "start_time", "end_time_unix_nano": "end_time"}
_USAGE = (
    ("input_tokens", "input"),
    ("cached_tokens", "cached_input"),
    ("cache_write_tokens", "cache_write"),
    ("output_tokens", "output"),
    ("reasoning_tokens", "reasoning"),
)


def to_rows(spans: Sequence[SpanRecord], ingested_at_us: int) -> pa.Table:
    """The Arrow table inserted into `runlens.spans` for a batch of spans."""
    n = len(spans)
    columns: dict[str, Any] = {}
    for name in _SPAN_PLAIN:
        columns[_RENAMED.get(name, name)] = _column(spans, name)
    for name in _SPAN_ENUMS:
        columns[name] = [member.value for member in map(attrgetter(name), spans)]
    usage = _column(spans, "usage")
    for column, field_name in _USAGE:
        columns[column] = _column(usage, field_name)
    columns["tool_calls"] = _tool_calls(spans)
    columns["dialects"] = _string_lists(_column(spans, "dialects"))
    columns["attributes"] = _map_array(_column(spans, "attributes"))
    columns["resource"] = _map_array(_column(spans, "resource"))
    columns["ingested_at"] = pa.repeat(pa.scalar(ingested_at_us, _TS_US), n)
    running, ended = SpanStatus.RUNNING, span_version(SpanStatus.OK, ingested_at_us)
    marker = span_version(running, ingested_at_us)  # one of two values per batch
    columns["version"] = [
        marker if status is running else ended for status in _column(spans, "status")
    ]
    arrays = [
        value if isinstance(value, pa.Array) else pa.array(value, field.type)
        for field in SPAN_SCHEMA
        for value in (columns[field.name],)
    ]
    return pa.Table.from_arrays(arrays, schema=SPAN_SCHEMA)


def logs_to_rows(logs: Sequence[LogRecord], ingested_at_us: int) -> pa.Table:
    """The Arrow table inserted into `runlens.logs` for a batch of log records."""
    columns: dict[str, Any] = {
        "project_id": [r.project_id for r in logs],
        "run_id": [r.run_id for r in logs],
        "trace_id": [r.trace_id for r in logs],
        "span_id": [r.span_id for r in logs],
        "time": [r.time_unix_nano for r in logs],
        "event_name": [r.event_name for r in logs],
        "severity_number": [r.severity_number for r in logs],
        "body": [r.body for r in logs],
        "attributes": _map_array([r.attributes for r in logs]),
        "stream": [r.stream for r in logs],
        "seq": [r.seq for r in logs],
        "end_of_stream": [r.end_of_stream for r in logs],
        "truncated": [r.truncated for r in logs],
        "binary": [r.binary for r in logs],
        "ingested_at": [ingested_at_us] * len(logs),
    }
    arrays = [
        value if isinstance(value, pa.Array) else pa.array(value, field.type)
        for field in LOG_SCHEMA
        for value in (columns[field.name],)
    ]
    return pa.Table.from_arrays(arrays, schema=LOG_SCHEMA)


def _as_dict(value: Any) -> dict[str, str]:
    """A Map column's value (Arrow gives a list of key/value pairs) as a dict."""
    return dict(value) if value else {}


_KINDS = {member.value: member for member in SpanKind}
_STATUSES = {member.value: member for member in SpanStatus}
_COST_SOURCES = {member.value: member for member in CostSource}


def spans_from_table(table: pa.Table) -> list[SpanRecord]:
    """The spans of a read of `queries.SPAN_COLUMNS` (timestamps as integer nanoseconds),
    converted column by column: a dict per row first would cost as much again."""
    c: dict[str, list[Any]] = {name: table.column(name).to_pylist() for name in table.column_names}
    usage = [
        TokenUsage(*counts)
        for counts in zip(
            c["input_tokens"], c["cached_tokens"], c["cache_write_tokens"], c["output_tokens"],
            c["reasoning_tokens"], strict=True,
        )
    ]  # fmt: skip
    calls = [
        tuple(ToolCallRequest(x["id"], x["name"], x["arguments"]) for x in v) if v else ()
        for v in c["tool_calls"]
    ]
    attributes = [_as_dict(v) for v in c["attributes"]]
    resource = [_as_dict(v) for v in c["resource"]]
    kind, status, source = c["kind"], c["status"], c["cost_source"]
    return [
        SpanRecord(
            project_id=c["project_id"][i],
            run_id=c["run_id"][i],
            trace_id=c["trace_id"][i],
            span_id=c["span_id"][i],
            parent_span_id=c["parent_span_id"][i],
            kind=_KINDS[kind[i]],
            name=c["name"][i],
            status=_STATUSES[status[i]],
            start_time_unix_nano=c["start_time_unix_nano"][i],
            end_time_unix_nano=c["end_time_unix_nano"][i],
            service_name=c["service_name"][i],
            agent_id=c["agent_id"][i],
            agent_name=c["agent_name"][i],
            conversation_id=c["conversation_id"][i],
            provider=c["provider"][i],
            request_model=c["request_model"][i],
            response_model=c["response_model"][i],
            temperature=c["temperature"][i],
            top_p=c["top_p"][i],
            max_tokens=c["max_tokens"][i],
            stop_reason=c["stop_reason"][i],
            response_id=c["response_id"][i],
            usage=usage[i],
            cost_usd=c["cost_usd"][i],
            cost_source=_COST_SOURCES[source[i]],
            price_version=c["price_version"][i],
            input=c["input"][i],
            output=c["output"][i],
            tool_name=c["tool_name"][i],
            tool_call_id=c["tool_call_id"][i],
            tool_calls=calls[i],
            error_type=c["error_type"][i],
            error_message=c["error_message"][i],
            outcome=c["outcome"][i],
            replay_of=c["replay_of"][i],
            code_filepath=c["code_filepath"][i],
            code_function=c["code_function"][i],
            code_lineno=c["code_lineno"][i],
            dialects=tuple(c["dialects"][i]),
            attributes=attributes[i],
            resource=resource[i],
            events=c["events"][i],
            scope_name=c["scope_name"][i],
            truncated=bool(c["truncated"][i]),
            binary=bool(c["binary"][i]),
        )
        for i in range(table.num_rows)
    ]


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
