"""A run's timeline: its spans (payloads included) and its log records, for several runs in
two key-bounded reads under FINAL; and the actions of several runs, as an export reads them."""

from __future__ import annotations

from collections.abc import Sequence

from runlens.semconv.records import LogRecord, SpanRecord
from runlens.storage.clickhouse.queries import LOG_COLUMNS, LOGS, SPAN_COLUMNS, SPANS
from runlens.storage.clickhouse.registry import Select
from runlens.storage.clickhouse.rows import from_row, log_from_row
from runlens.storage.contract import RunChanges, RunTimeline

_KEYS = "project_id = {project_id:String} AND run_id IN {run_ids:Array(String)}"

TIMELINE_SPANS = f"""SELECT {SPAN_COLUMNS}
FROM {SPANS} FINAL
WHERE {_KEYS}
ORDER BY run_id, start_time, span_id"""

TIMELINE_LOGS = f"""SELECT {LOG_COLUMNS}
FROM {LOGS} FINAL
WHERE {_KEYS}
ORDER BY run_id, time, span_id, stream, seq"""


_RUN_SEQ = """project_id = {project_id:String} AND run_id = {run_id:String}
  AND ingest_seq > {after_seq:UInt64} AND ingest_seq <= {upto_seq:UInt64}"""

# FINAL first, then the sequence filter: a span counts only when its current version is new.
CHANGED_SPANS = f"""SELECT {SPAN_COLUMNS}, ingest_seq
FROM {SPANS} FINAL
WHERE {_RUN_SEQ}
ORDER BY ingest_seq, start_time, span_id"""

CHANGED_LOGS = f"""SELECT {LOG_COLUMNS}, ingest_seq
FROM {LOGS} FINAL
WHERE {_RUN_SEQ}
ORDER BY ingest_seq, time, span_id, stream, seq"""


def run_changes(
    select: Select, project_id: str, run_id: str, after_seq: int, upto_seq: int
) -> RunChanges:
    if upto_seq <= after_seq:
        return RunChanges((), ())
    params = {
        "project_id": project_id,
        "run_id": run_id,
        "after_seq": after_seq,
        "upto_seq": upto_seq,
    }
    spans = tuple((int(row["ingest_seq"]), from_row(row)) for row in select(CHANGED_SPANS, params))
    logs = tuple(
        (int(row["ingest_seq"]), log_from_row(row)) for row in select(CHANGED_LOGS, params)
    )
    return RunChanges(spans, logs)


_RUNS_SEQ = """project_id = {project_id:String} AND run_id IN {run_ids:Array(String)}
  AND ingest_seq > {after_seq:UInt64} AND ingest_seq <= {upto_seq:UInt64}"""

CHANGED_RUNS_SPANS = f"""SELECT {SPAN_COLUMNS}, ingest_seq
FROM {SPANS} FINAL
WHERE {_RUNS_SEQ}
ORDER BY run_id, ingest_seq, start_time, span_id"""

CHANGED_RUNS_LOGS = f"""SELECT {LOG_COLUMNS}, ingest_seq
FROM {LOGS} FINAL
WHERE {_RUNS_SEQ}
ORDER BY run_id, ingest_seq, time, span_id, stream, seq"""


def runs_changes(
    select: Select, project_id: str, run_ids: Sequence[str], after_seq: int, upto_seq: int
) -> dict[str, RunChanges]:
    """`run_changes` of several runs over one sequence range, in two reads; every run asked
    for is in the result (with no change when it stored nothing in the range)."""
    if upto_seq <= after_seq or not run_ids:
        return {run_id: RunChanges((), ()) for run_id in run_ids}
    params = {
        "project_id": project_id,
        "run_ids": sorted(set(run_ids)),
        "after_seq": after_seq,
        "upto_seq": upto_seq,
    }
    spans: dict[str, list[tuple[int, SpanRecord]]] = {}
    for row in select(CHANGED_RUNS_SPANS, params):
        spans.setdefault(row["run_id"], []).append((int(row["ingest_seq"]), from_row(row)))
    logs: dict[str, list[tuple[int, LogRecord]]] = {}
    for row in select(CHANGED_RUNS_LOGS, params):
        logs.setdefault(row["run_id"], []).append((int(row["ingest_seq"]), log_from_row(row)))
    return {
        run_id: RunChanges(tuple(spans.get(run_id, ())), tuple(logs.get(run_id, ())))
        for run_id in run_ids
    }


def run_timelines(
    select: Select, project_id: str, run_ids: Sequence[str]
) -> dict[str, RunTimeline]:
    if not run_ids:
        return {}
    params = {"project_id": project_id, "run_ids": sorted(set(run_ids))}
    spans: dict[str, list[SpanRecord]] = {}
    for row in select(TIMELINE_SPANS, params):
        spans.setdefault(row["run_id"], []).append(from_row(row))
    logs: dict[str, list[LogRecord]] = {}
    for row in select(TIMELINE_LOGS, params):
        logs.setdefault(row["run_id"], []).append(log_from_row(row))
    return {
        run_id: RunTimeline(spans=tuple(spans.get(run_id, ())), logs=tuple(logs.get(run_id, ())))
        for run_id in sorted(spans.keys() | logs.keys())
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
    WHERE {_KEYS} AND kind IN ('llm_call', 'tool_execution')
)
ORDER BY run_id, start_time_unix_nano, span_id"""

# GenAI events (not terminal output) that may carry an LLM call's content.
ACTION_EVENT_LOGS = f"""SELECT {LOG_COLUMNS}
FROM {LOGS} FINAL
WHERE {_KEYS} AND stream = '' AND event_name != ''
ORDER BY run_id, time, span_id, seq"""


def run_actions(
    select: Select, project_id: str, run_ids: Sequence[str], payloads: bool
) -> dict[str, RunTimeline]:
    if not run_ids:
        return {}
    params = {"project_id": project_id, "run_ids": sorted(set(run_ids))}
    sql = ACTION_SPANS.replace("{replace}", _NO_RAW if payloads else _NO_PAYLOADS)
    spans: dict[str, list[SpanRecord]] = {}
    for row in select(sql, params):
        spans.setdefault(row["run_id"], []).append(from_row(row))
    logs: dict[str, list[LogRecord]] = {}
    if payloads and spans:
        params["run_ids"] = sorted(spans)
        for row in select(ACTION_EVENT_LOGS, params):
            logs.setdefault(row["run_id"], []).append(log_from_row(row))
    return {
        run_id: RunTimeline(spans=tuple(found), logs=tuple(logs.get(run_id, ())))
        for run_id, found in spans.items()
    }
