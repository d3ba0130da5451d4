"""Bounded queue → group commit → SpanWriter.

Every export waits on a future that resolves only after its records are stored, so a client is
acknowledged only for durable data. One writer thread takes whatever has queued up while the
previous insert ran and stores it in one insert (group commit): the busier the receivers, the
larger the batches. The queue is bounded by span count; when it is full `submit` raises
`QueueFull` at once and the receivers answer UNAVAILABLE / 503 so the client retries later.
The same thread closes lost runs periodically, so the store has a single writer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from runlens.semconv.records import LogRecord, SpanRecord
from runlens.storage.contract import PermanentStorageError, SpanWriter, StorageError, WriteResult

log = logging.getLogger(__name__)


class QueueFull(Exception):
    """The ingest queue is at capacity; the client should retry after a short delay."""


@dataclass(slots=True)
class _Pending:
    spans: Sequence[SpanRecord]
    logs: Sequence[LogRecord]
    future: Future[WriteResult] = field(default_factory=Future)

    @property
    def size(self) -> int:
        return len(self.spans) + len(self.logs)


class IngestPipeline:
    def __init__(
        self,
        writer: SpanWriter,
        *,
        max_queued: int,
        max_batch: int,
        run_timeout_s: float,
        sweep_interval_s: float,
        on_stored: Callable[[WriteResult], None] | None = None,
    ) -> None:
        self._writer = writer
        self._max_queued = max_queued
        self._max_batch = max_batch
        self._run_timeout_s = run_timeout_s
        self._sweep_interval_s = sweep_interval_s
        self._on_stored = on_stored
        self._queue: deque[_Pending] = deque()
        self._queued = 0
        self._cond = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="runlens-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Store everything already accepted, then stop the writer thread."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout)

    @property
    def queued(self) -> int:
        return self._queued

    def submit(self, spans: Sequence[SpanRecord], logs: Sequence[LogRecord]) -> Future[WriteResult]:
        pending = _Pending(spans, logs)
        if pending.size == 0:
            pending.future.set_result(WriteResult(0, 0, ()))
            return pending.future
        with self._cond:
            if self._closing:
                raise QueueFull("runlens is shutting down")
            if self._queued and self._queued + pending.size > self._max_queued:
                raise QueueFull(f"ingest queue full ({self._queued} records waiting to be stored)")
            self._queue.append(pending)
            self._queued += pending.size
            self._cond.notify()
        return pending.future

    def _run(self) -> None:
        next_sweep = time.monotonic() + self._sweep_interval_s
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    wait = next_sweep - time.monotonic()
                    if wait <= 0:
                        break
                    self._cond.wait(wait)
                if not self._queue and self._closing:
                    return
                batch = self._take_batch()
            if batch:
                self._store(batch)
            if time.monotonic() >= next_sweep:
                self._sweep()
                next_sweep = time.monotonic() + self._sweep_interval_s

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
            result = self._write(batch)
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
        if self._on_stored is not None:
            try:
                self._on_stored(result)
            except Exception:
                log.exception("on_stored callback failed")

    def _write(self, batch: list[_Pending]) -> WriteResult:
        if len(batch) == 1:
            return self._writer.write(batch[0].spans, batch[0].logs)
        spans = [span for pending in batch for span in pending.spans]
        logs = [record for pending in batch for record in pending.logs]
        return self._writer.write(spans, logs)

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
