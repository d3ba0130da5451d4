# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(description=...) is typed as returning Any)
"""Listings: the run connection, project totals and critical intercepts."""

from __future__ import annotations

from enum import Enum

import strawberry

from runlens.api.graphql.context import Context
from runlens.api.graphql.loaders import off_loop
from runlens.api.graphql.pagination import PageInfo
from runlens.api.graphql.types.common import Long, Tokens
from runlens.api.graphql.types.run import Run, RunEdge
from runlens.storage.contract import RunQuery


@strawberry.type
class RunConnection:
    edges: list[RunEdge]
    page_info: PageInfo
    query: strawberry.Private[RunQuery]

    @strawberry.field(description="Runs that pass the filter (one more query when asked).")
    async def total_count(self, info: strawberry.Info[Context, None]) -> int:
        return await off_loop(info.context.reader.count_runs, self.query)


@strawberry.type(description="What the project holds (in the window).")
class ProjectStats:
    runs: Long
    spans: Long
    actions: Long
    cost_usd: float
    tokens: Tokens


@strawberry.enum
class InterceptType(Enum):
    FAILED = "failed"
    OVER_BUDGET = "over_budget"
    HIGH_INTERVENTION_RATE = "high_intervention_rate"


@strawberry.type
class InterceptReason:
    type: InterceptType
    message: str


@strawberry.type(description="A run that needs attention and why.")
class CriticalIntercept:
    run: Run
    reason: InterceptReason = strawberry.field(description="The most severe reason.")
    reasons: list[InterceptReason]
    blocked_actions: int
    budget_usd: float | None
    interventions: int = strawberry.field(
        default=0, description="Terminate and steer commands sent to the run (not rejected)."
    )


@strawberry.type
class CriticalInterceptEdge:
    node: CriticalIntercept
    cursor: str


@strawberry.type
class CriticalInterceptConnection:
    edges: list[CriticalInterceptEdge]
    page_info: PageInfo
