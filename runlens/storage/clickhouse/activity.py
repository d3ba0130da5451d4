"""The activity ledger: actions across a project's runs, newest first, read from `spans`
under FINAL (the current version of each span), filtered and paged by (start, run, span).
The agent filter goes through the run summaries, which know each run's agent; a span does
not carry its run's agent."""

from __future__ import annotations

from typing import Any

from runlens.semconv.records import SpanKind, SpanStatus
from runlens.storage.activity import ActionEntry, ActionOutcome, ActionQuery
from runlens.storage.clickhouse.queries import RUN_SUMMARIES, SPANS, Select

_COLUMNS = """run_id, span_id, kind, name, status, outcome,
    toUnixTimestamp64Nano(start_time) AS start_ns, toUnixTimestamp64Nano(end_time) AS end_ns,
    cost_usd, model, tool_name, error_type, error_message"""
_SPECIAL = "outcome IN ('blocked', 'replayed')"
_OUTCOMES = {
    ActionOutcome.BLOCKED: "outcome = 'blocked'",
    ActionOutcome.REPLAYED: "outcome = 'replayed'",
    ActionOutcome.ERROR: f"NOT {_SPECIAL} AND status = 'error'",
    ActionOutcome.SUCCESS: f"NOT {_SPECIAL} AND status = 'ok'",
}
_SEARCH = " OR ".join(
    f"positionCaseInsensitiveUTF8({column}, {{search:String}}) > 0"
    for column in ("name", "tool_name", "model", "error_message", "input", "output")
)
_AGENT_RUNS = f"""run_id IN (
    SELECT run_id FROM {RUN_SUMMARIES} FINAL
    WHERE project_id = {{project_id:String}} AND agent_id = {{agent_id:String}})"""


def actions_page(select: Select, query: ActionQuery) -> list[ActionEntry]:
    where = ["project_id = {project_id:String}", "kind IN {kinds:Array(String)}"]
    params: dict[str, Any] = {"kinds": [k.value for k in query.kinds], "limit": query.limit}
    if query.outcomes:
        where.append("(" + " OR ".join(f"({_OUTCOMES[o]})" for o in query.outcomes) + ")")
    if query.started_after_unix_nano is not None:
        where.append("start_time >= fromUnixTimestamp64Nano({since_ns:Int64}, 'UTC')")
        params["since_ns"] = query.started_after_unix_nano
    if query.agent_id is not None:
        where.append(_AGENT_RUNS)
        params["agent_id"] = query.agent_id
    if query.search:
        where.append(f"({_SEARCH})")
        params["search"] = query.search
    if query.after is not None:
        where.append(
            "(start_time, run_id, span_id) < (fromUnixTimestamp64Nano({after_ns:Int64}, 'UTC'), "
            "{after_run:String}, {after_span:String})"
        )
        params.update(
            after_ns=query.after.start_unix_nano,
            after_run=query.after.run_id,
            after_span=query.after.span_id,
        )
    sql = f"""SELECT {_COLUMNS}
FROM {SPANS} FINAL
WHERE {" AND ".join(where)}
ORDER BY start_time DESC, run_id DESC, span_id DESC
LIMIT {{limit:UInt32}}"""
    return [_entry(row) for row in select.rows(sql, params)]


def _entry(row: dict[str, Any]) -> ActionEntry:
    return ActionEntry(
        run_id=row["run_id"],
        span_id=row["span_id"],
        kind=SpanKind(row["kind"]),
        name=row["name"],
        status=SpanStatus(row["status"]),
        outcome=row["outcome"],
        start_unix_nano=int(row["start_ns"]),
        end_unix_nano=int(row["end_ns"]),
        cost_usd=row["cost_usd"],
        model=row["model"],
        tool_name=row["tool_name"],
        error_type=row["error_type"],
        error_message=row["error_message"],
    )
