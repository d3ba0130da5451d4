"""The live bus: the records of each durable write, published after it, fanned out to asyncio
subscribers.

The ingest pipeline publishes from its writer thread (`publish`); each subscriber reads in its
own event loop (`Subscription.next_batch`). An event carries one stored record (a span or a log
record, as written) with the commit sequence of its write, so a subscriber in this process needs
no read to follow a run; one that missed events (it subscribed later, or overflowed) catches up
from storage by sequence. Each subscriber's queue is bounded: when a publish would exceed the
bound, the subscriber stops receiving and, once it has taken what is queued, gets an `Overflow`
telling it to resume from storage after the last sequence it received.

Two things feed a bus: the ingest pipeline of the same process (at once, in commit order, with
the records), or, in a process that ingests nothing, a store follower (runlens/follower.py) that
publishes what the ingesting processes stored, up to the sequence below which they have all
stored everything (its events name the records; subscribers read them by sequence).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from runlens.semconv.records import LogRecord, SpanRecord

DEFAULT_QUEUE_SIZE = 10_000


class LiveEventType(StrEnum):
    SPAN = "span"  # a span was stored (started, ended or delivered again)
    LOG = "log"  # a log record or an output chunk was stored
    RUN_CREATED = "run_created"  # the run's summary exists for the first time
    RUN_UPDATED = "run_updated"  # the run's summary was recomputed


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """What the bus carries: one stored record (SPAN, LOG) or a refreshed run summary (RUN_*).
    The only message type of the bus, whoever feeds it."""

    type: LiveEventType
    project_id: str
    run_id: str
    seq: int  # the commit sequence of the write (run events: the last one before the refresh)
    span_id: str = ""
    kind: str = ""  # span kind, or the stream of a log record ("" for GenAI events and logs)
    status: str = ""  # span status
    record: SpanRecord | LogRecord | None = None  # SPAN, LOG: the record as stored

    @classmethod
    def span(cls, seq: int, span: SpanRecord) -> LiveEvent:
        return cls(
            LiveEventType.SPAN,
            span.project_id,
            span.run_id,
            seq,
            span.span_id,
            span.kind.value,
            span.status.value,
            span,
        )

    @classmethod
    def log(cls, seq: int, log: LogRecord) -> LiveEvent:
        return cls(
            LiveEventType.LOG, log.project_id, log.run_id, seq, log.span_id, log.stream, "", log
        )


@dataclass(frozen=True, slots=True)
class Overflow:
    """The subscriber fell behind and was dropped: resume from storage after `seq`."""

    seq: int


class Subscription:
    """One subscriber's bounded queue. Use as an async context manager, or call `close()`."""

    def __init__(
        self,
        bus: LiveBus,
        project_id: str,
        run_id: str | None,
        types: Collection[LiveEventType] | None,
        start_seq: int,
    ) -> None:
        self.project_id = project_id
        self.run_id = run_id
        self.types = frozenset(types) if types is not None else frozenset(LiveEventType)
        self.start_seq = start_seq  # every event with a higher sequence reaches this queue
        self.peak = 0  # the longest the queue has been
        self._bus = bus
        self._max_queued = bus.max_queued
        self._loop = asyncio.get_running_loop()
        self._ready = asyncio.Event()
        self._queue: deque[LiveEvent] = deque()
        self._last_seq = start_seq  # of the last event queued
        self._overflowed = False

    def offer(self, events: Sequence[LiveEvent]) -> None:
        """Queue events (called by the bus under its lock, from any thread)."""
        if self._overflowed:
            self._bus.dropped_events += len(events)
            return
        if len(self._queue) + len(events) > self._max_queued:
            self._overflowed = True
            self._bus.overflows += 1
            self._bus.dropped_events += len(events)
        else:
            self._queue.extend(events)
            self._last_seq = max(self._last_seq, events[-1].seq)
            self.peak = max(self.peak, len(self._queue))
            self._bus.peak_queued = max(self._bus.peak_queued, self.peak)
        self._loop.call_soon_threadsafe(self._ready.set)

    async def next_batch(self) -> list[LiveEvent] | Overflow:
        """Everything queued (waiting until something is), then `Overflow` once dropped."""
        while True:
            with self._bus.lock:
                if self._queue:
                    batch = list(self._queue)
                    self._queue.clear()
                    return batch
                if self._overflowed:
                    return Overflow(self._last_seq)
                self._ready.clear()
            await self._ready.wait()

    @property
    def queued(self) -> int:
        return len(self._queue)

    def close(self) -> None:
        self._bus.unsubscribe(self)

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class LiveBus:
    """In-process publish/subscribe; `publish` is thread-safe, subscribers live in event loops.

    Sequences start at the current time in µs, like the store's commit sequences, so a
    subscriber of a fresh process never skips data stored by an earlier one. A `followed` bus
    (fed by a store follower) starts at 0 until its follower places it.
    """

    def __init__(self, max_queued: int = DEFAULT_QUEUE_SIZE, followed: bool = False) -> None:
        if max_queued < 1:
            raise ValueError("max_queued must be at least 1")
        self.max_queued = max_queued
        self.followed = followed
        self.lock = threading.Lock()
        # By topic: (project, run) for one run's subscribers, (project, None) for a project's.
        self._topics: dict[tuple[str, str | None], list[Subscription]] = {}
        self._last_seq = 0 if followed else time.time_ns() // 1000
        self.peak_queued = 0  # the longest any subscriber's queue has been
        self.overflows = 0  # subscribers dropped for falling behind
        self.dropped_events = 0  # events not queued to them because they had fallen behind

    @property
    def subscriber_count(self) -> int:
        return sum(map(len, self._topics.values()))

    @property
    def last_seq(self) -> int:
        """Every write with a sequence up to this one is stored and published."""
        return self._last_seq

    def advance(self, seq: int) -> None:
        """Every write up to `seq` is now published (a follower's round that found nothing)."""
        with self.lock:
            self._last_seq = max(self._last_seq, seq)

    async def published(self, seq: int, poll_s: float = 0.02) -> None:
        """Return once every write up to `seq` (one seen stored) is published: at once on a bus
        fed by ingest in this process, once its follower got there on a followed one."""
        while self.followed and self._last_seq < seq:
            await asyncio.sleep(poll_s)

    def subscribe(
        self,
        project_id: str,
        run_id: str | None = None,
        types: Collection[LiveEventType] | None = None,
    ) -> Subscription:
        """Subscribe (in a running event loop) to one project's events, or one run's; to the
        given types of event only when `types` is given."""
        with self.lock:
            subscription = Subscription(self, project_id, run_id, types, self._last_seq)
            self._topics.setdefault((project_id, run_id), []).append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self.lock:
            self._drop(subscription)

    def _drop(self, subscription: Subscription) -> None:
        topic = (subscription.project_id, subscription.run_id)
        subscribers = self._topics.get(topic, [])
        if subscription in subscribers:
            subscribers.remove(subscription)
            if not subscribers:
                del self._topics[topic]

    def publish(self, events: Sequence[LiveEvent]) -> None:
        """Hand events of stored data to every matching subscriber, never blocking."""
        if not events:
            return
        with self.lock:
            self._last_seq = max(self._last_seq, *(event.seq for event in events))
            by_topic: dict[tuple[str, str | None], list[LiveEvent]] = {}
            for event in events:
                by_topic.setdefault((event.project_id, event.run_id), []).append(event)
                by_topic.setdefault((event.project_id, None), []).append(event)
            for topic, topic_events in by_topic.items():
                for subscription in list(self._topics.get(topic, ())):
                    matching = [e for e in topic_events if e.type in subscription.types]
                    if matching:
                        try:
                            subscription.offer(matching)
                        except RuntimeError:  # its event loop is closed: it never reads again
                            self._drop(subscription)
