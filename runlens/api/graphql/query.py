# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(description=...) is typed as returning Any)
"""The root `Query`: run registry, run detail, agents, project totals, critical intercepts
(replay and determinism analysis come from `analysis.AnalysisQuery`)."""

from __future__ import annotations

import time

import strawberry

from runlens.api.graphql.activity import ActivityQuery
from runlens.api.graphql.analysis import AnalysisQuery
from runlens.api.graphql.context import Context
from runlens.api.graphql.errors import bad_request, not_found
from runlens.api.graphql.intercepts import reasons_of
from runlens.api.graphql.loaders import off_loop
from runlens.api.graphql.pagination import PageInfo, decode_cursor, encode_cursor, page_size
from runlens.api.graphql.types.common import Long, TimeWindow, tokens, window_start
from runlens.api.graphql.types.registry import (
    CriticalIntercept,
    CriticalInterceptConnection,
    CriticalInterceptEdge,
    InterceptReason,
    InterceptType,
    ProjectStats,
    RunConnection,
)
from runlens.api.graphql.types.run import (
    Agent,
    Run,
    RunEdge,
    RunFilter,
    RunSort,
    RunSortField,
    SortDirection,
)
from runlens.storage import contract
from runlens.storage.contract import InterceptQuery, RunPosition, RunQuery

Info = strawberry.Info[Context, None]


def _position(after: str | None, kind: str) -> RunPosition | None:
    if not after:
        return None
    position = decode_cursor(after, kind)
    if len(position) != 2 or not isinstance(position[1], str):
        raise bad_request(f"invalid cursor {after!r}: it was not made by this field")
    value = position[0]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"invalid cursor {after!r}: it was not made by this field")
    return RunPosition(value, position[1])


def _run_query(project_id: str, filter: RunFilter | None, sort: RunSort | None, limit: int,
               after: str | None) -> RunQuery:  # fmt: skip
    f = filter or RunFilter()
    s = sort or RunSort()
    if f.min_cost_usd is not None and f.min_cost_usd < 0:
        raise bad_request("`minCostUsd` must be >= 0")
    field = contract.RunSortField(s.field.value)
    descending = s.direction is SortDirection.DESC
    return RunQuery(
        project_id=project_id,
        limit=limit,
        statuses=tuple(contract.RunStatus(status.value) for status in f.status or ()),
        min_cost_usd=f.min_cost_usd,
        started_after_unix_nano=window_start(f.window, time.time_ns()),
        agent_id=f.agent_id,
        search=f.search or None,
        sort=field,
        descending=descending,
        after=_position(after, _cursor_kind(s)),
    )


def _cursor_kind(sort: RunSort) -> str:
    return f"runs:{sort.field.value}:{sort.direction.value}"


def _sort_value(summary: contract.RunSummary, field: RunSortField) -> int | float:
    if field is RunSortField.COST:
        return summary.cost_usd
    return summary.started_at_unix_nano


@strawberry.type
class Query(AnalysisQuery, ActivityQuery):
    @strawberry.field(description="The project's runs, newest first unless sorted otherwise.")
    async def runs(
        self,
        info: Info,
        filter: RunFilter | None = None,
        sort: RunSort | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> RunConnection:
        size = page_size(first, info.context.options.max_page_size)
        ctx = info.context
        query = _run_query(ctx.project_id, filter, sort, size + 1, after)
        summaries = await off_loop(ctx.reader.runs_page, query)
        ctx.loaders.prime_summaries(summaries)
        kind = _cursor_kind(sort or RunSort())
        field = (sort or RunSort()).field
        edges = [
            RunEdge(
                node=Run(summary=s), cursor=encode_cursor(kind, _sort_value(s, field), s.run_id)
            )
            for s in summaries[:size]
        ]
        page_info = PageInfo(
            has_next_page=len(summaries) > size, end_cursor=edges[-1].cursor if edges else None
        )
        return RunConnection(edges=edges, page_info=page_info, query=query)

    @strawberry.field(description="One run by id; null with a NOT_FOUND error when unknown.")
    async def run(self, info: Info, id: strawberry.ID) -> Run | None:
        summary = await info.context.loaders.summaries.load(str(id))
        if summary is None:
            raise not_found(f"no run with id {str(id)!r} in this project")
        return Run(summary=summary)

    @strawberry.field(description="Agents whose id or name contains `search`, most runs first.")
    async def agents(
        self, info: Info, search: str | None = None, first: int | None = None
    ) -> list[Agent]:
        size = page_size(first, info.context.options.max_page_size, default=20)
        ctx = info.context
        found = await off_loop(ctx.reader.agent_stats, ctx.project_id, search or None, size)
        ctx.loaders.agents.prime_many({a.agent_id: a for a in found})
        return [Agent(id=a.agent_id, name=a.agent_name) for a in found]

    @strawberry.field(description="Totals over the project's runs started in the window.")
    async def project_stats(self, info: Info, window: TimeWindow = TimeWindow.ALL) -> ProjectStats:
        ctx = info.context
        since = window_start(window, time.time_ns())
        t = await off_loop(ctx.reader.project_totals, ctx.project_id, since)
        return ProjectStats(
            runs=Long(t.runs),
            spans=Long(t.spans),
            actions=Long(t.actions),
            cost_usd=t.cost_usd,
            tokens=tokens(t.input_tokens, t.cached_tokens, 0, t.output_tokens, t.reasoning_tokens),
        )

    @strawberry.field(
        description="Runs that need attention, newest first: failed, over budget, or with a "
        "high share of blocked actions and interventions."
    )
    async def critical_intercepts(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        window: TimeWindow = TimeWindow.LAST_7D,
    ) -> CriticalInterceptConnection:
        size = page_size(first, info.context.options.max_page_size, default=20)
        ctx = info.context
        options = ctx.options
        query = InterceptQuery(
            project_id=ctx.project_id,
            limit=size + 1,
            started_after_unix_nano=window_start(window, time.time_ns()),
            agent_budgets_usd=tuple(sorted(options.agent_budgets_usd.items())),
            intervention_threshold=options.intervention_threshold,
            after=_position(after, "intercepts"),
        )
        candidates = await off_loop(ctx.reader.intercepts, query)
        ctx.loaders.prime_summaries([c.summary for c in candidates])
        edges: list[CriticalInterceptEdge] = []
        for candidate in candidates[:size]:
            reasons = [
                InterceptReason(type=InterceptType(r.type), message=r.message)
                for r in reasons_of(candidate, options.intervention_threshold)
            ]
            s = candidate.summary
            node = CriticalIntercept(
                run=Run(summary=s),
                reason=reasons[0],
                reasons=reasons,
                blocked_actions=candidate.blocked_actions,
                budget_usd=candidate.budget_usd,
                interventions=candidate.interventions,
            )
            cursor = encode_cursor("intercepts", s.started_at_unix_nano, s.run_id)
            edges.append(CriticalInterceptEdge(node=node, cursor=cursor))
        page_info = PageInfo(
            has_next_page=len(candidates) > size, end_cursor=edges[-1].cursor if edges else None
        )
        return CriticalInterceptConnection(edges=edges, page_info=page_info)
