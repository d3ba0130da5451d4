"""A run's timeline: its spans (all columns, or only those asked for) and its log records, for
several runs in two key- and time-bounded reads under FINAL, run concurrently; and the actions
of several runs, as an export reads them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa

from runlens.semconv.counting import uncounted_calls
from runlens.semconv.records import LogRecord, SpanRecord
from runlens.storage.clickhouse.queries import (
    IS_LLM_CALL,
    LOG_COLUMNS,
    LOGS,
    SHAPE_COLUMNS,
    SHAPE_SPANS,
    SPAN_COLUMNS,
    SPANS,
    Select,
)
from runlens.storage.clickhouse.rows import log_from_row, spans_from_table
from runlens.storage.clickhouse.shapes import shapes_by_run
from runlens.storage.contract import RunChanges, RunStatus, RunSummary, RunTimeline

_KEYS = "project_id = {project_id:String} AND run_id IN {run_ids:Array(String)}"

# Time bounds of a timeline read, from the runs' summaries: a run's records lie between its
# `started_at` and its `last_activity_at` as of its last refresh. The margin (a day) covers
# clock skew and records stored after that refresh with times just outside it; a running run
# is bounded from below only (its next spans are still to come, and its root span, which
# starts first, arrives last), and a run without a summary, or with records written but not
# refreshed yet, is not bounded at all. With day partitions the bounds let a read skip all but
# ~3 days instead of visiting every part.
TIME_MARGIN_NS = 86_400 * 1_000_000_000
_NO_BOUNDS = (0, 2**63 - 1)


def time_bounds(
    run_ids: Sequence[str],
    summaries: Mapping[str, RunSummary],
    unrefreshed: Mapping[str, int] | None = None,
) -> tuple[int, int]:
    """`(lower, upper)` in ns over the given runs' records; unbounded when one is unknown.
    `unrefreshed` maps runs written since their last refresh to the earliest start written."""
    lower, upper = _NO_BOUNDS[1], 0
    for run_id in run_ids:
        summary = summaries.get(run_id)
        if summary is None or not summary.started_at_unix_nano:
            return _NO_BOUNDS
        start = summary.started_at_unix_nano
        if unrefreshed is not None and run_id in unrefreshed:
            start = min(start, unrefreshed[run_id])
            end = _NO_BOUNDS[1]
        elif summary.status is RunStatus.RUNNING:
            end = _NO_BOUNDS[1]
        else:
            end = max(summary.last_activity_unix_nano, summary.ended_at_unix_nano)
            end = min(end + TIME_MARGIN_NS, _NO_BOUNDS[1])
        lower = min(lower, max(start - TIME_MARGIN_NS, 0))
        upper = max(upper, end)
    return (lower, upper) if run_ids else _NO_BOUNDS


def _bounded(column: str) -> str:
    return f"""{column} >= fromUnixTimestamp64Nano({{lower_ns:Int64}}, 'UTC')
  AND {column} <= fromUnixTimestamp64Nano({{upper_ns:Int64}}, 'UTC')"""


TIMELINE_SPANS = f"""SELECT {SPAN_COLUMNS}
FROM {SPANS} FINAL
WHERE {_KEYS} AND {_bounded("start_time")}
ORDER BY run_id, start_time, span_id"""

# A narrower read selects only the columns asked for: ClickHouse reads each column selected
# for the whole granule of a run, payload or not, and plans each one, even a constant, so the
# others get their default here, in the Arrow table of the result.
_NARROW_SPANS = f"""SELECT {{columns}}
FROM {SPANS} FINAL
WHERE {_KEYS} AND {_bounded("start_time")}
ORDER BY run_id, start_time, span_id"""
_ALWAYS_READ = """project_id, run_id, span_id, kind, status,
    toUnixTimestamp64Nano(start_time) AS start_time_unix_nano"""
_EXPRESSIONS = {"end_time_unix_nano": "toUnixTimestamp64Nano(end_time) AS end_time_unix_nano"}

# SpanRecord field -> the columns of SPAN_COLUMNS that fill it, with their value when not read
# (as Arrow gives it back: a Map as a list of pairs). The key, kind, status and start time are
# always read (they order and classify events).
_FIELD_DEFAULTS: dict[str, dict[str, object]] = {
    "trace_id": {"trace_id": ""},
    "parent_span_id": {"parent_span_id": ""},
    "name": {"name": ""},
    "end_time_unix_nano": {"end_time_unix_nano": 0},
    "service_name": {"service_name": ""},
    "agent_id": {"agent_id": ""},
    "agent_name": {"agent_name": ""},
    "conversation_id": {"conversation_id": ""},
    "provider": {"provider": ""},
    "request_model": {"request_model": ""},
    "response_model": {"response_model": ""},
    "temperature": {"temperature": None},
    "top_p": {"top_p": None},
    "max_tokens": {"max_tokens": None},
    "stop_reason": {"stop_reason": ""},
    "response_id": {"response_id": ""},
    "usage": {
        column: 0
        for column in (
            "input_tokens",
            "cached_tokens",
            "cache_write_tokens",
            "output_tokens",
            "reasoning_tokens",
        )
    },
    "cost_usd": {"cost_usd": None},
    "cost_source": {"cost_source": "none"},
    "price_version": {"price_version": ""},
    "input": {"input": ""},
    "output": {"output": ""},
    "tool_name": {"tool_name": ""},
    "tool_call_id": {"tool_call_id": ""},
    "tool_calls": {"tool_calls": []},
    "error_type": {"error_type": ""},
    "error_message": {"error_message": ""},
    "outcome": {"outcome": ""},
    "replay_of": {"replay_of": ""},
    "code_filepath": {"code_filepath": ""},
    "code_function": {"code_function": ""},
    "code_lineno": {"code_lineno": 0},
    "dialects": {"dialects": []},
    "attributes": {"attributes": []},
    "resource": {"resource": []},
    "events": {"events": ""},
    "scope_name": {"scope_name": ""},
    "truncated": {"truncated": False},
    "binary": {"binary": False},
}


def spans_sql(fields: Collection[str] | None) -> str:
    """The spans read of a timeline filling `fields` of SpanRecord (None: all of them)."""
    if fields is None:
        return TIMELINE_SPANS
    columns = [_ALWAYS_READ] + [
        _EXPRESSIONS.get(column, column)
        for field, defaults in _FIELD_DEFAULTS.items()
        if field in fields
        for column in defaults
    ]
    return _NARROW_SPANS.replace("{columns}", ", ".join(columns))


def _with_defaults(table: pa.Table, fields: Collection[str] | None) -> pa.Table:
    """A read of `spans_sql(fields)` with the columns it did not read, at their default."""
    if fields is None:
        return table
    names, columns = list(table.column_names), list(table.columns)
    rows = table.num_rows
    for field, defaults in _FIELD_DEFAULTS.items():
        if field not in fields:
            names.extend(defaults)
            # pa.repeat cannot make an empty list column (an unknown run reads no rows)
            columns.extend(pa.repeat(v, rows) if rows else pa.nulls(0) for v in defaults.values())
    return pa.Table.from_arrays(columns, names=names)


TIMELINE_LOGS = f"""SELECT {LOG_COLUMNS}
FROM {LOGS} FINAL
WHERE {_KEYS} AND {_bounded("time")}
ORDER BY run_id, time, span_id, stream, seq"""

# The logs read of a timeline runs beside its spans read (each thread has its own connection).
_PARALLEL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="runlens-timeline")


def _with_seq(table: pa.Table) -> list[tuple[int, SpanRecord]]:
    """The spans of a read that adds `ingest_seq`, each with it."""
    seqs = table.column("ingest_seq").to_pylist()
    return list(zip(seqs, spans_from_table(table), strict=True))


def run_changes(select: Select, run_id: str, after_seq: int, upto_seq: int) -> RunChanges:
    return runs_changes(select, [run_id], after_seq, upto_seq)[run_id]


_RUNS_SEQ = """project_id = {project_id:String} AND run_id IN {run_ids:Array(String)}
  AND ingest_seq > {after_seq:UInt64} AND ingest_seq <= {upto_seq:UInt64}"""

# FINAL first, then the sequence filter: a span counts only when its current version is new.
CHANGED_RUNS_SPANS = f"""SELECT {SPAN_COLUMNS}, ingest_seq
FROM {SPANS} FINAL
WHERE {_RUNS_SEQ}
ORDER BY run_id, ingest_seq, start_time, span_id"""

CHANGED_RUNS_LOGS = f"""SELECT {LOG_COLUMNS}, ingest_seq
FROM {LOGS} FINAL
WHERE {_RUNS_SEQ}
ORDER BY run_id, ingest_seq, time, span_id, stream, seq"""


def runs_changes(
    select: Select, run_ids: Sequence[str], after_seq: int, upto_seq: int
) -> dict[str, RunChanges]:
    """`run_changes` of several runs over one sequence range, in two reads; every run asked
    for is in the result (with no change when it stored nothing in the range)."""
    if upto_seq <= after_seq or not run_ids:
        return {run_id: RunChanges((), ()) for run_id in run_ids}
    params = {
        "run_ids": sorted(set(run_ids)),
        "after_seq": after_seq,
        "upto_seq": upto_seq,
    }
    spans: dict[str, list[tuple[int, SpanRecord]]] = {}
    for seq, span in _with_seq(select.table(CHANGED_RUNS_SPANS, params)):
        spans.setdefault(span.run_id, []).append((seq, span))
    logs: dict[str, list[tuple[int, LogRecord]]] = {}
    for row in select.rows(CHANGED_RUNS_LOGS, params):
        logs.setdefault(row["run_id"], []).append((int(row["ingest_seq"]), log_from_row(row)))
    return {
        run_id: RunChanges(tuple(spans.get(run_id, ())), tuple(logs.get(run_id, ())))
        for run_id in run_ids
    }


def run_timelines(
    select: Select,
    run_ids: Sequence[str],
    *,
    fields: Collection[str] | None = None,
    logs: bool = True,
    bounds: tuple[int, int] = _NO_BOUNDS,
) -> dict[str, RunTimeline]:
    """Spans and log records of the runs within `bounds` (ns, inclusive); the spans with only
    `fields` filled (None: all), the log records only with `logs`. Both reads run at once."""
    if not run_ids:
        return {}
    params = {
        "run_ids": sorted(set(run_ids)),
        "lower_ns": bounds[0],
        "upper_ns": bounds[1],
    }
    log_rows = _PARALLEL.submit(select.rows, TIMELINE_LOGS, params) if logs else None
    try:
        span_table = select.table(spans_sql(fields), params)
    finally:
        found_logs = [] if log_rows is None else log_rows.result()
    spans: dict[str, list[SpanRecord]] = {}
    for span in spans_from_table(_with_defaults(span_table, fields)):
        spans.setdefault(span.run_id, []).append(span)
    records: dict[str, list[LogRecord]] = {}
    for row in found_logs:
        records.setdefault(row["run_id"], []).append(log_from_row(row))
    return {
        run_id: RunTimeline(spans=tuple(spans.get(run_id, ())), logs=tuple(records.get(run_id, ())))
        for run_id in sorted(spans.keys() | records.keys())
    }


# Actions of an export: the outer REPLACE drops the columns an export never writes, so the
# read skips them (ClickHouse prunes unused columns of the subquery).
_NO_PAYLOADS = """'' AS input, '' AS output, '' AS events,
    CAST(map(), 'Map(String, String)') AS attributes,
    CAST(map(), 'Map(String, String)') AS resource"""
_NO_RAW = """'' AS events, CAST(map(), 'Map(String, String)') AS attributes,
    CAST(map(), 'Map(String, String)') AS resource"""

ACTION_SPANS = f"""SELECT * REPLACE ({{replace}})
FROM
(
    SELECT {SPAN_COLUMNS}
    FROM {SPANS} FINAL
    WHERE {_KEYS} AND (kind = 'tool_execution' OR {IS_LLM_CALL})
)
ORDER BY run_id, start_time_unix_nano, span_id"""

# The shapes of every span of the exported runs: which LLM calls the runs count.
ACTION_SHAPES = f"""SELECT {SHAPE_COLUMNS}
FROM {SPANS} FINAL
WHERE {_KEYS} AND {SHAPE_SPANS}
GROUP BY project_id, run_id"""

# GenAI events (not terminal output) that may carry an LLM call's content.
ACTION_EVENT_LOGS = f"""SELECT {LOG_COLUMNS}
FROM {LOGS} FINAL
WHERE {_KEYS} AND stream = '' AND event_name != ''
ORDER BY run_id, time, span_id, seq"""


def run_actions(select: Select, run_ids: Sequence[str], payloads: bool) -> dict[str, RunTimeline]:
    if not run_ids:
        return {}
    params = {"run_ids": sorted(set(run_ids))}
    sql = ACTION_SPANS.replace("{replace}", _NO_RAW if payloads else _NO_PAYLOADS)
    spans: dict[str, list[SpanRecord]] = {}
    for span in spans_from_table(select.table(sql, params)):
        spans.setdefault(span.run_id, []).append(span)
    logs: dict[str, list[LogRecord]] = {}
    if not spans:
        return {}
    params["run_ids"] = sorted(spans)
    if payloads:
        for row in select.rows(ACTION_EVENT_LOGS, params):
            logs.setdefault(row["run_id"], []).append(log_from_row(row))
    by_run = shapes_by_run(select.table(ACTION_SHAPES, params))
    shapes = {run: found for (_, run), found in by_run.items()}
    return {
        run_id: RunTimeline(
            spans=tuple(found),
            logs=tuple(logs.get(run_id, ())),
            uncounted=frozenset(uncounted_calls(shapes[run_id]))
            if run_id in shapes
            else frozenset(),
        )
        for run_id, found in spans.items()
    }
