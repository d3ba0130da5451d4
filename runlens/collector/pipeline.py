"""Bounded queue → group commit → SpanWriter, then run summaries off the acknowledgement path.

Every export waits on a future that resolves only after its records are stored, so a client is
acknowledged only for durable data. Records are encoded for the store in the submitting
(receiver) thread; two writer threads each take whatever has queued up while they were busy and
store it in one insert (group commit): the busier the receivers, the larger the batches. Each
write gets its commit sequence as it is taken, and writes are published (summaries, live bus)
strictly in sequence order, whichever finishes first.
The queue is bounded by span count; when it is full `submit` raises `QueueFull` at once and the
receivers answer UNAVAILABLE / 503 so the client retries later.

Run summaries are refreshed after the acknowledgement, in a thread of their own: it collects
the runs the writes touched and refreshes them together, at most every 0.5 s or twice the last
refresh's duration (a failed refresh is retried after `refresh_interval_s`). A refresh computes
each summary from what the store's writer kept of the batches it wrote, after one narrow check
that nothing else was written to the run (storage/summarize.py); on its own thread it never
holds up a write, and with it the start markers of live runs. The same thread closes lost runs
periodically. Other collectors may write and refresh the same runs.

The set of runs awaiting a refresh lives in memory, so a crash loses it; the spans do not. Each
summary records the commit sequence it covers, and the summary thread asks the store for runs
with spans stored after their summary (`stale_runs`) when it starts, which rebuilds what a
crash cut off, and again at every sweep as a safety net (a collector of a cluster that died).

Before a write, GenAI log events are merged into their spans when the write holds both
(`semconv.events.merge_batch`; those spans are encoded again). With a live bus, the writer
publishes what each write stored (one event per span and log record, carrying the record and
the write's commit sequence) right after the write, and the summary thread one event per run
right after its summary was refreshed (with the sequence of the last write before the refresh
began). `request_refresh` asks for a refresh of runs whose summary depends on something else
than spans (control commands); `after_refresh` is called in the summary thread with the runs
of each successful refresh.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from runlens.bus import LiveBus, LiveEvent, LiveEventType
from runlens.semconv.events import genai_events, merge_batch
from runlens.semconv.records import LogRecord, SpanRecord
from runlens.storage.contract import (
    EncodedBatch,
    IngestWriter,
    PermanentStorageError,
    RunKey,
    StorageError,
    WriteResult,
)

log = logging.getLogger(__name__)


class QueueFull(Exception):
    """The ingest queue is at capacity; the client should retry after a short delay."""


WRITERS = 2  # writes under way at once: an insert costs ~30 ms however small, and a request
# that arrives during one no longer waits for it to end (live p99 606 → ~380 ms, bench.live)

# What a completed write hands to publication: the runs it touched and its live events, or
# nothing when it stored nothing.
_Outcome = tuple[tuple[RunKey, ...], list[LiveEvent]] | None


@dataclass(slots=True)
class _Pending:
    batch: EncodedBatch
    future: Future[WriteResult] = field(default_factory=Future)
    spans: Sequence[SpanRecord] = ()  # the records (GenAI events merge, the live bus)
    logs: Sequence[LogRecord] = ()

    @property
    def size(self) -> int:
        return self.batch.size


class IngestPipeline:
    def __init__(
        self,
        writer: IngestWriter,
        *,
        max_queued: int,
        max_batch: int,
        run_timeout_s: float,
        sweep_interval_s: float,
        refresh_interval_s: float = 1.0,
        refresh_gap_s: float = 0.5,
        bus: LiveBus | None = None,
        after_refresh: Callable[[Sequence[RunKey]], None] | None = None,
    ) -> None:
        self._writer = writer
        self._max_queued = max_queued
        self._max_batch = max_batch
        self._run_timeout_s = run_timeout_s
        self._sweep_interval_s = sweep_interval_s
        self._refresh_interval_s = refresh_interval_s
        self._refresh_gap_s = refresh_gap_s  # the shortest time between two refreshes
        # Stale runs are looked for among spans stored up to this long before the newest
        # summary: two sweeps and a minute of clock skew between collectors.
        self._stale_slack_us = int((2 * sweep_interval_s + 60) * 1_000_000)
        self._bus = bus
        self._after_refresh = after_refresh
        self._queue: deque[_Pending] = deque()
        self._queued = 0
        self._cond = threading.Condition()
        self._closing = False
        # The summary thread's state, under `_summaries`:
        self._summaries = threading.Condition()
        self._unrefreshed: dict[RunKey, None] = {}  # runs written or asked since the last refresh
        self._last_seq = 0  # of the last write
        self._writes_done = False
        self._last_refresh = time.monotonic()  # when the last successful refresh ended
        self._refresh_took = 0.0  # how long it took (s)
        self._refresh_retry_at = 0.0
        self._in_flight: set[int] = set()  # sequences handed out, not yet stored or failed
        self._done: dict[int, _Outcome] = {}  # finished, waiting for a lower one to finish
        self._publishing = threading.Lock()  # publication goes in sequence order
        self._threads = [
            threading.Thread(target=self._run, name=f"runlens-writer-{n}", daemon=True)
            for n in range(WRITERS)
        ]
        self._summary_thread = threading.Thread(
            target=self._run_summaries, name="runlens-summaries", daemon=True
        )

    def start(self) -> None:
        # Every write up to now was made by an earlier process: a run it left unrefreshed and
        # refreshed now is covered up to here.
        self._last_seq = self._writer.next_seq()
        for thread in self._threads:
            thread.start()
        self._summary_thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Store everything already accepted, refresh its summaries, then stop both threads."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._summaries:
            self._writes_done = True
            self._summaries.notify()
        self._summary_thread.join(max(0.0, deadline - time.monotonic()))

    @property
    def queued(self) -> int:
        return self._queued

    def submit(self, spans: Sequence[SpanRecord], logs: Sequence[LogRecord]) -> Future[WriteResult]:
        """Encode the records in the calling thread and queue them for the writer."""
        size = len(spans) + len(logs)
        future: Future[WriteResult] = Future()
        if size == 0:
            future.set_result(WriteResult(0, 0, ()))
            return future
        self._check_room(size)  # before encoding: a full queue costs the client nothing
        try:
            batch = self._writer.encode(spans, logs)
        except StorageError as exc:
            future.set_exception(exc)
            return future
        pending = _Pending(batch, future, spans, logs)
        with self._cond:
            self._check_room(size)
            self._queue.append(pending)
            self._queued += size
            self._cond.notify()
        return future

    def stored_through(self) -> int:
        """A commit sequence up to which every write of this pipeline has ended (stored or
        failed): below the lowest one under way, else a new one (the next write's is higher)."""
        with self._cond:
            if self._in_flight:
                return min(self._in_flight) - 1
            return self._writer.next_seq()

    def request_refresh(self, runs: Iterable[RunKey]) -> None:
        """Have these runs' summaries recomputed soon (thread-safe)."""
        with self._summaries:
            self._unrefreshed.update(dict.fromkeys(runs))
            self._summaries.notify()

    def _check_room(self, size: int) -> None:
        if self._closing:
            raise QueueFull("runlens is shutting down")
        if self._queued and self._queued + size > self._max_queued:
            raise QueueFull(f"ingest queue full ({self._queued} records waiting to be stored)")

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if not self._queue:
                    break
                batch = self._take_batch()
                seq = self._hand_out()
            self._store(batch, seq)

    def _hand_out(self) -> int:
        """A commit sequence for a write about to begin (under `_cond`)."""
        seq = self._writer.next_seq()
        self._in_flight.add(seq)
        return seq

    def _run_summaries(self) -> None:
        self._recover()
        next_sweep = time.monotonic() + self._sweep_interval_s
        while True:
            with self._summaries:
                while not self._writes_done:
                    now = time.monotonic()
                    wake = next_sweep
                    if self._unrefreshed:
                        wake = min(wake, self._refresh_due())
                    if wake <= now:
                        break
                    self._summaries.wait(wake - now)
                done = self._writes_done
            self._refresh()
            if done:
                break
            if time.monotonic() >= next_sweep:
                self._sweep()
                self._recover()
                next_sweep = time.monotonic() + self._sweep_interval_s

    def _refresh_due(self) -> float:
        """When the next refresh may run: at most every `refresh_gap_s` (many runs at once),
        and never sooner than twice the last one's duration after it (refreshes of large live
        runs take at most a third of the time), later after a failure."""
        gap = max(self._refresh_gap_s, 2 * self._refresh_took)
        return max(self._refresh_retry_at, self._last_refresh + gap)

    def _take_batch(self) -> list[_Pending]:
        batch: list[_Pending] = []
        size = 0
        while self._queue and (not batch or size + self._queue[0].size <= self._max_batch):
            pending = self._queue.popleft()
            batch.append(pending)
            size += pending.size
        self._queued -= size
        return batch

    def _merge_events(self, batch: list[_Pending]) -> list[_Pending]:
        """The batch with the GenAI log events it holds merged into their spans when those are
        in it too (the spans re-encoded); reads merge only the events that came without."""
        events = genai_events([log for pending in batch for log in pending.logs])
        if not events:
            return batch
        merged: list[_Pending] = []
        for pending in batch:
            spans = merge_batch(pending.spans, events) if pending.spans else None
            try:
                encoded = None if spans is None else self._writer.encode(spans, pending.logs)
            except StorageError:
                log.warning("re-encoding spans with their GenAI events failed", exc_info=True)
                encoded = None
            if spans is None or encoded is None:
                merged.append(pending)
            else:
                merged.append(_Pending(encoded, pending.future, spans, pending.logs))
        return merged

    def _store(self, batch: list[_Pending], seq: int) -> None:
        batch = self._merge_events(batch)
        try:
            result = self._writer.write_encoded([pending.batch for pending in batch], seq)
        except PermanentStorageError as exc:
            if len(batch) == 1:
                _fail(batch, exc)
                self._finish(seq, None)
                return
            # One request's data poisons the group: store each alone so only it fails.
            with self._cond:
                alone = [(pending, self._hand_out()) for pending in batch]
            self._finish(seq, None)
            for pending, own in alone:
                self._store([pending], own)
            return
        except Exception as exc:
            if not isinstance(exc, StorageError):
                log.exception("unexpected error while storing a batch")
            _fail(batch, exc)
            self._finish(seq, None)
            return
        for pending in batch:
            pending.future.set_result(result)
        events: list[LiveEvent] = []
        if self._bus is not None:
            for pending in batch:
                events.extend(LiveEvent.span(seq, span) for span in pending.spans)
                events.extend(LiveEvent.log(seq, log) for log in pending.logs)
        self._finish(seq, (result.runs, events))

    def _finish(self, seq: int, outcome: _Outcome) -> None:
        """Record that write `seq` is over; publish, in sequence order, every finished write
        below the lowest one still under way: a reader told of sequence S reads everything
        up to S, so S is told only once all writes below it are stored."""
        with self._publishing:
            with self._cond:
                self._in_flight.discard(seq)
                self._done[seq] = outcome
                lowest = min(self._in_flight, default=None)
                ready = sorted(s for s in self._done if lowest is None or s < lowest)
                outcomes = [(s, self._done.pop(s)) for s in ready]
            for done, finished in outcomes:
                if finished is not None:
                    self._publish(done, *finished)

    def _publish(self, seq: int, runs: tuple[RunKey, ...], events: list[LiveEvent]) -> None:
        with self._summaries:
            self._unrefreshed.update(dict.fromkeys(runs))
            self._last_seq = max(self._last_seq, seq)
            self._summaries.notify()
        if self._bus is not None:
            self._bus.publish(events)

    def _refresh(self) -> None:
        """Recompute the summaries of every run written since the last refresh; on failure keep
        them and try again after `refresh_interval_s`."""
        with self._summaries:
            runs = list(self._unrefreshed)
            self._unrefreshed.clear()
            seq = self._last_seq
        if not runs:
            return
        started = time.monotonic()
        try:
            created = self._writer.refresh_runs(runs, seq)
        except Exception as exc:
            if not isinstance(exc, StorageError):
                log.exception("unexpected error while refreshing run summaries")
            else:
                log.warning("refreshing %d run summaries failed; will retry", len(runs))
            with self._summaries:
                self._unrefreshed.update(dict.fromkeys(runs))
            self._refresh_retry_at = time.monotonic() + self._refresh_interval_s
            return
        self._last_refresh = time.monotonic()
        self._refresh_took = self._last_refresh - started
        if self._bus is not None:
            self._bus.publish(
                [
                    LiveEvent(
                        LiveEventType.RUN_CREATED if run in created else LiveEventType.RUN_UPDATED,
                        run.project_id,
                        run.run_id,
                        seq,
                    )
                    for run in runs
                ]
            )
        if self._after_refresh is not None:
            try:
                self._after_refresh(runs)
            except Exception:
                log.exception("the after-refresh hook failed")

    def _recover(self) -> None:
        """Queue a refresh of the runs whose spans are newer than their summary."""
        try:
            stale = self._writer.stale_runs(self._stale_slack_us)
        except StorageError:
            log.warning("looking for stale run summaries failed; will retry", exc_info=True)
            return
        if stale:
            log.info("refreshing %d run summaries older than their spans", len(stale))
            self.request_refresh(stale)

    def _sweep(self) -> None:
        try:
            closed = self._writer.close_lost_runs(self._run_timeout_s, time.time_ns())
        except StorageError:
            log.warning("lost-run sweep failed; will retry", exc_info=True)
            return
        if closed:
            log.info("closed %d lost run(s) idle for over %.0f s", closed, self._run_timeout_s)


def _fail(batch: list[_Pending], exc: BaseException) -> None:
    for pending in batch:
        pending.future.set_exception(exc)
