"""What `runEvents` streams hand out: one feed per run, fed by the live bus.

Every `runEvents` stream of a run shares one `RunFeed`. A feed is loaded once from storage
(the run's changes in `(0, S]`, i.e. its whole timeline as of S) and then moved forward by the
records the bus carries: a stream hands the feed the bus events of its range `(cursor, upto]`,
and the feed takes the records it has not read yet, with no read at all. Storage is read again
by commit sequence only when a stream needs a range its bus events do not cover (a stream that
joins a feed behind it, or a run that ended while the stream replayed). Each change is decoded
once, over the feed's run model (`runs.live.LiveRun`), into an item (the API event, or an output
chunk) that every stream hands out; a stream only adds whether a span is new to it
(EVENT_CREATED) or not (EVENT_UPDATED).

Summaries (for TOTALS) are read for all followed runs of the project at once, by the first
stream that needs a summary newer than the notification it reacts to. A feed keeps what it read
while it has streams, and is dropped with its last one.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import strawberry

from runlens.api.graphql.loaders import off_loop
from runlens.api.graphql.types.actions import event_of
from runlens.api.graphql.types.common import Long
from runlens.api.graphql.types.events import Event
from runlens.api.graphql.types.live import OutputChunk
from runlens.bus import LiveBus, LiveEvent, LiveEventType
from runlens.runs.events import event_id
from runlens.runs.live import LiveRun
from runlens.runs.output import chunk_text
from runlens.semconv.records import LogRecord, SpanRecord
from runlens.storage.contract import RunChanges, RunSummary


class FeedReader(Protocol):
    """What the feeds read through (a subset of `ApiReader`)."""

    def run_changes(
        self, project_id: str, run_id: str, after_seq: int, upto_seq: int
    ) -> RunChanges: ...

    def run_summaries(self, project_id: str, run_ids: Sequence[str]) -> list[RunSummary]: ...


def carry_records(events: Sequence[LiveEvent]) -> Iterator[bool]:
    """For each span or log event, whether it carries its record."""
    return (
        e.record is not None for e in events if e.type in (LiveEventType.SPAN, LiveEventType.LOG)
    )


def written(events: Sequence[LiveEvent], after: int) -> RunChanges:
    """The records bus events carry with a sequence above `after`, as changes."""
    spans: list[tuple[int, SpanRecord]] = []
    logs: list[tuple[int, LogRecord]] = []
    for event in events:
        record = event.record
        if record is None or event.seq <= after:
            continue
        if isinstance(record, SpanRecord):
            spans.append((event.seq, record))
        else:
            logs.append((event.seq, record))
    return RunChanges(tuple(spans), tuple(logs))


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One decoded change: an event (with its span id) or an output chunk."""

    seq: int
    span_id: str = ""
    event: Event | None = None
    chunk: OutputChunk | None = None


