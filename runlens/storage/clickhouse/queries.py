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

# What the recompute carries forward: first_seen_at (a sorting-key column that must never
# change) and started_at (the lower time bound of the next recompute).
PREVIOUS_SUMMARIES = f"""SELECT project_id, run_id,
    toUnixTimestamp64Micro(first_seen_at) AS first_seen_us,
    toUnixTimestamp64Nano(started_at) AS started_ns
FROM {RUN_SUMMARIES} FINAL
WHERE {_KEYS_FILTER}"""

_SUMMARY_TARGET = f"""{RUN_SUMMARIES} (project_id, run_id, first_seen_at, agent_id, agent_name,
    name, status, status_reason, started_at, ended_at, last_activity_at, duration_ms,
    span_count, action_count, action_ok_count, error_count, turns, success_rate, input_tokens,
    cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens, cost_usd,
    unpriced_count, models, error_type, error_message, version, spans_seq)"""

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

# The shapes of the runs a recompute rewrites (`shapes.counting_params`).
RUN_SHAPES = f"""SELECT {SHAPE_COLUMNS}
FROM {SPANS} FINAL
WHERE {_KEYS_FILTER}
  AND start_time >= fromUnixTimestamp64Nano({{lower_ns:Int64}}, 'UTC')
  AND {SHAPE_SPANS}
GROUP BY project_id, run_id"""

# An LLM call (`semconv.counting.is_llm_call`); counted unless listed in `uncounted`.
IS_LLM_CALL = """(kind = 'llm_call' OR (kind = 'summarization' AND cost_source != 'none'))"""

