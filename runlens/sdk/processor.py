"""`StartMarkerSpanProcessor`: makes any OpenTelemetry-instrumented agent live in runlens.

Add it next to the usual batch processor, with an exporter of its own:

    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint)))
    provider.add_span_processor(StartMarkerSpanProcessor(OTLPSpanExporter(endpoint)))

When a span starts, the processor snapshots it as a start marker (`markers.start_marker`) and
queues it; a background thread exports the queued markers in batches of up to `max_batch`: once
a marker is queued it waits at most `linger_s` for more to join it (less when a batch fills up),
then exports at once whatever has queued up meanwhile, so a busy agent sends few large requests
and a quiet one sends each marker within `linger_s`.
`on_start` never waits for the network: when the queue is full the marker is dropped and
counted (`dropped`), and the span still arrives, ended, through the batch processor.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter

from runlens.sdk.markers import start_marker

log = logging.getLogger(__name__)

DEFAULT_MAX_QUEUED = 2048
DEFAULT_MAX_BATCH = 512
DEFAULT_LINGER_S = 0.005


class StartMarkerSpanProcessor(SpanProcessor):
    def __init__(
        self,
        exporter: SpanExporter,
        *,
        max_queued: int = DEFAULT_MAX_QUEUED,
        max_batch: int = DEFAULT_MAX_BATCH,
        linger_s: float = DEFAULT_LINGER_S,
    ) -> None:
        if max_queued < 1 or max_batch < 1:
            raise ValueError("max_queued and max_batch must be at least 1")
        if linger_s < 0:
            raise ValueError("linger_s must be >= 0")
        self._linger_s = linger_s
        self._exporter = exporter
        self._max_queued = max_queued
        self._max_batch = max_batch
        self._queue: deque[ReadableSpan] = deque()
        self._cond = threading.Condition()
        self._exporting = False
        self._closing = False
        self._flushing = 0  # force_flush calls waiting: no linger meanwhile
        self.dropped = 0  # markers not sent because the queue was full
        self._thread = threading.Thread(target=self._run, name="runlens-start-markers", daemon=True)
        self._thread.start()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        if not span.context.trace_flags.sampled:
            return
        marker = start_marker(span)
        with self._cond:
            if self._closing:
                return
            if len(self._queue) >= self._max_queued:
                self.dropped += 1
                return
            self._queue.append(marker)
            if len(self._queue) == 1 or len(self._queue) >= self._max_batch:
                self._cond.notify_all()  # the first of a batch, or a full one

    def on_end(self, span: ReadableSpan) -> None:
        """Ended spans travel through the application's own batch processor."""

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if not self._queue:
                    return
                flush_by = time.monotonic() + self._linger_s
                while len(self._queue) < self._max_batch and not (self._closing or self._flushing):
                    left = flush_by - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                batch = [
                    self._queue.popleft() for _ in range(min(self._max_batch, len(self._queue)))
                ]
                self._exporting = True
            try:
                self._exporter.export(batch)
            except Exception:
                log.exception("exporting %d start marker(s) failed", len(batch))
            finally:
                with self._cond:
                    self._exporting = False
                    self._cond.notify_all()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Wait until every queued marker was handed to the exporter; False on timeout."""
        deadline = time.monotonic() + timeout_millis / 1000
        with self._cond:
            self._flushing += 1
            self._cond.notify_all()
            try:
                while self._queue or self._exporting:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._cond.wait(left)
            finally:
                self._flushing -= 1
        return True

    def shutdown(self) -> None:
        """Export what is queued, stop the thread, shut the exporter down."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(30)
        self._exporter.shutdown()