class RunFeed:
    """What one run stored, as taken so far (every change with a sequence up to `cursor`)."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.cursor = 0
        self.summary: RunSummary | None = None
        self.summary_read_at = -1.0  # monotonic time the read of `summary` started
        self.streams = 0
        self.run = LiveRun()
        self._items: list[FeedItem] = []
        self._seqs: list[int] = []

    def keep_summary(self, summary: RunSummary | None, read_at: float) -> None:
        """Take a summary read that started at `read_at`, unless a later read is kept."""
        if read_at >= self.summary_read_at:
            self.summary = summary
            self.summary_read_at = read_at

    def absorb(self, changes: RunChanges, upto: int) -> None:
        """Take the changes of `(cursor, upto]` (those at or below `cursor` are skipped)."""
        if self.cursor:
            changes = RunChanges(
                tuple(c for c in changes.spans if c[0] > self.cursor),
                tuple(c for c in changes.logs if c[0] > self.cursor),
            )
        applied = self.run.apply(changes)
        decoded: list[tuple[int, int, FeedItem]] = []
        if applied.events:
            view = self.run.view(self.summary)
            for order, (seq, span_id) in enumerate(applied.events):
                item = FeedItem(seq, span_id, event=event_of(view.by_id[span_id], view))
                decoded.append((seq, order, item))
        for order, (seq, log) in enumerate(applied.chunks, start=len(decoded)):
            chunk = OutputChunk(
                event_id=strawberry.ID(event_id(log.span_id)),
                stream=log.stream,
                text=chunk_text(log),
                seq=Long(log.seq),
            )
            decoded.append((seq, order, FeedItem(seq, chunk=chunk)))
        decoded.sort(key=lambda entry: (entry[0], entry[1]))
        self._items.extend(item for _, _, item in decoded)
        self._seqs.extend(seq for seq, _, _ in decoded)
        self.cursor = max(self.cursor, upto)

    def between(self, after: int, upto: int) -> list[FeedItem]:
        """The items with `after < seq <= upto`, in sequence order."""
        start = bisect.bisect_right(self._seqs, after)
        stop = bisect.bisect_right(self._seqs, upto, lo=start)
        return self._items[start:stop]


class LiveFeeds:
    """The feeds of one project's followed runs (one instance per reader, bus, project and event
    loop: see `live_feeds`)."""

    def __init__(self, reader: FeedReader, bus: LiveBus, project_id: str) -> None:
        self.reader = reader
        self.bus = bus
        self.project_id = project_id
        self._feeds: dict[str, RunFeed] = {}
        self._lock = asyncio.Lock()  # change reads
        self._summary_lock = asyncio.Lock()  # summary reads (never held up by change reads)
        self._on_empty: Callable[[], None] = lambda: None

    @property
    def runs(self) -> int:
        return len(self._feeds)

    @asynccontextmanager
    async def follow(self, run_id: str) -> AsyncIterator[RunFeed]:
        """The run's feed while the caller uses it (created on first use, dropped with its last
        user)."""
        feed = self._feeds.get(run_id)
        if feed is None:
            feed = self._feeds[run_id] = RunFeed(run_id)
        feed.streams += 1
        try:
            yield feed
        finally:
            feed.streams -= 1
            if feed.streams == 0 and self._feeds.get(run_id) is feed:
                del self._feeds[run_id]
                if not self._feeds:
                    self._on_empty()

    async def catch_up(
        self, feed: RunFeed, upto: int, events: Sequence[LiveEvent] | None = None
    ) -> None:
        """Make sure `feed` took every change up to `upto` (a published sequence). `events`:
        the bus events of the run published in `(c, upto]`, `c` being the cursor of the
        stream that passes them (never above the feed's): taken without a read, unless they
        only name their records (a bus fed by a store follower), which are then read."""
        if feed.cursor >= upto:
            return
        if events is not None and feed.cursor and all(carry_records(events)):
            feed.absorb(written(events, feed.cursor), upto)
            return
        async with self._lock:
            after = feed.cursor
            if after >= upto:
                return  # another stream's read took it meanwhile
            started = time.monotonic()
            if after == 0:
                found = await off_loop(self.reader.run_summaries, self.project_id, [feed.run_id])
                feed.keep_summary(found[0] if found else None, started)
            read = self.reader.run_changes
            feed.absorb(await off_loop(read, self.project_id, feed.run_id, after, upto), upto)

    async def summary(self, feed: RunFeed, since: float | None = None) -> RunSummary | None:
        """The run's summary as stored at monotonic time `since` (default: now) or later, read
        for every followed run at once. Streams told of a refresh pass the time they were told:
        they reach this call one after another, and one read after that time serves them all
        (asking for "now" would read once per stream)."""
        asked = time.monotonic() if since is None else since
        async with self._summary_lock:
            if feed.summary_read_at >= asked:
                return feed.summary
            feeds = list(self._feeds.values())
            if feed not in feeds:
                feeds.append(feed)
            started = time.monotonic()
            found = await off_loop(
                self.reader.run_summaries, self.project_id, [f.run_id for f in feeds]
            )
            by_id = {s.run_id: s for s in found}
            for f in feeds:
                f.keep_summary(by_id.get(f.run_id), started)
            return feed.summary


_FEEDS: dict[tuple[int, int, int, str], LiveFeeds] = {}


def live_feeds(reader: FeedReader, bus: LiveBus, project_id: str) -> LiveFeeds:
    """The project's shared feeds in this event loop (dropped when their last run is)."""
    key = (id(asyncio.get_running_loop()), id(reader), id(bus), project_id)
    feeds = _FEEDS.get(key)
    if feeds is None:
        feeds = _FEEDS[key] = LiveFeeds(reader, bus, project_id)

        def forget(feeds: LiveFeeds = feeds) -> None:
            if _FEEDS.get(key) is feeds:
                del _FEEDS[key]

        feeds._on_empty = forget
    return feeds
