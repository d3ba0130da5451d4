"""Shared storage reads behind `runEvents`: one reader per run, one read per commit for all runs.

Every `runEvents` stream of a run shares one `RunFeed`. A feed is loaded once (the run's changes
in `(0, S]`, i.e. its whole timeline as of S) and then moved forward in rounds: a round reads the
changes of every followed run of the project in `(cursor, newest published]` in one
`runs_changes` call, so N subscribers of one run, or one subscriber of each of N runs, cost one
storage read per commit rather than N. Each change is decoded once into an item (the API event,
built over the feed's in-memory timeline, or an output chunk) that every stream hands out; a
stream only adds whether a span is new to it (EVENT_CREATED) or not (EVENT_UPDATED).

The items a feed read are exactly what `run_changes` returns for the ranges it read, so a
stream's `(after, upto]` served from a feed has no gap and no duplicate, as before. Summaries
(for TOTALS) are read for all followed runs of the project at once too, by the first stream that
needs a summary newer than the notification it reacts to. A feed keeps what it read while it has
streams, and is dropped with its last one.
"""

from __future__ import annotations

import asyncio
import bisect
import operator
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol, TypeVar

import strawberry

from runlens.api.graphql.loaders import off_loop
from runlens.api.graphql.timeline import (
    STREAMS,
    TimelineView,
    previous_llm_calls,
    requested_by,
    sorted_chunks,
)
from runlens.api.graphql.types.actions import chunk_text, event_of
from runlens.api.graphql.types.common import Long
from runlens.api.graphql.types.events import Event, event_id
from runlens.api.graphql.types.live import OutputChunk
from runlens.bus import LiveBus
from runlens.semconv.counting import counted_calls
from runlens.semconv.events import apply_log_events
from runlens.semconv.links import link_tool_calls
from runlens.semconv.records import LogRecord, SpanRecord, SpanStatus
from runlens.storage.contract import LogKey, RunChanges, RunSummary, log_key

_SECOND = operator.itemgetter(1)

K = TypeVar("K")
V = TypeVar("V")


class FeedReader(Protocol):
    """What the feeds read through (a subset of `ApiReader`)."""

    def run_changes(
        self, project_id: str, run_id: str, after_seq: int, upto_seq: int
    ) -> RunChanges: ...

    def runs_changes(
        self, project_id: str, run_ids: Sequence[str], after_seq: int, upto_seq: int
    ) -> dict[str, RunChanges]: ...

    def run_summaries(self, project_id: str, run_ids: Sequence[str]) -> list[RunSummary]: ...

    def follow_changes(self, project_id: str, run_id: str) -> None: ...

    def unfollow_changes(self, project_id: str, run_id: str) -> None: ...


