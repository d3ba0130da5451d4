# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(description=...) is typed as returning Any)
"""The activity ledger: `actions(filter, first, after)`, the LLM calls and tool executions of
every run of the project, newest first, each with its run."""

from __future__ import annotations

import time
from datetime import datetime

import strawberry

from runlens.analysis.error_taxonomy import explain_error
from runlens.api.graphql.context import Context
from runlens.api.graphql.errors import bad_request
from runlens.api.graphql.loaders import off_loop
from runlens.api.graphql.pagination import PageInfo, decode_cursor, encode_cursor, page_size
from runlens.api.graphql.types.common import ErrorDetail, TimeWindow, timestamp, window_start
from runlens.api.graphql.types.events import EventOutcome
from runlens.api.graphql.types.run import Run
from runlens.runs.events import event_id, outcome_of
from runlens.semconv.records import SpanKind, SpanStatus
from runlens.storage.activity import ACTION_KINDS, ActionEntry, ActionOutcome, ActionPosition
from runlens.storage.activity import ActionQuery as StoredQuery

Info = strawberry.Info[Context, None]
_CURSOR = "actions"


@strawberry.input(description="Which actions `actions` lists; every field is optional.")
class ActionFilter:
    outcomes: list[EventOutcome] | None = strawberry.field(
        default=None, description="Finished actions with one of these outcomes."
    )
    kinds: list[SpanKind] | None = strawberry.field(
        default=None, description="LLM_CALL and/or TOOL_EXECUTION (both when absent)."
    )
    agent_id: str | None = None
    window: TimeWindow = TimeWindow.ALL
    search: str | None = strawberry.field(
        default=None,
        description="Case-insensitive part of the name, tool, model, error, input or output.",
    )


@strawberry.type(description="An action of the activity ledger (no payloads: see `Run.events`).")
class Action:
    entry: strawberry.Private[ActionEntry]

    @strawberry.field(description="The event id of the action in its run (`Event.id`).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(event_id(self.entry.span_id))

    @strawberry.field
    def span_id(self) -> str:
        return self.entry.span_id

    @strawberry.field
    def run_id(self) -> strawberry.ID:
        return strawberry.ID(self.entry.run_id)

    @strawberry.field(description="The action's run (null when its summary is not stored yet).")
    async def run(self, info: Info) -> Run | None:
        summary = await info.context.loaders.summaries.load(self.entry.run_id)
        return None if summary is None else Run(summary=summary)

    @strawberry.field
    def kind(self) -> SpanKind:
        return self.entry.kind

    @strawberry.field
    def name(self) -> str:
        return self.entry.name

    @strawberry.field(description="Null while the action runs.")
    def outcome(self) -> EventOutcome | None:
        outcome = outcome_of(self.entry.outcome, self.entry.status)
        return None if outcome is None else EventOutcome(outcome)

    @strawberry.field
    def started_at(self) -> datetime | None:
        return timestamp(self.entry.start_unix_nano)

    @strawberry.field(description="Null while the action runs.")
    def duration_ms(self) -> float | None:
        e = self.entry
        if e.status is SpanStatus.RUNNING or not e.end_unix_nano:
            return None
        return max(e.end_unix_nano - e.start_unix_nano, 0) / 1e6

    @strawberry.field(description="Null when nothing was priced.")
    def cost_usd(self) -> float | None:
        return self.entry.cost_usd

    @strawberry.field
    def model(self) -> str | None:
        return self.entry.model or None

    @strawberry.field
    def tool_name(self) -> str | None:
        return self.entry.tool_name or None

    @strawberry.field
    def error(self) -> ErrorDetail | None:
        e = self.entry
        if e.status is not SpanStatus.ERROR and not e.error_type:
            return None
        return ErrorDetail.of(explain_error(e.error_type, e.error_message, kind=e.kind.value))


@strawberry.type
class ActionEdge:
    node: Action
    cursor: str


@strawberry.type
class ActionConnection:
    edges: list[ActionEdge]
    page_info: PageInfo


def _position(after: str | None) -> ActionPosition | None:
    if not after:
        return None
    position = decode_cursor(after, _CURSOR)
    if (
        len(position) != 3
        or isinstance(position[0], bool)
        or not isinstance(position[0], int)
        or not all(isinstance(p, str) for p in position[1:])
    ):
        raise bad_request(f"invalid cursor {after!r}: it was not made by this field")
    return ActionPosition(position[0], position[1], position[2])


@strawberry.type
class ActivityQuery:
    @strawberry.field(
        description="The project's actions (LLM calls and tool executions) across its runs, "
        "newest first: the activity ledger."
    )
    async def actions(
        self,
        info: Info,
        filter: ActionFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ActionConnection:
        ctx = info.context
        size = page_size(first, ctx.options.max_page_size)
        f = filter or ActionFilter()
        kinds = tuple(dict.fromkeys(f.kinds or ACTION_KINDS))
        if any(kind not in ACTION_KINDS for kind in kinds):
            raise bad_request("`kinds` may hold LLM_CALL and TOOL_EXECUTION only")
        query = StoredQuery(
            project_id=ctx.project_id,
            limit=size + 1,
            outcomes=tuple(ActionOutcome(o.value) for o in f.outcomes or ()),
            kinds=kinds,
            agent_id=f.agent_id or None,
            started_after_unix_nano=window_start(f.window, time.time_ns()),
            search=f.search or None,
            after=_position(after),
        )
        found = await off_loop(ctx.reader.actions_page, query)
        edges = [
            ActionEdge(
                node=Action(entry=e),
                cursor=encode_cursor(_CURSOR, e.start_unix_nano, e.run_id, e.span_id),
            )
            for e in found[:size]
        ]
        page_info = PageInfo(
            has_next_page=len(found) > size, end_cursor=edges[-1].cursor if edges else None
        )
        return ActionConnection(edges=edges, page_info=page_info)
