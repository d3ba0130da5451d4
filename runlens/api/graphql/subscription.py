# mypy: disable-error-code="untyped-decorator"
# (strawberry.subscription(description=...) is typed as returning Any)
"""The root `Subscription`: `runUpdates` and `runEvents` over the live bus.

`runEvents` subscribes to the bus first, then replays from storage every change of the run
with a commit sequence in `(afterSequence, S]`, S being the last sequence published when it
subscribed; every later bus batch carries the records of the next range `(last taken, newest
published]`. Ranges never overlap and leave no hole, so a client that resumes with the last
sequence it received misses nothing and sees nothing twice. The streams of a run share its
feed (`live_feed`): the records of a commit are decoded once for all of them.
The stream ends after the TOTALS of a run that has ended, or with OVERFLOW when the client reads
too slowly for the bus queue.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncGenerator

import strawberry

from runlens.api.graphql.context import Context
from runlens.api.graphql.errors import ApiError, ErrorCode, bad_request
from runlens.api.graphql.live_feed import LiveFeeds, RunFeed, live_feeds
from runlens.api.graphql.loaders import off_loop
from runlens.api.graphql.types.common import Long, tokens, window_start
from runlens.api.graphql.types.live import (
    RunEventBatch,
    RunEventType,
    RunEventUpdate,
    RunUpdate,
    RunUpdateType,
)
from runlens.api.graphql.types.run import Run, RunFilter
from runlens.bus import LiveBus, LiveEvent, LiveEventType, Overflow
from runlens.storage.contract import RunStatus, RunSummary

Info = strawberry.Info[Context, None]

_RUN_EVENTS = (LiveEventType.RUN_CREATED, LiveEventType.RUN_UPDATED)
_ENDED = {
    RunStatus.COMPLETED: RunUpdateType.COMPLETED,
    RunStatus.FAILED: RunUpdateType.FAILED,
    RunStatus.TERMINATED: RunUpdateType.TERMINATED,
}
_REMEMBERED_RUNS = 10_000  # run statuses a runUpdates stream keeps to tell updates apart


def _bus(info: Info) -> LiveBus:
    bus = info.context.bus
    if bus is None:
        raise ApiError(
            ErrorCode.UNAVAILABLE,
            "live updates are not served by this API (it has no live bus)",
        )
    return bus


def run_matches(summary: RunSummary, filter: RunFilter | None, now_unix_nano: int) -> bool:
    """Whether a run passes a `RunFilter` as `runs(filter:)` would list it."""
    if filter is None:
        return True
    if filter.status and summary.status.value not in {s.value for s in filter.status}:
        return False
    if filter.min_cost_usd is not None and summary.cost_usd < filter.min_cost_usd:
        return False
    since = window_start(filter.window, now_unix_nano)
    if since is not None and summary.started_at_unix_nano < since:
        return False
    if filter.agent_id is not None and summary.agent_id != filter.agent_id:
        return False
    if filter.search:
        needle = filter.search.casefold()
        fields = (summary.run_id, summary.name, summary.agent_id, summary.agent_name)
        return any(needle in text.casefold() for text in fields)
    return True


def _totals(summary: RunSummary, seq: int) -> RunEventUpdate:
    s = summary
    return RunEventUpdate(
        type=RunEventType.TOTALS,
        sequence=Long(seq),
        tokens=tokens(
            s.input_tokens,
            s.cached_tokens,
            s.cache_write_tokens,
            s.output_tokens,
            s.reasoning_tokens,
        ),
        cost_usd=s.known_cost_usd,
    )


class _RunStream:
    """The state of one `runEvents` stream: where it is, and which events it has shown. The
    reads themselves go through the run's feed, shared with every other stream of the run."""

    def __init__(self, feeds: LiveFeeds, feed: RunFeed, cursor: int) -> None:
        self.feeds = feeds
        self.feed = feed
        self.cursor = cursor
        self.shown: set[str] = set()  # span ids

    async def summary(self, since: float | None = None) -> RunSummary | None:
        return await self.feeds.summary(self.feed, since)

    async def read_to(
        self, upto: int, events: list[LiveEvent] | None = None
    ) -> list[RunEventUpdate]:
        """The changes in `(cursor, upto]`, in sequence order; moves the cursor to `upto`.
        `events`: the bus events of the run in that range (else storage is read)."""
        if upto <= self.cursor:
            return []
        await self.feeds.catch_up(self.feed, upto, events)
        items = self.feed.between(self.cursor, upto)
        self.cursor = upto
        updates: list[RunEventUpdate] = []
        for item in items:
            if item.event is None:
                kind = (
                    RunEventType.MODEL_TEXT_DELTA
                    if item.chunk is not None and item.chunk.stream == "model"
                    else RunEventType.OUTPUT_CHUNK
                )
                updates.append(RunEventUpdate(type=kind, sequence=Long(item.seq), chunk=item.chunk))
                continue
            created = item.span_id not in self.shown
            self.shown.add(item.span_id)
            kind = RunEventType.EVENT_CREATED if created else RunEventType.EVENT_UPDATED
            updates.append(RunEventUpdate(type=kind, sequence=Long(item.seq), event=item.event))
        return updates


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Runs of the project as they are created and change (summaries are "
        "refreshed within about a second of a write). Runs that do not pass `filter` are "
        "skipped."
    )
    async def run_updates(
        self, info: Info, filter: RunFilter | None = None
    ) -> AsyncGenerator[RunUpdate, None]:
        ctx = info.context
        if filter is not None and filter.min_cost_usd is not None and filter.min_cost_usd < 0:
            raise bad_request("`minCostUsd` must be >= 0")
        statuses: OrderedDict[str, RunStatus] = OrderedDict()
        async with _bus(info).subscribe(ctx.project_id, types=_RUN_EVENTS) as subscription:
            while True:
                batch = await subscription.next_batch()
                if isinstance(batch, Overflow):
                    raise ApiError(
                        ErrorCode.UNAVAILABLE,
                        "this subscriber fell behind the live updates: subscribe again and "
                        "read the current state with `runs`",
                    )
                created = {e.run_id for e in batch if e.type is LiveEventType.RUN_CREATED}
                run_ids = list(dict.fromkeys(e.run_id for e in batch))
                found = await off_loop(ctx.reader.run_summaries, ctx.project_id, run_ids)
                by_id = {s.run_id: s for s in found}
                now = time.time_ns()
                for run_id in run_ids:
                    summary = by_id.get(run_id)
                    if summary is None or not run_matches(summary, filter, now):
                        continue
                    previous = statuses.pop(run_id, None)
                    statuses[run_id] = summary.status
                    if len(statuses) > _REMEMBERED_RUNS:
                        statuses.popitem(last=False)
                    run = Run(summary=summary)
                    if run_id in created:
                        yield RunUpdate(type=RunUpdateType.CREATED, run=run)
                    ended = _ENDED.get(summary.status)
                    if ended is not None and previous != summary.status:
                        yield RunUpdate(type=ended, run=run)
                    elif run_id not in created:
                        yield RunUpdate(type=RunUpdateType.UPDATED, run=run)

    @strawberry.subscription(
        description="A run's changes in commit-sequence order: what was stored after "
        "`afterSequence` first, then live. Ends after the TOTALS of an ended run, or with "
        "OVERFLOW (resume with `afterSequence` = its `sequence`)."
    )
    async def run_events(
        self, info: Info, run_id: strawberry.ID, after_sequence: Long | None = None
    ) -> AsyncGenerator[RunEventUpdate, None]:
        async for updates in _run_changes(info, run_id, after_sequence):
            for update in updates:
                yield update

    @strawberry.subscription(
        description="What `runEvents` sends, one message per read of the run's changes (all "
        "that a commit, or the commits since the last message, stored): fewer, larger messages "
        "for a client that follows a busy run."
    )
    async def run_event_batches(
        self, info: Info, run_id: strawberry.ID, after_sequence: Long | None = None
    ) -> AsyncGenerator[RunEventBatch, None]:
        async for updates in _run_changes(info, run_id, after_sequence):
            yield RunEventBatch(updates=updates, sequence=updates[-1].sequence)