class _Lazy(Mapping[K, V]):
    """A mapping computed on first use (most live events never look at links or output)."""

    def __init__(self, compute: Callable[[], Mapping[K, V]]) -> None:
        self._compute: Callable[[], Mapping[K, V]] | None = compute
        self._value: Mapping[K, V] = {}

    def _get(self) -> Mapping[K, V]:
        if self._compute is not None:
            self._value = self._compute()
            self._compute = None
        return self._value

    def __getitem__(self, key: K) -> V:
        return self._get()[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


class LiveTimeline:
    """A run's timeline kept up to date from its changes; `view()` is what `build_view` would
    build from the stored timeline, at the cost of the spans that changed."""

    def __init__(self) -> None:
        self._stored: dict[str, SpanRecord] = {}
        self._spans: dict[str, SpanRecord] = {}  # GenAI log events applied
        self._order: list[tuple[int, str]] = []  # (start time, span id), start order
        self._events: dict[str, list[LogRecord]] = {}  # GenAI events by span
        self._chunks: dict[str, tuple[LogRecord, ...]] = {}  # terminal output by span
        self._logs: set[LogKey] = set()

    def apply(self, changes: RunChanges) -> list[tuple[int, SpanRecord]]:
        """Take the changes; return the span changes taken. A running version never replaces
        an ended span (changes served from memory may hold a start marker that arrived after
        its span ended: `storage.clickhouse.recent`)."""
        touched: set[str] = set()
        taken: list[tuple[int, SpanRecord]] = []
        for _, log in changes.logs:
            key = log_key(log)
            if key in self._logs:
                continue
            self._logs.add(key)
            if log.stream in STREAMS:
                self._chunks[log.span_id] = (*self._chunks.get(log.span_id, ()), log)
            elif log.event_name:
                self._events.setdefault(log.span_id, []).append(log)
                touched.add(log.span_id)
        running = SpanStatus.RUNNING
        for change in changes.spans:
            span = change[1]
            old = self._stored.get(span.span_id)
            if old is not None and span.status is running and old.status is not running:
                continue
            taken.append(change)
            if old is not None and old.start_time_unix_nano != span.start_time_unix_nano:
                self._order.remove((old.start_time_unix_nano, old.span_id))
                old = None
            if old is None:
                bisect.insort(self._order, (span.start_time_unix_nano, span.span_id))
            self._stored[span.span_id] = span
            touched.add(span.span_id)
        for span_id in touched:
            stored = self._stored.get(span_id)
            if stored is not None:
                self._spans[span_id] = apply_log_events(stored, self._events.get(span_id, ()))
        return taken

    def view(self, summary: RunSummary | None) -> TimelineView:
        # Copies at C speed: a view costs little more than its changed spans.
        by_id = dict(self._spans)
        span_ids = list(map(_SECOND, self._order))
        spans = tuple(map(by_id.__getitem__, span_ids))
        chunks = dict(self._chunks)

        linked = _Lazy(lambda: link_tool_calls(spans))
        return TimelineView(
            spans=spans,
            summary=summary,
            sequence=dict(zip(span_ids, range(1, len(span_ids) + 1), strict=True)),
            by_id=by_id,
            links=linked,
            requested_by=_Lazy(lambda: requested_by(linked)),
            chunks=_Lazy(lambda: sorted_chunks(chunks)),
            previous_llm=_Lazy(lambda: previous_llm_calls(spans)),
            counted=_Lazy(lambda: dict.fromkeys(counted_calls(spans), True)),
        )


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One decoded change: an event (with its span id) or an output chunk."""

    seq: int
    span_id: str = ""
    event: Event | None = None
    chunk: OutputChunk | None = None


class RunFeed:
    """What one run stored, as read so far (every change with a sequence up to `cursor`)."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.cursor = 0
        self.summary: RunSummary | None = None
        self.summary_read_at = -1.0  # monotonic time the read of `summary` started
        self.streams = 0
        self._timeline = LiveTimeline()
        self._items: list[FeedItem] = []
        self._seqs: list[int] = []

    def keep_summary(self, summary: RunSummary | None, read_at: float) -> None:
        """Take a summary read that started at `read_at`, unless a later read is kept."""
        if read_at >= self.summary_read_at:
            self.summary = summary
            self.summary_read_at = read_at

    def absorb(self, changes: RunChanges, upto: int) -> None:
        """Take the changes of `(cursor, upto]` (`upto` > `cursor`)."""
        spans = self._timeline.apply(changes)
        decoded: list[tuple[int, int, FeedItem]] = []
        if spans:
            view = self._timeline.view(self.summary)
            for order, (seq, stored) in enumerate(spans):
                span = view.by_id.get(stored.span_id, stored)
                item = FeedItem(seq, span.span_id, event=event_of(span, view))
                decoded.append((seq, order, item))
        for order, (seq, log) in enumerate(changes.logs, start=len(decoded)):
            if log.stream not in STREAMS:
                continue  # GenAI events show in the event they belong to
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
        self.cursor = upto

    def between(self, after: int, upto: int) -> list[FeedItem]:
        """The items with `after < seq <= upto`, in sequence order."""
        start = bisect.bisect_right(self._seqs, after)
        stop = bisect.bisect_right(self._seqs, upto, lo=start)
        return self._items[start:stop]


class LiveFeeds:
    """The feeds of one project's followed runs, read together (one instance per reader, bus,
    project and event loop: see `live_feeds`)."""

    def __init__(self, reader: FeedReader, bus: LiveBus, project_id: str) -> None:
        self.reader = reader
        self.bus = bus
        self.project_id = project_id
        self.reads = 0  # change reads (each one call, for one run or for all)
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
            self.reader.follow_changes(self.project_id, run_id)
        feed.streams += 1
        try:
            yield feed
        finally:
            feed.streams -= 1
            if feed.streams == 0 and self._feeds.get(run_id) is feed:
                del self._feeds[run_id]
                self.reader.unfollow_changes(self.project_id, run_id)
                if not self._feeds:
                    self._on_empty()

    async def catch_up(self, feed: RunFeed, upto: int) -> None:
        """Make sure `feed` read every change up to `upto` (a published sequence)."""
        if feed.cursor >= upto:
            return
        async with self._lock:
            if feed.cursor >= upto:
                return  # another stream's round read it meanwhile
            if feed.cursor == 0:
                await self._load(feed, upto)
                return
            target = max(upto, self.bus.last_seq)
            stale = [f for f in self._feeds.values() if 0 < f.cursor < target]
            if feed not in stale:
                stale.append(feed)
            after = min(f.cursor for f in stale)
            run_ids = [f.run_id for f in stale]
            self.reads += 1
            read = self.reader.runs_changes
            found = await off_loop(read, self.project_id, run_ids, after, target)
            for f in stale:
                changes = found.get(f.run_id, RunChanges((), ()))
                if f.cursor > after:  # the read started before this feed's cursor
                    changes = RunChanges(
                        tuple(c for c in changes.spans if c[0] > f.cursor),
                        tuple(c for c in changes.logs if c[0] > f.cursor),
                    )
                f.absorb(changes, target)

    async def _load(self, feed: RunFeed, upto: int) -> None:
        started = time.monotonic()
        found = await off_loop(self.reader.run_summaries, self.project_id, [feed.run_id])
        feed.keep_summary(found[0] if found else None, started)
        self.reads += 1
        changes = await off_loop(self.reader.run_changes, self.project_id, feed.run_id, 0, upto)
        feed.absorb(changes, upto)

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
