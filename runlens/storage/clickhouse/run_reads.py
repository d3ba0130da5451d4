"""The `RunReader` (summary, spans, logs), `RegistryReader` and activity-ledger reads of
`ClickHouseStore` (the registry's SQL is in registry.py)."""

from __future__ import annotations

from collections.abc import Sequence

from runlens.semconv.records import LogRecord, SpanRecord
from runlens.storage.activity import ActionEntry, ActionQuery
from runlens.storage.clickhouse import activity, registry
from runlens.storage.clickhouse import queries as q
from runlens.storage.clickhouse.connections import StoreConnections
from runlens.storage.clickhouse.errors import translated
from runlens.storage.clickhouse.rows import log_from_row, spans_from_table, summary_from_row
from runlens.storage.contract import (
    AgentStats,
    InterceptCandidate,
    InterceptQuery,
    ProjectTotals,
    RetryableStorageError,
    RunQuery,
    RunSummary,
)


class RunReads(StoreConnections):
    # -- RunReader --------------------------------------------------------------------------

    def ping(self) -> None:
        with translated():
            if not self._client().ping():
                raise RetryableStorageError("ClickHouse does not answer")

    def run_summary(self, project_id: str, run_id: str) -> RunSummary | None:
        rows = self._scoped(project_id).rows(q.RUN_SUMMARY, {"run_id": run_id})
        return summary_from_row(rows[0]) if rows else None

    def run_spans(self, project_id: str, run_id: str) -> list[SpanRecord]:
        return spans_from_table(self._scoped(project_id).table(q.RUN_SPANS, {"run_id": run_id}))

    def run_logs(self, project_id: str, run_id: str) -> list[LogRecord]:
        rows = self._scoped(project_id).rows(q.RUN_LOGS, {"run_id": run_id})
        return [log_from_row(row) for row in rows]

    # -- RegistryReader -------------------------------------------------------------------

    def runs_page(self, query: RunQuery) -> list[RunSummary]:
        return registry.runs_page(self._scoped(query.project_id), query)

    def count_runs(self, query: RunQuery) -> int:
        return registry.count_runs(self._scoped(query.project_id), query)

    def run_summaries(self, project_id: str, run_ids: Sequence[str]) -> list[RunSummary]:
        return registry.run_summaries(self._scoped(project_id), run_ids)

    def agent_stats(
        self, project_id: str, search: str | None, limit: int, agent_ids: Sequence[str] = ()
    ) -> list[AgentStats]:
        return registry.agent_stats(self._scoped(project_id), search, limit, agent_ids)

    def project_totals(self, project_id: str, started_after_unix_nano: int | None) -> ProjectTotals:
        return registry.project_totals(self._scoped(project_id), started_after_unix_nano)

    def actions_page(self, query: ActionQuery) -> list[ActionEntry]:
        return activity.actions_page(self._scoped(query.project_id), query)

    def intercepts(self, query: InterceptQuery) -> list[InterceptCandidate]:
        return registry.intercepts(self._scoped(query.project_id), query)
