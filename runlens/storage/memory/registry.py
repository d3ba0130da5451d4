"""Run listings and the activity ledger over the memory store's tables, with the filters,
orders and keyset positions of the ClickHouse reads (storage/clickhouse/registry.py,
activity.py)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

from runlens.semconv import keys
from runlens.semconv.records import SpanKind, SpanRecord, SpanStatus
from runlens.storage.activity import ActionEntry, ActionOutcome, ActionQuery
from runlens.storage.commands import CommandKind, CommandState, ControlCommand
from runlens.storage.contract import (
    AgentStats,
    InterceptCandidate,
    InterceptQuery,
    ProjectTotals,
    RunPosition,
    RunQuery,
    RunSortField,
    RunStatus,
    RunSummary,
)

_BLOCKABLE = (SpanKind.LLM_CALL, SpanKind.TOOL_EXECUTION)
_SPECIAL = ("blocked", "replayed")
_INTERVENTIONS = (CommandKind.TERMINATE, CommandKind.STEER)


def _contains(search: str, *values: str) -> bool:
    needle = search.lower()
    return any(needle in value.lower() for value in values)


def _sort_value(summary: RunSummary, sort: RunSortField) -> float:
    if sort is RunSortField.STARTED_AT:
        return summary.started_at_unix_nano
    return summary.cost_usd


def matching(summaries: Iterable[RunSummary], query: RunQuery) -> list[RunSummary]:
    """The runs a query's filters let through (sort and position ignored)."""
    found = []
    for s in summaries:
        if query.statuses and s.status not in query.statuses:
            continue
        if query.min_cost_usd is not None and s.cost_usd < query.min_cost_usd:
            continue
        since = query.started_after_unix_nano
        if since is not None and s.started_at_unix_nano < since:
            continue
        if query.agent_id is not None and s.agent_id != query.agent_id:
            continue
        if query.search and not _contains(query.search, s.run_id, s.name, s.agent_id, s.agent_name):
            continue
        found.append(s)
    return found


def _after(
    position: RunPosition | None, sort: RunSortField, descending: bool
) -> Callable[[RunSummary], bool]:
    if position is None:
        return lambda _: True
    mark = (position.value, position.run_id)
    if descending:
        return lambda s: (_sort_value(s, sort), s.run_id) < mark
    return lambda s: (_sort_value(s, sort), s.run_id) > mark


def runs_page(summaries: Iterable[RunSummary], query: RunQuery) -> list[RunSummary]:
    after = _after(query.after, query.sort, query.descending)
    page = [s for s in matching(summaries, query) if after(s)]
    page.sort(key=lambda s: (_sort_value(s, query.sort), s.run_id), reverse=query.descending)
    return page[: query.limit]


def agent_stats(
    summaries: Iterable[RunSummary], search: str | None, limit: int, agent_ids: Sequence[str]
) -> list[AgentStats]:
    """`summaries` in the order they were last refreshed."""
    runs: dict[str, list[RunSummary]] = {}
    for s in summaries:
        if search and not _contains(search, s.agent_id, s.agent_name):
            continue
        if agent_ids and s.agent_id not in agent_ids:
            continue
        runs.setdefault(s.agent_id, []).append(s)
    # the name of the latest summary: `summaries` come oldest refresh first
    stats = [
        AgentStats(agent_id, found[-1].agent_name, len(found)) for agent_id, found in runs.items()
    ]
    stats.sort(key=lambda a: (-a.run_count, a.agent_id))
    return stats[:limit]


def project_totals(summaries: Iterable[RunSummary], since_ns: int | None) -> ProjectTotals:
    window = [s for s in summaries if since_ns is None or s.started_at_unix_nano >= since_ns]
    return ProjectTotals(
        runs=len(window),
        spans=sum(s.span_count for s in window),
        actions=sum(s.action_count for s in window),
        cost_usd=sum(s.cost_usd for s in window),
        input_tokens=sum(s.input_tokens for s in window),
        cached_tokens=sum(s.cached_tokens for s in window),
        output_tokens=sum(s.output_tokens for s in window),
        reasoning_tokens=sum(s.reasoning_tokens for s in window),
    )


