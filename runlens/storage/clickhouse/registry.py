"""Run listings read from `run_summaries`: pages of runs, counts, agents, project totals and
the runs that need attention. Every statement filters on `project_id`, which the store's
project-scoped select binds; values are bound parameters; `input`/`output` are never read here."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from runlens.semconv import keys
from runlens.storage.clickhouse.queries import (
    CONTROL_COMMANDS,
    RUN_SUMMARIES,
    RUN_SUMMARIES_BY_ID,
    SPANS,
    SUMMARY_COLUMNS,
    Select,
)
from runlens.storage.clickhouse.rows import summary_from_row
from runlens.storage.contract import (
    AgentStats,
    InterceptCandidate,
    InterceptQuery,
    ProjectTotals,
    RunPosition,
    RunQuery,
    RunSortField,
    RunSummary,
)

_SORT_COLUMN = {RunSortField.STARTED_AT: "started_at", RunSortField.COST: "cost_usd"}
# started_at >= first_seen_at - skew: the second predicate turns a window into a key range.
_WINDOW = """started_at >= fromUnixTimestamp64Nano({since_ns:Int64}, 'UTC')
    AND first_seen_at >= fromUnixTimestamp64Nano({since_ns:Int64}, 'UTC') - INTERVAL 1 HOUR"""
_SEARCH = """(positionCaseInsensitiveUTF8(run_id, {search:String}) > 0
    OR positionCaseInsensitiveUTF8(name, {search:String}) > 0
    OR positionCaseInsensitiveUTF8(agent_id, {search:String}) > 0
    OR positionCaseInsensitiveUTF8(agent_name, {search:String}) > 0)"""


def _filters(query: RunQuery) -> tuple[list[str], dict[str, Any]]:
    where = ["project_id = {project_id:String}"]
    params: dict[str, Any] = {}
    if query.statuses:
        where.append("status IN {statuses:Array(String)}")
        params["statuses"] = [s.value for s in query.statuses]
    if query.min_cost_usd is not None:
        where.append("cost_usd >= {min_cost:Float64}")
        params["min_cost"] = query.min_cost_usd
    if query.started_after_unix_nano is not None:
        where.append(_WINDOW)
        params["since_ns"] = query.started_after_unix_nano
    if query.agent_id is not None:
        where.append("agent_id = {agent_id:String}")
        params["agent_id"] = query.agent_id
    if query.search:
        where.append(_SEARCH)
        params["search"] = query.search
    return where, params


def _after(
    position: RunPosition, sort: RunSortField, descending: bool
) -> tuple[str, dict[str, Any]]:
    op = "<" if descending else ">"
    if sort is RunSortField.STARTED_AT:
        value = "fromUnixTimestamp64Nano({after_value:Int64}, 'UTC')"
        params: dict[str, Any] = {"after_value": int(position.value)}
    else:
        value = "{after_value:Float64}"
        params = {"after_value": float(position.value)}
    params["after_run"] = position.run_id
    column = _SORT_COLUMN[sort]
    return f"({column}, run_id) {op} ({value}, {{after_run:String}})", params


# Newest first without a narrow filter, a page is read from the last day first, then the last
# week, the last month, and only then from everything: with N rows whose started_at is at or
# after T, no other run can be newer than them, so the page is exact, and the window turns
# the read into a key range of first_seen_at days instead of a scan of the project.
_WALK_BACK_NS = tuple(days * 86_400 * 1_000_000_000 for days in (1, 7, 30))


def runs_page(select: Select, query: RunQuery, now_ns: int | None = None) -> list[RunSummary]:
    sparse = query.statuses or query.min_cost_usd is not None or query.agent_id or query.search
    if query.sort is RunSortField.STARTED_AT and query.descending and not sparse:
        newest = int(query.after.value) if query.after is not None else now_ns or time.time_ns()
        for back_ns in _WALK_BACK_NS:
            since_ns = newest - back_ns
            if (
                query.started_after_unix_nano is not None
                and since_ns <= query.started_after_unix_nano
            ):
                break
            page = _page(select, replace(query, started_after_unix_nano=since_ns))
            if len(page) >= query.limit:
                return page
    return _page(select, query)


def _page(select: Select, query: RunQuery) -> list[RunSummary]:
    where, params = _filters(query)
    if query.after is not None:
        condition, extra = _after(query.after, query.sort, query.descending)
        where.append(condition)
        params.update(extra)
    direction = "DESC" if query.descending else "ASC"
    column = _SORT_COLUMN[query.sort]
    params["limit"] = query.limit
    sql = f"""SELECT {SUMMARY_COLUMNS}
FROM {RUN_SUMMARIES} FINAL
WHERE {" AND ".join(where)}
ORDER BY {column} {direction}, run_id {direction}
LIMIT {{limit:UInt32}}"""
    return [summary_from_row(row) for row in select.rows(sql, params)]


def count_runs(select: Select, query: RunQuery) -> int:
    where, params = _filters(query)
    sql = f"SELECT count() AS n FROM {RUN_SUMMARIES} FINAL WHERE {' AND '.join(where)}"
    return int(select.rows(sql, params)[0]["n"])


def run_summaries(select: Select, run_ids: Sequence[str]) -> list[RunSummary]:
    if not run_ids:
        return []
    sql = f"""SELECT {SUMMARY_COLUMNS}
