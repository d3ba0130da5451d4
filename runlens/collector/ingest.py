"""Decoded OTLP → canonical records → the pipeline; the one callback both receivers share."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from runlens.collector.pipeline import IngestPipeline, QueueFull
from runlens.metrics import Metrics
from runlens.semconv.events import map_log
from runlens.semconv.mapping import map_span
from runlens.semconv.metrics import MetricPoint
from runlens.semconv.pricing import PriceTable
from runlens.semconv.records import LogRecord, RawLog, RawSpan, SpanRecord
from runlens.semconv.redaction import Redactor
from runlens.storage.contract import (
    MetricWriter,
    PermanentStorageError,
    StorageError,
    WriteResult,
)

log = logging.getLogger(__name__)

METRIC_WRITES = 2  # metric exports stored at once; more are refused as overloaded


@dataclass(frozen=True, slots=True)
class Accepted:
    """Stored: `rejected` items were dropped as invalid (OTLP partial success). `message` gives
    the reasons and any warning; with `rejected` 0 it is only a warning (stored, but not all as
    sent)."""

    rejected: int
    message: str


class Unavailable(Exception):
    """Retryable: queue full, store down or slow. gRPC UNAVAILABLE / HTTP 503."""


class Invalid(Exception):
    """Permanent: the data can never be stored as sent. gRPC INVALID_ARGUMENT / HTTP 400."""


class Ingest:
    def __init__(
        self,
        pipeline: IngestPipeline,
        prices: PriceTable,
        write_timeout_s: float,
        *,
        retention_days: int | None = None,
        redactor: Redactor | None = None,
        metrics: Metrics | None = None,
        metric_points: MetricWriter | None = None,
    ):
        self._pipeline = pipeline
        self._prices = prices
        self._timeout = write_timeout_s
        self._retention_days = retention_days
        self._redactor = redactor  # None: stored as sent
        self._metrics = metrics  # counts what is not stored, by reason
        self._metric_points = metric_points  # None: metric exports are refused as unavailable
        # Metric points skip the span queue (one insert in the calling thread), so their own
        # bound keeps a burst of metric exports from piling decoded requests up in memory.
        self._metric_slots = threading.BoundedSemaphore(METRIC_WRITES)

    def spans(
        self, raw: list[RawSpan], project_id: str, rejected: int, message: str, warning: str = ""
    ) -> Accepted:
        self._rejected("spans", "invalid", rejected)
        records: list[SpanRecord] = []
        oldest = self._oldest_kept_ns()
        for span in raw:
            if span.start_time_unix_nano and span.start_time_unix_nano < oldest:
                # Stored, it would expire at once (TTL): refuse it rather than drop it silently.
                rejected += 1
                self._rejected("spans", "expired", 1)
                message = message or (
                    f"span {span.span_id} starts before the {self._retention_days}-day "
                    "retention window and would expire at once"
                )
                continue
            try:
                records.append(self._map_span(span, project_id))
            except Exception:
                log.exception("could not map span %s/%s", span.trace_id, span.span_id)
                rejected += 1
                self._rejected("spans", "unmappable", 1)
                message = message or f"span {span.span_id}: could not be mapped"
        self._store("spans", records, [])
        return Accepted(rejected, _joined(message, warning))

    def logs(
        self, raw: list[RawLog], project_id: str, rejected: int, message: str, warning: str = ""
    ) -> Accepted:
        self._rejected("logs", "invalid", rejected)
        records: list[LogRecord] = []
        for item in raw:
            try:
                records.append(self._map_log(item, project_id))
            except Exception:
                log.exception("could not map log record of span %s", item.span_id)
                rejected += 1
                self._rejected("logs", "unmappable", 1)
                message = message or "a log record could not be mapped"
        self._store("logs", [], records)
        return Accepted(rejected, _joined(message, warning))

    def metrics(
        self,
        points: list[MetricPoint],
        project_id: str,
        rejected: int,
        message: str,
        warning: str = "",
    ) -> Accepted:
        """Store metric points (redacted, one insert, in the calling thread: metric exports are
        few), acknowledged once stored; points older than the retention are refused. At most
        `METRIC_WRITES` exports are stored at once: others are refused as overloaded."""
        if self._metric_points is None:
            raise Unavailable("this runlens process does not store metrics")
        if not self._metric_slots.acquire(blocking=False):
            self._rejected("metrics", "overloaded", len(points))
            raise Unavailable(
                f"{METRIC_WRITES} metric exports are being stored already; retry later"
            )
        try:
            rejected, message = self._store_metrics(
                self._metric_points, points, project_id, rejected, message
            )
        finally:
            self._metric_slots.release()
        return Accepted(rejected, _joined(message, warning))

    def _store_metrics(
        self,
        store: MetricWriter,
        points: list[MetricPoint],
        project_id: str,
        rejected: int,
        message: str,
    ) -> tuple[int, str]:
        oldest = self._oldest_kept_ns()
        kept = [p for p in points if not p.time_unix_nano or p.time_unix_nano >= oldest]
        if len(kept) < len(points):
            rejected += len(points) - len(kept)
            message = _joined(
                message,
                f"{len(points) - len(kept)} point(s) before the {self._retention_days}-day "
                "retention window would expire at once",
            )
        if self._redactor is not None:
            kept = [self._redactor.metric(point) for point in kept]
        try:
            store.write_metrics(project_id, kept)
        except PermanentStorageError as exc:
            raise Invalid(f"the store rejected the data: {exc}") from exc
        except StorageError as exc:
            raise Unavailable(f"the store is unavailable: {exc}; retry later") from exc
        return rejected, message

    def _map_span(self, raw: RawSpan, project_id: str) -> SpanRecord:
        def mapped(span: RawSpan) -> SpanRecord:
            return map_span(span, project_id=project_id, prices=self._prices)

        return mapped(raw) if self._redactor is None else self._redactor.span(raw, mapped)

    def _map_log(self, raw: RawLog, project_id: str) -> LogRecord:
        def mapped(item: RawLog) -> LogRecord:
            return map_log(item, project_id=project_id)

        return mapped(raw) if self._redactor is None else self._redactor.log(raw, mapped)

    def _oldest_kept_ns(self) -> int:
        if self._retention_days is None:
            return 0
        return time.time_ns() - self._retention_days * 86_400 * 1_000_000_000

    def _rejected(self, signal: str, reason: str, count: int) -> None:
        if self._metrics is not None:
            self._metrics.rejected(signal, reason, count)

    def _store(self, signal: str, spans: list[SpanRecord], logs: list[LogRecord]) -> None:
        """Submit and wait; what is not stored is counted by reason."""
        try:
            self._wait(self._submit(spans, logs))
        except Unavailable as exc:
            cause = exc.__cause__
            reason = (
                "overloaded"
                if isinstance(cause, QueueFull)
                else "timeout"
                if isinstance(cause, FutureTimeout)
                else "store_unavailable"
            )
            self._rejected(signal, reason, len(spans) + len(logs))
            raise
        except Invalid:
            self._rejected(signal, "store_refused", len(spans) + len(logs))
            raise

    def _submit(self, spans: list[SpanRecord], logs: list[LogRecord]) -> Future[WriteResult]:
        try:
            return self._pipeline.submit(spans, logs)
        except QueueFull as exc:
            raise Unavailable(f"{exc}; retry later") from exc

    def _wait(self, future: Future[WriteResult]) -> None:
        try:
            future.result(self._timeout)
        except FutureTimeout as exc:
            # Not acknowledged: the client retries; a retried span collapses with this one.
            raise Unavailable(
                f"storing took longer than {self._timeout:.0f} s; retry later"
            ) from exc
        except PermanentStorageError as exc:
            raise Invalid(f"the store rejected the data: {exc}") from exc
        except Exception as exc:
            raise Unavailable(f"the store is unavailable: {exc}; retry later") from exc


def _joined(message: str, warning: str) -> str:
    return "; ".join(part for part in (message, warning) if part)
