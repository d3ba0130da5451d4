# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(description=...) is typed as returning Any)
"""`Run` (one agent execution, from its summary) with its agent, totals and events."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from runlens.analysis.error_taxonomy import explain_error
from runlens.api.graphql.context import Context
from runlens.api.graphql.errors import bad_request
from runlens.api.graphql.pagination import PageInfo, decode_cursor, encode_cursor, page_size
from runlens.api.graphql.selection import event_read
from runlens.api.graphql.types.actions import event_of
from runlens.api.graphql.types.common import (
    ErrorDetail,
    Long,
    RunStatus,
    TimeWindow,
    Tokens,
    timestamp,
    tokens,
)
from runlens.api.graphql.types.control import ControlCommand
from runlens.api.graphql.types.events import Event, EventOutcome, EventStatus
from runlens.control.service import is_intervention
from runlens.runs.events import event_id, select_events
from runlens.semconv.records import SpanKind, SpanRecord
from runlens.storage.contract import RunStatus as StoredStatus
from runlens.storage.contract import RunSummary


@strawberry.type
class Agent:
    id: str
    name: str

    @strawberry.field(description="Runs of this agent in the project.")
    async def run_count(self, info: strawberry.Info[Context, None]) -> int:
        stats = await info.context.loaders.agents.load(self.id)
        return 0 if stats is None else stats.run_count


@strawberry.type
class EventEdge:
    node: Event
    cursor: str


@strawberry.type
class EventConnection:
    edges: list[EventEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Events that pass the filters.")
    offset: int = strawberry.field(
        description="Position of the first edge among the events that pass the filters (0 for "
        "the first one)."
    )
    change_sequence: Long | None = strawberry.field(
        description="The run's changes up to this commit sequence are in this page: "
        "`runEvents` / `runEventBatches` with `afterSequence` = this value send what changed "
        "after it (null when this process has no live bus)."
    )


@strawberry.type(description="One agent execution cycle (docs/api.md).")
class Run:
    summary: strawberry.Private[RunSummary]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.summary.run_id)

    @strawberry.field(description="Name of the root span.")
    def name(self) -> str:
        return self.summary.name

    @strawberry.field
    def agent(self) -> Agent:
        return Agent(id=self.summary.agent_id, name=self.summary.agent_name)

    @strawberry.field
    def status(self) -> RunStatus:
        return RunStatus(self.summary.status.value)

    @strawberry.field(description="`lost` for a run closed by the inactivity timeout.")
    def status_reason(self) -> str | None:
        return self.summary.status_reason or None

    @strawberry.field
    def started_at(self) -> datetime | None:
        return timestamp(self.summary.started_at_unix_nano)

    @strawberry.field(description="Null while running.")
    def ended_at(self) -> datetime | None:
        return timestamp(self.summary.ended_at_unix_nano)

    @strawberry.field(description="Null while running.")
    def duration_ms(self) -> float | None:
        s = self.summary
        if s.status is StoredStatus.RUNNING or not s.ended_at_unix_nano:
            return None
        return max(s.ended_at_unix_nano - s.started_at_unix_nano, 0) / 1e6

    @strawberry.field(
        description="Counted LLM calls (leaf calls, each response once; docs/semconv.md, "
        '"What a run counts") + tool executions.'
    )
    def action_count(self) -> int:
        return self.summary.action_count

    @strawberry.field
    def span_count(self) -> int:
        return self.summary.span_count

    @strawberry.field(
        description="Sum over the counted LLM calls; a lower bound when costComplete is false, "
        "null when no call could be priced (unknown models are never shown as $0)."
    )
    def cost_usd(self) -> float | None:
        return self.summary.known_cost_usd

    @strawberry.field(description="False when some LLM call had no price (unknown model).")
    def cost_complete(self) -> bool:
        return self.summary.unpriced_count == 0

    @strawberry.field
    def unpriced_actions(self) -> int:
        return self.summary.unpriced_count

    @strawberry.field(description="Percentage (0-100) of actions that succeeded; 100 if none.")
    def success_rate(self) -> float:
        s = self.summary
        return 100.0 if s.action_count == 0 else 100.0 * s.action_ok_count / s.action_count

    @strawberry.field(description="Counted LLM calls (leaf calls, each response once).")
    def turns(self) -> int:
        return self.summary.turns

    @strawberry.field
    def models(self) -> list[str]:
        return list(self.summary.models)

    @strawberry.field
    def tokens(self) -> Tokens:
        s = self.summary
        return tokens(
            s.input_tokens, s.cached_tokens, s.cache_write_tokens, s.output_tokens,
            s.reasoning_tokens,
        )  # fmt: skip

    @strawberry.field(description="Why the run failed; null unless it failed.")
    def error(self) -> ErrorDetail | None:
        s = self.summary
        if s.status is not StoredStatus.FAILED:
            return None
        return ErrorDetail.of(
            explain_error(s.error_type, s.error_message, status_reason=s.status_reason)
        )

    @strawberry.field(description="Control commands sent to the run, oldest first.")
    async def commands(self, info: strawberry.Info[Context, None]) -> list[ControlCommand]:
        found = await info.context.commands.load(self.summary.run_id)
        return [ControlCommand(command=c) for c in found]

    @strawberry.field(
        description="Terminate and steer commands sent to the run while it ran (rejected ones "
        "do not count)."
    )
    async def interventions(self, info: strawberry.Info[Context, None]) -> int:
        found = await info.context.commands.load(self.summary.run_id)
        return sum(1 for c in found if is_intervention(c))

    @strawberry.field(description="The run's events in sequence order, filtered.")
    async def events(
        self,
        info: strawberry.Info[Context, None],
        *,
        kinds: list[SpanKind] | None = None,
        statuses: list[EventStatus] | None = None,
        outcomes: list[EventOutcome] | None = None,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
        offset: Annotated[
            int | None,
            strawberry.argument(
                description="Skip this many events (after `after`): random access for a paged list."
            ),
        ] = None,
        around: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="The page of `first` events that holds this event (`id` or "
                "`spanId`): it starts at a multiple of `first`; the first page when no event "
                "that passes the filters has this id. Not with `after` or `offset`."
            ),
        ] = None,
    ) -> EventConnection:
        size = page_size(first, info.context.options.max_page_size)
        if around is not None and (after or offset):
            raise bad_request("`around` picks the page itself: leave `after` and `offset` out")
        if offset is not None and offset < 0:
            raise bad_request(f"`offset` must be >= 0 (got {offset})")
        after_sequence = int(decode_cursor(after, "event")[0]) if after else 0
        read = event_read(
            info.selected_fields[0].selections, search=bool(search), outcomes=bool(outcomes)
        )
        loaders = info.context.loaders
        view = await loaders.timelines_for(read).load(self.summary.run_id)
        matching = select_events(
            view,
            kinds={k.value for k in kinds or ()},
            statuses={s.value for s in statuses or ()},
            outcomes={o.value for o in outcomes or ()},
            search=search,
        )
        selected = [s for s in matching if view.sequence[s.span_id] > after_sequence]
        skip = offset or 0
        if around is not None:
            skip = _page_around(selected, str(around), size)
        edges = [
            EventEdge(
                node=event_of(span, view),
                cursor=encode_cursor("event", view.sequence[span.span_id]),
            )
            for span in selected[skip : skip + size]
        ]
        read_at = loaders.read_at(read, self.summary.run_id)
        return EventConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(selected) > skip + size,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=len(matching),
            offset=len(matching) - len(selected) + skip,
            change_sequence=None if read_at is None else Long(read_at),
        )

    @strawberry.field(
        description="One event of the run by its `id` or `spanId` (a deep link); null when the "
        "run has no such event."
    )
    async def event(self, info: strawberry.Info[Context, None], id: strawberry.ID) -> Event | None:
        wanted = event_id(str(id).replace("-", ""))
        read = event_read(info.selected_fields[0].selections, search=False, outcomes=False)
        view = await info.context.loaders.timelines_for(read).load(self.summary.run_id)
        span = next((s for s in view.spans if event_id(s.span_id) == wanted), None)
        return event_of(span, view) if span is not None else None


def _page_around(spans: list[SpanRecord], wanted: str, size: int) -> int:
    """Where the page of `size` events holding the event `wanted` starts (0 when none is)."""
    key = event_id(wanted.replace("-", ""))
    for position, span in enumerate(spans):
        if event_id(span.span_id) == key:
            return position - position % size if size else 0
    return 0


@strawberry.type
class RunEdge:
    node: Run
    cursor: str


@strawberry.enum
class RunSortField(Enum):
    STARTED_AT = "started_at"
    COST = "cost"


@strawberry.enum
class SortDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input
class RunSort:
    field: RunSortField = RunSortField.STARTED_AT
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class RunFilter:
    status: list[RunStatus] | None = None
    min_cost_usd: float | None = None
    window: TimeWindow = TimeWindow.ALL
    agent_id: str | None = None
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive part of the run id, name or agent."
    )