# Recompute the summaries of the given runs from their deduplicated spans, every span stored
# with ingest_seq <= spans_seq among them (migration 009).
# Agent: the first agent id / name a span gives, else the name of a root agent span (without
# an `invoke_agent ` prefix), else the service name. Root span = empty parent. A run is
# running until a root span has ended, then failed if an ended root errored or its agent
# failed (`failing`, semconv.counting.has_failing_agent), else completed; an applied terminate
# command makes it terminated whatever its spans say (reason in status_reason, ended when the
# command applied unless a root ended). Tokens, cost, unpriced calls and turns are summed over
# the counted calls (LLM calls not in `uncounted`: wrappers of another LLM call and repeats of
# a response id); actions are counted calls and tool executions. Aliases in the aggregate
# never reuse a column name (ClickHouse would resolve the alias inside aggregates).
RECOMPUTE_SUMMARIES = f"""INSERT INTO {_SUMMARY_TARGET}
SELECT
    a.project_id,
    a.run_id,
    fromUnixTimestamp64Micro(k.first_seen_us, 'UTC'),
    multiIf(a.a_agent_id != '', a.a_agent_id, a.a_agent_name != '', a.a_agent_name,
            a.a_root_agent != '', a.a_root_agent, a.a_service),
    multiIf(a.a_agent_name != '', a.a_agent_name, a.a_agent_id != '', a.a_agent_id,
            a.a_root_agent != '', a.a_root_agent, a.a_service),
    a.a_name,
    multiIf(t.t_terminated = 1, 'terminated', a.a_roots_ended = 0, 'running',
            a.a_roots_failed > 0
                OR (a.project_id, a.run_id) IN {{failing:Array(Tuple(String, String))}},
            'failed', 'completed'),
    if(t.t_terminated = 1, t.t_reason, ''),
    fromUnixTimestamp64Nano(a.a_start_ns, 'UTC'),
    fromUnixTimestamp64Nano(multiIf(a.a_roots_ended > 0, a.a_end_ns,
                                    t.t_terminated = 1, t.t_at_ns, 0), 'UTC'),
    fromUnixTimestamp64Nano(greatest(a.a_activity_ns, {{now_ns:Int64}}), 'UTC'),
    if(multiIf(a.a_roots_ended > 0, a.a_end_ns, t.t_terminated = 1, t.t_at_ns, 0)
           < a.a_start_ns, 0,
       intDiv(multiIf(a.a_roots_ended > 0, a.a_end_ns, t.t_terminated = 1, t.t_at_ns, 0)
              - a.a_start_ns, 1000000)),
    a.a_spans,
    a.a_actions,
    a.a_actions_ok,
    a.a_errors,
    a.a_turns,
    if(a.a_actions = 0, 1.0, a.a_actions_ok / a.a_actions),
    a.a_input,
    a.a_cached,
    a.a_cache_write,
    a.a_output,
    a.a_reasoning,
    a.a_cost,
    a.a_unpriced,
    a.a_models,
    a.a_error_type,
    a.a_error_message,
    {{version:UInt64}},
    {{spans_seq:UInt64}}
FROM
(
    SELECT
        project_id,
        run_id,
        argMinIf(agent_id, start_time, agent_id != '') AS a_agent_id,
        argMinIf(agent_name, start_time, agent_name != '') AS a_agent_name,
        argMinIf(service_name, start_time, service_name != '') AS a_service,
        argMinIf(replaceRegexpOne(name, '^invoke_agent ', ''), start_time,
                 is_root AND kind = 'agent') AS a_root_agent,
        if(countIf(is_root) > 0, argMinIf(name, start_time, is_root),
           argMinIf(name, start_time, kind = 'agent')) AS a_name,
        countIf(is_root AND status != 'running') AS a_roots_ended,
        countIf(is_root AND status = 'error') AS a_roots_failed,
        min(toUnixTimestamp64Nano(start_time)) AS a_start_ns,
        maxIf(toUnixTimestamp64Nano(end_time), is_root AND status != 'running') AS a_end_ns,
        greatest(max(toUnixTimestamp64Nano(end_time)), max(toUnixTimestamp64Nano(start_time)),
                 max(toUnixTimestamp64Nano(ingested_at))) AS a_activity_ns,
        count() AS a_spans,
        countIf(is_counted OR kind = 'tool_execution') AS a_actions,
        countIf((is_counted OR kind = 'tool_execution') AND status = 'ok') AS a_actions_ok,
        countIf(status = 'error') AS a_errors,
        countIf(is_counted) AS a_turns,
        sumIf(input_tokens, is_counted) AS a_input,
        sumIf(cached_tokens, is_counted) AS a_cached,
        sumIf(cache_write_tokens, is_counted) AS a_cache_write,
        sumIf(output_tokens, is_counted) AS a_output,
        sumIf(reasoning_tokens, is_counted) AS a_reasoning,
        sumIf(ifNull(cost_usd, 0), is_counted) AS a_cost,
        countIf(is_counted AND cost_source = 'unpriced') AS a_unpriced,
        arraySort(groupUniqArrayIf(model, is_llm AND model != '')) AS a_models,
        argMinIf(error_type, (NOT is_root, start_time), status = 'error') AS a_error_type,
        argMinIf(error_message, (NOT is_root, start_time), status = 'error') AS a_error_message
    FROM
    (
        SELECT
            project_id, run_id, span_id, kind, name, status, start_time, end_time, ingested_at,
            agent_id, agent_name, service_name, model, cost_source, cost_usd, input_tokens,
            cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens, error_type,
            error_message,
            parent_span_id = '' AS is_root,
            {IS_LLM_CALL} AS is_llm,
            is_llm AND (project_id, run_id, span_id)
                NOT IN {{uncounted:Array(Tuple(String, String, String))}} AS is_counted
        FROM {SPANS} FINAL
        WHERE {_KEYS_FILTER}
          AND start_time >= fromUnixTimestamp64Nano({{lower_ns:Int64}}, 'UTC')
    )
    GROUP BY project_id, run_id
) AS a
INNER JOIN
(
    SELECT t.1 AS project_id, t.2 AS run_id, t.3 AS first_seen_us
    FROM (SELECT arrayJoin({{first_seen:Array(Tuple(String, String, Int64))}}) AS t)
) AS k ON a.project_id = k.project_id AND a.run_id = k.run_id
LEFT JOIN
(
    SELECT project_id, run_id, 1 AS t_terminated,
        argMax(JSONExtractString(payload, 'reason'), updated_at) AS t_reason,
        max(toUnixTimestamp64Nano(updated_at)) AS t_at_ns
    FROM {CONTROL_COMMANDS} FINAL
    WHERE {_KEYS_FILTER} AND kind = 'terminate' AND state = 'applied'
    GROUP BY project_id, run_id
) AS t ON a.project_id = t.project_id AND a.run_id = t.run_id"""

# Runs still running whose last activity is older than the cutoff.
LOST_RUNS = f"""SELECT project_id, run_id
FROM {RUN_SUMMARIES} FINAL
WHERE status = 'running'
  AND last_activity_at < fromUnixTimestamp64Nano({{cutoff_ns:Int64}}, 'UTC')"""

# Close them as failed/lost. version + 1: the closed row beats the row it was made from, and
# any later recompute (version = current time in µs) beats the closed row, so a run that
# receives spans again is reopened by its next recompute.
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