async def _run_changes(
    info: Info, run_id: strawberry.ID, after_sequence: Long | None
) -> AsyncGenerator[list[RunEventUpdate], None]:
    """The updates of `runEvents`, as read: each list non-empty, in sequence order."""
    if after_sequence is not None and after_sequence < 0:
        raise bad_request("`afterSequence` must be >= 0")
    bus = _bus(info)
    feeds = live_feeds(info.context.reader, bus, info.context.project_id)
    async with (
        bus.subscribe(info.context.project_id, str(run_id)) as subscription,
        feeds.follow(str(run_id)) as feed,
    ):
        stream = _RunStream(feeds, feed, after_sequence or 0)
        if updates := await stream.read_to(subscription.start_seq):
            yield updates
        summary = await stream.summary()
        if summary is not None and summary.status is not RunStatus.RUNNING:
            yield await _last_updates(info, stream, bus, summary)
            return
        while True:
            batch = await subscription.next_batch()
            told = time.monotonic()
            if isinstance(batch, Overflow):
                yield [RunEventUpdate(type=RunEventType.OVERFLOW, sequence=Long(stream.cursor))]
                return
            if updates := await stream.read_to(_data_seq(batch), batch):
                yield updates
            if any(event.type in _RUN_EVENTS for event in batch):
                summary = await stream.summary(told)
                if summary is not None and summary.status is not RunStatus.RUNNING:
                    yield await _last_updates(info, stream, bus, summary)
                    return
                if summary is not None:
                    yield [_totals(summary, stream.cursor)]


async def _last_updates(
    info: Info, stream: _RunStream, bus: LiveBus, summary: RunSummary
) -> list[RunEventUpdate]:
    """The end of the stream of an ended run: everything it stored (what `summary` counts
    may be published later on a followed bus: wait for it), then its TOTALS."""
    if bus.followed:
        ctx = info.context
        newest = await off_loop(ctx.reader.newest_seq, ctx.project_id, stream.feed.run_id)
        await bus.published(newest)
    updates = await stream.read_to(bus.last_seq)
    return [*updates, _totals(summary, stream.cursor)]


def _data_seq(batch: list[LiveEvent]) -> int:
    return max((e.seq for e in batch if e.type not in _RUN_EVENTS), default=0)