def _budget(spans: Iterable[SpanRecord]) -> float | None:
    """The largest `runlens.budget.usd` the spans carry (values that are no number ignored)."""
    found: list[float] = []
    for span in spans:
        text = span.attributes.get(keys.RUNLENS_BUDGET_USD)
        if text is None:
            continue
        try:
            value = float(text)
        except ValueError:
            continue
        if not math.isnan(value):
            found.append(value)
    return max(found, default=None)


def intercepts(
    summaries: Iterable[RunSummary],
    spans: Callable[[str], Iterable[SpanRecord]],
    commands: Callable[[str], Sequence[ControlCommand]],
    query: InterceptQuery,
) -> list[InterceptCandidate]:
    """`spans(run_id)` and `commands(run_id)` give a run's current spans and commands."""
    since = query.started_after_unix_nano or 0
    after = _after(query.after, RunSortField.STARTED_AT, descending=True)
    budgets = dict(query.agent_budgets_usd)
    threshold = query.intervention_threshold
    found = []
    for s in summaries:
        if s.started_at_unix_nano < since or not after(s):
            continue
        window = [span for span in spans(s.run_id) if span.start_time_unix_nano >= since]
        blocked = sum(span.outcome == "blocked" and span.kind in _BLOCKABLE for span in window)
        budget = _budget(window)
        if budget is None:
            budget = budgets.get(s.agent_id)
        interventions = sum(
            c.kind in (CommandKind.TERMINATE, CommandKind.STEER)
            and c.state is not CommandState.REJECTED
            for c in commands(s.run_id)
        )
        flagged = blocked + interventions
        if (
            s.status is RunStatus.FAILED
            or (budget is not None and s.cost_usd > budget)
            or (flagged and s.action_count and flagged / s.action_count >= threshold)
        ):
            found.append(InterceptCandidate(s, blocked, budget, interventions))
    found.sort(key=lambda c: (c.summary.started_at_unix_nano, c.summary.run_id), reverse=True)
    return found[: query.limit]


def _outcome(span: SpanRecord, outcome: ActionOutcome) -> bool:
    if outcome is ActionOutcome.BLOCKED:
        return span.outcome == "blocked"
    if outcome is ActionOutcome.REPLAYED:
        return span.outcome == "replayed"
    if span.outcome in _SPECIAL:
        return False
    return span.status is (SpanStatus.ERROR if outcome is ActionOutcome.ERROR else SpanStatus.OK)


def actions_page(
    spans: Iterable[SpanRecord], agent_runs: Callable[[str], set[str]], query: ActionQuery
) -> list[ActionEntry]:
    """`agent_runs(agent_id)`: the project's runs of that agent."""
    runs = agent_runs(query.agent_id) if query.agent_id is not None else None
    after = query.after
    found = []
    for span in spans:
        if span.kind not in query.kinds:
            continue
        if query.outcomes and not any(_outcome(span, o) for o in query.outcomes):
            continue
        since = query.started_after_unix_nano
        if since is not None and span.start_time_unix_nano < since:
            continue
        if runs is not None and span.run_id not in runs:
            continue
        if query.search and not _contains(
            query.search,
            span.name,
            span.tool_name,
            span.model,
            span.error_message,
            span.input,
            span.output,
        ):
            continue
        position = (span.start_time_unix_nano, span.run_id, span.span_id)
        if after is not None and position >= (after.start_unix_nano, after.run_id, after.span_id):
            continue
        found.append(span)
    found.sort(key=lambda s: (s.start_time_unix_nano, s.run_id, s.span_id), reverse=True)
    return [_entry(span) for span in found[: query.limit]]


def _entry(span: SpanRecord) -> ActionEntry:
    return ActionEntry(
        run_id=span.run_id,
        span_id=span.span_id,
        kind=span.kind,
        name=span.name,
        status=span.status,
        outcome=span.outcome,
        start_unix_nano=span.start_time_unix_nano,
        end_unix_nano=span.end_time_unix_nano,
        cost_usd=span.cost_usd,
        model=span.model,
        tool_name=span.tool_name,
        error_type=span.error_type,
        error_message=span.error_message,
    )
