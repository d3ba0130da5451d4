"""The `RunReader`, `EventReader` and `RegistryReader` roles of `MemoryStore` (listings in
registry.py)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import fields, replace
from typing import Any

from runlens.semconv.counting import uncounted_calls
from runlens.semconv.records import LogRecord, SpanKind, SpanRecord
from runlens.storage.activity import ActionEntry, ActionQuery
from runlens.storage.contract import (
    AgentStats,
    InterceptCandidate,
    InterceptQuery,
    ProjectTotals,
    RunChanges,
    RunKey,
    RunQuery,
    RunSummary,
    RunTimeline,
)
from runlens.storage.memory import registry
from runlens.storage.memory.summaries import shape_of
from runlens.storage.memory.tables import MemoryTables

_ALWAYS_READ = frozenset(
    {"project_id", "run_id", "span_id", "kind", "status", "start_time_unix_nano"}
)
# What a field holds when a narrow timeline read leaves it out (as a ClickHouse read does).
_UNREAD: dict[str, Any] = {
    "trace_id": "",
    "parent_span_id": "",
    "name": "",
    "end_time_unix_nano": 0,
}
_NO_RAW: dict[str, Any] = {"events": "", "attributes": {}, "resource": {}}
_NO_PAYLOADS: dict[str, Any] = {**_NO_RAW, "input": "", "output": ""}
_ACTIONS = (SpanKind.TOOL_EXECUTION, SpanKind.LLM_CALL, SpanKind.SUMMARIZATION)


def _unread(name: str) -> Any:
    if name in _UNREAD:
        return _UNREAD[name]
    f = next(f for f in fields(SpanRecord) if f.name == name)
    return f.default_factory() if callable(f.default_factory) else f.default


_NARROWED = [f.name for f in fields(SpanRecord) if f.name not in _ALWAYS_READ]


def _narrow(span: SpanRecord, keep: Collection[str]) -> SpanRecord:
    return replace(span, **{name: _unread(name) for name in _NARROWED if name not in keep})


def _is_action(span: SpanRecord) -> bool:
    if span.kind is SpanKind.SUMMARIZATION:
        return span.cost_source.value != "none"
    return span.kind in _ACTIONS


class MemoryReads(MemoryTables):
    # -- RunReader -----------------------------------------------------------------------------

    def run_summary(self, project_id: str, run_id: str) -> RunSummary | None:
        with self._lock:
            self._open()
            stored = self._summaries.get(RunKey(project_id, run_id))
            return None if stored is None else stored.summary

    def run_spans(self, project_id: str, run_id: str) -> list[SpanRecord]:
        with self._lock:
            return self._run(project_id, run_id).ordered_spans()

    def run_logs(self, project_id: str, run_id: str) -> list[LogRecord]:
        with self._lock:
            return self._run(project_id, run_id).ordered_logs()

    def run_timelines(
        self,
        project_id: str,
        run_ids: Sequence[str],
        summaries: Sequence[RunSummary] = (),
        fields: Collection[str] | None = None,
        logs: bool = True,
    ) -> dict[str, RunTimeline]:
        found: dict[str, RunTimeline] = {}
        with self._lock:
            for run_id in sorted(set(run_ids)):
                run = self._run(project_id, run_id)
                spans = run.ordered_spans()
                if fields is not None:
                    spans = [_narrow(span, fields) for span in spans]
                records = run.ordered_logs() if logs else []
                if spans or records:
                    found[run_id] = RunTimeline(tuple(spans), tuple(records))
        return found

    def run_actions(
        self, project_id: str, run_ids: Sequence[str], payloads: bool
    ) -> dict[str, RunTimeline]:
        blank = _NO_RAW if payloads else _NO_PAYLOADS
        found: dict[str, RunTimeline] = {}
        with self._lock:
            for run_id in sorted(set(run_ids)):
                run = self._run(project_id, run_id)
                spans = run.ordered_spans()
                actions = [replace(s, **blank) for s in spans if _is_action(s)]
                if not actions:
                    continue
                events = [
                    g for g in run.ordered_logs() if not g.stream and g.event_name and payloads
                ]
                uncounted = frozenset(uncounted_calls(shape_of(spans)))
                found[run_id] = RunTimeline(tuple(actions), tuple(events), uncounted)
        return found

    # -- EventReader ---------------------------------------------------------------------------

    def run_changes(
        self, project_id: str, run_id: str, after_seq: int, upto_seq: int
    ) -> RunChanges:
        return self.runs_changes(project_id, [run_id], after_seq, upto_seq)[run_id]

    def runs_changes(
        self, project_id: str, run_ids: Sequence[str], after_seq: int, upto_seq: int
    ) -> dict[str, RunChanges]:
        found: dict[str, RunChanges] = {}
        with self._lock:
            for run_id in run_ids:
                run = self._run(project_id, run_id)
                spans = sorted(
                    ((seq, s) for s, seq in run.spans.values() if after_seq < seq <= upto_seq),
                    key=lambda p: (p[0], p[1].start_time_unix_nano, p[1].span_id),
                )
                logs = sorted(
                    ((seq, g) for g, seq in run.logs.values() if after_seq < seq <= upto_seq),
                    key=lambda p: (p[0], p[1].time_unix_nano, p[1].span_id, p[1].stream, p[1].seq),
                )
                found[run_id] = RunChanges(tuple(spans), tuple(logs))
        return found

    def newest_seq(self, project_id: str, run_id: str) -> int:
        with self._lock:
            run = self._run(project_id, run_id)
            return max([run.newest_span_seq, *(seq for _, seq in run.logs.values())])

    def actions_page(self, query: ActionQuery) -> list[ActionEntry]:
        with self._lock:
            self._open()
            spans = [
                span
                for key, run in self._runs.items()
                if key.project_id == query.project_id
                for span, _ in run.spans.values()
            ]
            by_agent: dict[str, set[str]] = {}
            for s in self._project_summaries(query.project_id):
                by_agent.setdefault(s.agent_id, set()).add(s.run_id)
        return registry.actions_page(spans, lambda agent: by_agent.get(agent, set()), query)

    # -- RegistryReader ------------------------------------------------------------------------

    def runs_page(self, query: RunQuery) -> list[RunSummary]:
        with self._lock:
            return registry.runs_page(self._project_summaries(query.project_id), query)

    def count_runs(self, query: RunQuery) -> int:
        with self._lock:
            return len(registry.matching(self._project_summaries(query.project_id), query))

    def run_summaries(self, project_id: str, run_ids: Sequence[str]) -> list[RunSummary]:
        with self._lock:
            self._open()
            found = (self._summaries.get(RunKey(project_id, r)) for r in sorted(set(run_ids)))
            return [stored.summary for stored in found if stored is not None]

    def agent_stats(
        self, project_id: str, search: str | None, limit: int, agent_ids: Sequence[str] = ()
    ) -> list[AgentStats]:
        with self._lock:
            summaries = self._project_summaries(project_id)
        return registry.agent_stats(summaries, search, limit, agent_ids)

    def project_totals(self, project_id: str, started_after_unix_nano: int | None) -> ProjectTotals:
        with self._lock:
            summaries = self._project_summaries(project_id)
        return registry.project_totals(summaries, started_after_unix_nano)

    def intercepts(self, query: InterceptQuery) -> list[InterceptCandidate]:
        project = query.project_id
        with self._lock:
            return registry.intercepts(
                self._project_summaries(project),
                lambda run_id: self._run(project, run_id).ordered_spans(),
                lambda run_id: self._run_commands(project, run_id),
                query,
            )