FROM {RUN_SUMMARIES_BY_ID} FINAL
WHERE project_id = {{project_id:String}} AND run_id IN {{run_ids:Array(String)}}"""
    rows = select.rows(sql, {"run_ids": sorted(set(run_ids))})
    return [summary_from_row(row) for row in rows]


def agent_stats(
    select: Select, search: str | None, limit: int, agent_ids: Sequence[str] = ()
) -> list[AgentStats]:
    # No FINAL: uniqExact counts every run once whatever versions are not merged yet.
    where = "project_id = {project_id:String}"
    if search:
        where += """ AND (positionCaseInsensitiveUTF8(agent_id, {search:String}) > 0
            OR positionCaseInsensitiveUTF8(agent_name, {search:String}) > 0)"""
    if agent_ids:
        where += " AND agent_id IN {agent_ids:Array(String)}"
    # Aliases differ from column names: ClickHouse would resolve them inside WHERE.
    sql = f"""SELECT agent_id AS a_id, argMax(agent_name, version) AS a_name,
    uniqExact(run_id) AS run_count
FROM {RUN_SUMMARIES}
WHERE {where}
GROUP BY agent_id
ORDER BY run_count DESC, a_id
LIMIT {{limit:UInt32}}"""
    params = {
        "search": search or "",
        "agent_ids": sorted(set(agent_ids)),
        "limit": limit,
    }
    rows = select.rows(sql, params)
    return [AgentStats(r["a_id"], r["a_name"], int(r["run_count"])) for r in rows]


def project_totals(select: Select, since_ns: int | None) -> ProjectTotals:
    where = "project_id = {project_id:String}" + (f" AND {_WINDOW}" if since_ns is not None else "")
    sql = f"""SELECT count() AS runs, sum(span_count) AS spans, sum(action_count) AS actions,
    sum(cost_usd) AS cost, sum(input_tokens) AS input, sum(cached_tokens) AS cached,
    sum(output_tokens) AS output, sum(reasoning_tokens) AS reasoning
FROM {RUN_SUMMARIES} FINAL
WHERE {where}"""
    row = select.rows(sql, {"since_ns": since_ns or 0})[0]
    return ProjectTotals(
        runs=int(row["runs"]),
        spans=int(row["spans"]),
        actions=int(row["actions"]),
        cost_usd=float(row["cost"]),
        input_tokens=int(row["input"]),
        cached_tokens=int(row["cached"]),
        output_tokens=int(row["output"]),
        reasoning_tokens=int(row["reasoning"]),
    )


# Blocked actions and budget attributes come from the spans of the window, read without FINAL
# (uniqExact over span ids counts each span once) and only where such a value is set;
# interventions from the project's terminate and steer commands that were not rejected.
_INTERCEPTS = f"""SELECT {SUMMARY_COLUMNS},
    ifNull(b.b_blocked, 0) AS blocked_actions,
    ifNull(c.c_interventions, 0) AS interventions,
    coalesce(b.b_budget,
             if(indexOf({{budget_agents:Array(String)}}, agent_id) > 0,
                arrayElement({{budget_values:Array(Float64)}},
                             indexOf({{budget_agents:Array(String)}}, agent_id)),
                NULL)) AS budget_usd
FROM {RUN_SUMMARIES} AS s FINAL
LEFT JOIN
(
    SELECT run_id AS b_run_id,
        uniqExactIf(span_id, outcome = 'blocked'
                    AND kind IN ('llm_call', 'tool_execution')) AS b_blocked,
        max(toFloat64OrNull(attributes['{keys.RUNLENS_BUDGET_USD}'])) AS b_budget
    FROM {SPANS}
    WHERE project_id = {{project_id:String}}
      AND start_time >= fromUnixTimestamp64Nano({{since_ns:Int64}}, 'UTC')
      AND (outcome = 'blocked' OR mapContains(attributes, '{keys.RUNLENS_BUDGET_USD}'))
    GROUP BY run_id
) AS b ON s.run_id = b.b_run_id
LEFT JOIN
(
    SELECT run_id AS c_run_id, toUInt64(count()) AS c_interventions
    FROM {CONTROL_COMMANDS} FINAL
    WHERE project_id = {{project_id:String}} AND kind IN ('terminate', 'steer')
      AND state != 'rejected'
    GROUP BY run_id
) AS c ON s.run_id = c.c_run_id
WHERE project_id = {{project_id:String}} AND {{where}}
  AND (status = 'failed'
       OR (budget_usd IS NOT NULL AND cost_usd > budget_usd)
       OR (blocked_actions + interventions > 0 AND action_count > 0
           AND (blocked_actions + interventions) / action_count >= {{threshold:Float64}}))
ORDER BY started_at DESC, run_id DESC
LIMIT {{limit:UInt32}}"""


def intercepts(select: Select, query: InterceptQuery) -> list[InterceptCandidate]:
    since_ns = query.started_after_unix_nano or 0
    where = [_WINDOW]
    params: dict[str, Any] = {
        "since_ns": since_ns,
        "budget_agents": [agent for agent, _ in query.agent_budgets_usd],
        "budget_values": [float(budget) for _, budget in query.agent_budgets_usd],
        "threshold": query.intervention_threshold,
        "limit": query.limit,
    }
    if query.after is not None:
        condition, extra = _after(query.after, RunSortField.STARTED_AT, descending=True)
        where.append(condition)
        params.update(extra)
    sql = _INTERCEPTS.replace("{where}", " AND ".join(where))
    return [
        InterceptCandidate(
            summary=summary_from_row(row),
            blocked_actions=int(row["blocked_actions"]),
            budget_usd=None if row["budget_usd"] is None else float(row["budget_usd"]),
            interventions=int(row["interventions"]),
        )
        for row in select.rows(sql, params)
    ]
