"""The API benchmark's reads timed on the store itself, without HTTP and GraphQL: the same
`ClickHouseStore` calls the GraphQL resolvers make, with the same arguments, so that the gap to the
HTTP figures is the API's own cost (HTTP, GraphQL execution, Python objects, JSON).

`time_store` runs in a spawned process once the server has stopped (chDB: one process per data
path; the benchmark's own process stays free of chDB).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_DAY_NS = 86_400 * 1_000_000_000
# The span fields of the benchmark's timeline queries (runlens.api.graphql.selection).
LIGHT_FIELDS = frozenset({"parent_span_id", "name", "end_time_unix_nano", "cost_usd"})
PAYLOAD_FIELDS = frozenset({"input", "output", "trace_id"})


@dataclass(frozen=True, slots=True)
class StorePlan:
    dsn: str
    project_id: str
    run_ids: list[str]  # one per timed call (light timelines)
    other_ids: list[str]  # the runs of the timelines with payloads
    warmup_ids: list[str]
    top_agent: str
    min_cost_usd: float
    calls: int
    warmup: int


def time_store(plan: StorePlan) -> dict[str, list[float]]:
    """Milliseconds per call for each store read, calls interleaved round-robin."""
    from runlens.storage.clickhouse.store import ClickHouseStore
    from runlens.storage.contract import InterceptQuery, RunQuery, RunStatus

    store = ClickHouseStore.open(plan.dsn)
    try:
        now = time.time_ns()
        newest = RunQuery(project_id=plan.project_id, limit=51)
        filtered = RunQuery(
            project_id=plan.project_id,
            limit=51,
            statuses=(RunStatus.FAILED,),
            min_cost_usd=plan.min_cost_usd,
            started_after_unix_nano=now - 7 * _DAY_NS,
            agent_id=plan.top_agent,
        )
        intercepts = InterceptQuery(
            project_id=plan.project_id, limit=51, started_after_unix_nano=now - 7 * _DAY_NS
        )

        def timeline(run_id: str, payloads: bool) -> Any:
            # what the `run(id) { events }` resolvers read: the summary, then within its time
            # bounds the span fields the query shows (and, with input/output, the logs at once)
            fields = LIGHT_FIELDS | PAYLOAD_FIELDS if payloads else LIGHT_FIELDS
            summaries = store.run_summaries(plan.project_id, [run_id])
            return store.run_timelines(plan.project_id, [run_id], summaries, fields, payloads)

        def run_id(i: int, warm: bool, payloads: bool) -> str:
            if warm:
                ids = plan.warmup_ids
                return ids[-1 - i % len(ids)] if payloads else ids[i % len(ids)]
            return plan.other_ids[i % len(plan.other_ids)] if payloads else plan.run_ids[i]

        reads: dict[str, Callable[[int, bool], Any]] = {
            "timeline": lambda i, warm: timeline(run_id(i, warm, False), False),
            "timeline + payloads": lambda i, warm: timeline(run_id(i, warm, True), True),
            "runs newest 50": lambda i, warm: store.runs_page(newest),
            "runs filtered": lambda i, warm: store.runs_page(filtered),
            "criticalIntercepts": lambda i, warm: store.intercepts(intercepts),
            "projectStats 30d": lambda i, warm: store.project_totals(
                plan.project_id, now - 30 * _DAY_NS
            ),
        }
        times: dict[str, list[float]] = {name: [] for name in reads}
        for i in range(plan.warmup):
            for read in reads.values():
                read(i, True)
        for i in range(plan.calls):
            for name, read in reads.items():
                started = time.perf_counter()
                read(i, False)
                times[name].append((time.perf_counter() - started) * 1000)
        return times
    finally:
        store.close()


def explain(dsn: str, sql: str, params: dict[str, Any]) -> str:
    """`EXPLAIN indexes = 1` of one statement, for the investigation of a slow read."""
    import clickhouse_connect

    from runlens.storage.clickhouse.queries import SESSION_SETTINGS

    client = clickhouse_connect.get_client(dsn=dsn)
    try:
        for key, value in SESSION_SETTINGS.items():
            client.set_client_setting(key, value)
        rows = client.query(f"EXPLAIN indexes = 1 {sql}", parameters=params).result_rows
        return "\n".join(str(row[0]) for row in rows)
    finally:
        client.close()
