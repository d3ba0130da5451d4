"""Every SQL statement the store runs. Values are always bound parameters (`{name:Type}`).

Span and summary tables are ReplacingMergeTrees: every read of them uses FINAL, with the
session setting `do_not_merge_across_partitions_select_final = 1` so that FINAL stays within
the partitions a query touches.
"""

from __future__ import annotations

from typing import Any, Protocol

import pyarrow as pa


class Select(Protocol):
    """Runs one SELECT with bound parameters. The store hands out selects bound to one project:
    they add `project_id` to the parameters and refuse statements without PROJECT_FILTER."""

    def rows(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """The result as one dict per row (small results)."""
        ...

    def table(self, sql: str, params: dict[str, Any]) -> pa.Table:
        """The result as Arrow, for results converted column by column (spans)."""
        ...


PROJECT_FILTER = "project_id = {project_id:String}"

SPANS = "runlens.spans"
LOGS = "runlens.logs"
RUN_SUMMARIES = "runlens.run_summaries"
# The same rows keyed by run (migration 008): reads of runs by id.
RUN_SUMMARIES_BY_ID = "runlens.run_summaries_by_id"
# One narrow row per span, what run summaries are computed from (migration 011).
RUN_SPAN_FACTS = "runlens.run_span_facts"
CONTROL_COMMANDS = "runlens.control_commands"

SESSION_SETTINGS: dict[str, str | int] = {
    # Safe: no table's partition key changes between versions of a row.
    "do_not_merge_across_partitions_select_final": 1,
}

# The run keys a statement is about: the first two arrays let the primary key and the
# bloom filter on run_id prune; the tuple list makes the match exact.
_KEYS_FILTER = """project_id IN {project_ids:Array(String)}
    AND run_id IN {run_ids:Array(String)}
    AND (project_id, run_id) IN {keys:Array(Tuple(String, String))}"""

SPAN_COLUMNS = """project_id, run_id, trace_id, span_id, parent_span_id, kind, name, status,
    toUnixTimestamp64Nano(start_time) AS start_time_unix_nano,
    toUnixTimestamp64Nano(end_time) AS end_time_unix_nano,
    service_name, agent_id, agent_name, conversation_id, provider, request_model,
    response_model, temperature, top_p, max_tokens, stop_reason, response_id, input_tokens,
    cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens, cost_usd, cost_source,
    price_version, input, output, tool_name, tool_call_id, tool_calls, error_type,
    error_message, outcome, replay_of, code_filepath, code_function, code_lineno, dialects,
    attributes, resource, events, scope_name, truncated, binary"""

LOG_COLUMNS = """project_id, run_id, trace_id, span_id,
    toUnixTimestamp64Nano(time) AS time_unix_nano, event_name, severity_number, body,
    attributes, stream, seq, end_of_stream, truncated, binary"""

SUMMARY_COLUMNS = """project_id, run_id, agent_id, agent_name, name, status, status_reason,
    toUnixTimestamp64Nano(started_at) AS started_at_unix_nano,
    toUnixTimestamp64Nano(ended_at) AS ended_at_unix_nano,
    toUnixTimestamp64Nano(last_activity_at) AS last_activity_unix_nano,
    span_count, action_count, action_ok_count, error_count, turns, input_tokens,
    cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens, cost_usd,
    unpriced_count, error_type, error_message, models"""

RUN_SPANS = f"""SELECT {SPAN_COLUMNS}
FROM {SPANS} FINAL
WHERE project_id = {{project_id:String}} AND run_id = {{run_id:String}}
ORDER BY start_time, span_id"""

RUN_LOGS = f"""SELECT {LOG_COLUMNS}
FROM {LOGS} FINAL
WHERE project_id = {{project_id:String}} AND run_id = {{run_id:String}}
ORDER BY time, span_id, stream, seq"""

RUN_SUMMARY = f"""SELECT {SUMMARY_COLUMNS}
FROM {RUN_SUMMARIES_BY_ID} FINAL
WHERE project_id = {{project_id:String}} AND run_id = {{run_id:String}}
LIMIT 1"""

SUMMARY_TARGET_COLUMNS = """project_id, run_id, first_seen_at, agent_id, agent_name, name, status,
    status_reason, started_at, ended_at, last_activity_at, duration_ms, span_count,
    action_count, action_ok_count, error_count, turns, success_rate, input_tokens,
    cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens, cost_usd,
    unpriced_count, models, error_type, error_message, version, spans_seq"""
_SUMMARY_TARGET = f"{RUN_SUMMARIES} ({SUMMARY_TARGET_COLUMNS})"

# What the counting rules read of a run (`semconv.counting.RunShape`), one row per run. Only
# the spans the rules can meet: LLM calls, agents, summarizations, `other` spans and roots (the
# rules stop at any other span as at a missing one).
SHAPE_COLUMNS = """project_id, run_id, groupArray(span_id) AS span_ids,
    groupArray(parent_span_id) AS parent_ids, groupArray(toString(kind)) AS kinds,
    groupArray(toString(status)) AS statuses, groupArray(toString(cost_source)) AS cost_sources,
    groupArray(response_id) AS response_ids,
    groupArray(toUnixTimestamp64Nano(start_time)) AS starts,
    groupArray(input_tokens + output_tokens > 0) AS used"""
SHAPE_SPANS = """(kind IN ('llm_call', 'summarization', 'agent', 'other') OR parent_span_id = '')"""

# An LLM call (`semconv.counting.is_llm_call`); counted unless listed in `uncounted`.
IS_LLM_CALL = """(kind = 'llm_call' OR (kind = 'summarization' AND cost_source != 'none'))"""

# What the store holds of the runs a refresh rewrites (`summaries.checks`): spans and ended
# spans in `run_span_facts` (what the writer's state of the run must hold to be complete), the
# applied terminate, and first_seen_at from the previous summary (0: none). One snapshot: a
# refresh that sees a terminate saw at least the spans of any refresh that did not
# (`runlens.storage.summarize`). Aliases never reuse a column name.
RUN_CHECKS = f"""SELECT f.project_id, f.run_id, f.c_spans, f.c_ended, t.t_terminated,
    t.t_reason, t.t_at_ns, p.p_first_seen_us
FROM
(
    SELECT project_id, run_id, count() AS c_spans, countIf(status != 'running') AS c_ended
    FROM {RUN_SPAN_FACTS} FINAL
    WHERE {_KEYS_FILTER}
    GROUP BY project_id, run_id
) AS f
LEFT JOIN
(
    SELECT project_id, run_id, 1 AS t_terminated,
        argMax(JSONExtractString(payload, 'reason'), updated_at) AS t_reason,
        max(toUnixTimestamp64Nano(updated_at)) AS t_at_ns
    FROM {CONTROL_COMMANDS} FINAL
    WHERE {_KEYS_FILTER} AND kind = 'terminate' AND state = 'applied'
    GROUP BY project_id, run_id
) AS t ON f.project_id = t.project_id AND f.run_id = t.run_id
LEFT JOIN
(
    SELECT project_id, run_id, max(toUnixTimestamp64Micro(first_seen_at)) AS p_first_seen_us
    FROM {RUN_SUMMARIES_BY_ID} FINAL
    WHERE {_KEYS_FILTER}
    GROUP BY project_id, run_id
) AS p ON f.project_id = p.project_id AND f.run_id = p.run_id
SETTINGS join_use_nulls = 0"""

# The facts of the runs whose state is not complete, one row per span (`summaries.states_by_run`).
RUN_FACTS = f"""SELECT project_id, run_id, span_id, parent_span_id, toString(kind) AS f_kind,
    toString(name) AS f_name, toString(status) AS f_status,
    toUnixTimestamp64Nano(start_time) AS f_start, toUnixTimestamp64Nano(end_time) AS f_end,
    toUnixTimestamp64Micro(ingested_at) * 1000 AS f_ingested, toString(agent_id) AS f_agent_id,
    toString(agent_name) AS f_agent_name, toString(service_name) AS f_service,
    toString(model) AS f_model, toString(cost_source) AS f_cost_source, cost_usd,
    input_tokens, cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
    response_id, toString(error_type) AS f_error_type, error_message, version
FROM {RUN_SPAN_FACTS} FINAL
WHERE {_KEYS_FILTER}"""

# Runs still running whose last activity is older than the cutoff.
LOST_RUNS = f"""SELECT project_id, run_id
FROM {RUN_SUMMARIES} FINAL
WHERE status = 'running'
  AND last_activity_at < fromUnixTimestamp64Nano({{cutoff_ns:Int64}}, 'UTC')"""

# Close them as failed/lost. version + 1: the closed row beats the row it was made from, and
# a later refresh that saw more of the run (`summarize.version_of`) beats the closed row, so a
# run that receives spans again is reopened by its next refresh.
CLOSE_LOST_RUNS = f"""INSERT INTO {_SUMMARY_TARGET}
SELECT project_id, run_id, first_seen_at, agent_id, agent_name, name,
    'failed', {{reason:String}}, started_at, last_activity_at, last_activity_at,
    if(last_activity_at > started_at,
       toUInt64(intDiv(toUnixTimestamp64Nano(last_activity_at)
                       - toUnixTimestamp64Nano(started_at), 1000000)), 0),
    span_count, action_count, action_ok_count, error_count, turns, success_rate, input_tokens,
    cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens, cost_usd,
    unpriced_count, models, {{reason:String}}, {{message:String}}, version + 1, spans_seq
FROM {RUN_SUMMARIES} FINAL
WHERE {_KEYS_FILTER}
  AND status = 'running'
  AND last_activity_at < fromUnixTimestamp64Nano({{cutoff_ns:Int64}}, 'UTC')"""
