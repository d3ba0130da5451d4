"""Bounded queue → group commit → SpanWriter, then run summaries off the acknowledgement path.

Every export waits on a future that resolves only after its records are stored, so a client is
acknowledged only for durable data. Records are encoded for the store in the submitting
(receiver) thread; one writer thread takes whatever has queued up while the previous insert ran
and stores it in one insert (group commit): the busier the receivers, the larger the batches.
The queue is bounded by span count; when it is full `submit` raises `QueueFull` at once and the
receivers answer UNAVAILABLE / 503 so the client retries later.

Run summaries are recomputed after the acknowledgement: the writer thread collects the runs its
writes touched and refreshes them together right after a write that left the queue empty (at
most every 0.5 s), or at least every `refresh_interval_s` while data keeps arriving. The same
thread closes lost runs periodically, so the store has a single writer.

With a live bus, the writer publishes what each write stored (one thin event per span and log
record, with the write's commit sequence) right after the write, and one event per run right
after its summary was refreshed. `request_refresh` asks for a refresh of runs whose summary
depends on something else than spans (control commands); `after_refresh` is called in the
writer thread with the runs of each successful refresh.
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
from runlens.semconv.records import LogRecord, SpanRecord
from runlens.storage.contract import (
    EncodedBatch,
    PermanentStorageError,
    RunKey,
    SpanWriter,
    StorageError,
    WriteResult,
)

log = logging.getLogger(__name__)


class QueueFull(Exception):
    """The ingest queue is at capacity; the client should retry after a short delay."""


_REFRESH_GAP_S = 0.5  # the shortest time between two summary refreshes

# What a live event says of one stored record, less the commit sequence.
_Touch = tuple[LiveEventType, str, str, str, str, str]


def _touches(spans: Sequence[SpanRecord], logs: Sequence[LogRecord]) -> tuple[_Touch, ...]:
    found: list[_Touch] = [
        (LiveEventType.SPAN, s.project_id, s.run_id, s.span_id, s.kind.value, s.status.value)
        for s in spans
    ]
    found.extend((LiveEventType.LOG, g.project_id, g.run_id, g.span_id, g.stream, "") for g in logs)
    return tuple(found)


@dataclass(slots=True)
class _Pending:
    batch: EncodedBatch
    future: Future[WriteResult] = field(default_factory=Future)
    touches: tuple[_Touch, ...] = ()

    @property
    def size(self) -> int:
        return self.batch.size


class IngestPipeline:
    def __init__(
        self,
        writer: SpanWriter,
        *,
        max_queued: int,
        max_batch: int,
        run_timeout_s: float,
        sweep_interval_s: float,
        refresh_interval_s: float = 1.0,
        bus: LiveBus | None = None,
        after_refresh: Callable[[Sequence[RunKey]], None] | None = None,
    ) -> None:
        self._writer = writer
        self._max_queued = max_queued
        self._max_batch = max_batch
        self._run_timeout_s = run_timeout_s
        self._sweep_interval_s = sweep_interval_s
        self._refresh_interval_s = refresh_interval_s
        self._bus = bus
        self._after_refresh = after_refresh
        self._requested: dict[RunKey, None] = {}  # refreshes asked by other threads
        self._last_seq = 0  # of the last write
        self._queue: deque[_Pending] = deque()
        self._queued = 0
        self._cond = threading.Condition()
        self._closing = False
        self._unrefreshed: dict[RunKey, None] = {}  # runs written since the last refresh
        self._last_refresh = time.monotonic()
        self._refresh_retry_at = 0.0
        self._thread = threading.Thread(target=self._run, name="runlens-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Store everything already accepted, refresh its summaries, then stop the writer."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout)

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
        touches = _touches(spans, logs) if self._bus is not None else ()
        pending = _Pending(batch, future, touches)
        with self._cond:
            self._check_room(size)
            self._queue.append(pending)
            self._queued += size
            self._cond.notify()
        return future

    def request_refresh(self, runs: Iterable[RunKey]) -> None:
        """Have the writer recompute these runs' summaries soon (thread-safe)."""
        with self._cond:
            self._requested.update(dict.fromkeys(runs))
            self._cond.notify()

    def _check_room(self, size: int) -> None:
        if self._closing:
            raise QueueFull("runlens is shutting down")
        if self._queued and self._queued + size > self._max_queued:
            raise QueueFull(f"ingest queue full ({self._queued} records waiting to be stored)")

    def _run(self) -> None:
        next_sweep = time.monotonic() + self._sweep_interval_s
        while True:
            with self._cond:
                while not self._queue and not self._closing and not self._requested:
                    now = time.monotonic()
                    if self._unrefreshed and now >= self._refresh_due():
                        break
                    wake = next_sweep
                    if self._unrefreshed:
                        wake = min(wake, self._refresh_due())
                    if wake <= now:
                        break
                    self._cond.wait(wake - now)
                self._unrefreshed.update(self._requested)
                self._requested.clear()
                if not self._queue and self._closing:
                    break
                batch = self._take_batch()
            if batch:
                self._store(batch)
            now = time.monotonic()
            if (
                self._unrefreshed
                and now >= self._refresh_due()
                and (not self._queue or now - self._last_refresh >= self._refresh_interval_s)
            ):
                self._refresh()
            if time.monotonic() >= next_sweep:
                self._refresh()  # a run written just now must not look idle to the sweep
                self._sweep()
                next_sweep = time.monotonic() + self._sweep_interval_s
        self._refresh()

    def _refresh_due(self) -> float:
        """When the next refresh may run: refreshing costs the writer about as much as a
        write, so even a writer that keeps emptying its queue refreshes at most every
        `_REFRESH_GAP_S` (and the writes, with their live events, do not wait behind it)."""
        gap = min(_REFRESH_GAP_S, self._refresh_interval_s)
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

    def _store(self, batch: list[_Pending]) -> None:
        try:
            result = self._writer.write_encoded([pending.batch for pending in batch])
        except PermanentStorageError as exc:
            if len(batch) == 1:
                _fail(batch, exc)
                return
            # One request's data poisons the group: store each alone so only it fails.
            for pending in batch:
                self._store([pending])
            return
        except Exception as exc:
            if not isinstance(exc, StorageError):
                log.exception("unexpected error while storing a batch")
            _fail(batch, exc)
            return
        for pending in batch:
            pending.future.set_result(result)
        self._unrefreshed.update(dict.fromkeys(result.runs))
        self._last_seq = max(self._last_seq, result.seq)
        if self._bus is not None:
            self._bus.publish(
                [
                    LiveEvent(kind, project_id, run_id, result.seq, span_id, span_kind, status)
                    for pending in batch
                    for kind, project_id, run_id, span_id, span_kind, status in pending.touches
                ]
            )

    def _refresh(self) -> None:
        """Recompute the summaries of every run written since the last refresh; on failure keep
        them and try again after `refresh_interval_s`."""
        if not self._unrefreshed:
            return
        runs = list(self._unrefreshed)
        try:
            created = self._writer.refresh_runs(runs)
        except Exception as exc:
            if not isinstance(exc, StorageError):
                log.exception("unexpected error while refreshing run summaries")
            else:
                log.warning("refreshing %d run summaries failed; will retry", len(runs))
            self._refresh_retry_at = time.monotonic() + self._refresh_interval_s
            return
        for run in runs:
            self._unrefreshed.pop(run, None)
        self._last_refresh = time.monotonic()
        if self._bus is not None:
            self._bus.publish(
                [
                    LiveEvent(
                        LiveEventType.RUN_CREATED if run in created else LiveEventType.RUN_UPDATED,
                        run.project_id,
                        run.run_id,
                        self._last_seq,
                    )
                    for run in runs
                ]
            )
        if self._after_refresh is not None:
            try:
                self._after_refresh(runs)
            except Exception:
                log.exception("the after-refresh hook failed")

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
