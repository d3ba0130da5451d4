"""runlens' own health as Prometheus metrics, served at `GET /metrics` (docs/operations.md).

One `Metrics` per server, with a registry of its own (a process may run several servers, as the
tests do). Counters and histograms are updated where things happen: the store's writes and
summary refreshes through `MeteredWriter`, rejected records in ingest, GraphQL operations in
the API. Gauges are read when scraped: the ingest queue, the live bus, the summary backlog.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from runlens.bus import LiveBus
from runlens.storage.contract import (
    EncodedBatch,
    IngestWriter,
    PermanentStorageError,
    RunKey,
    WriteResult,
)
from runlens.storage.wrapped import WrappedWriter

CONTENT_TYPE = CONTENT_TYPE_LATEST

MAX_OPERATIONS = 100
"""Distinct GraphQL operation names kept as label values; later ones count as `other`
(clients choose the names, and every label value is a time series)."""

_OPERATION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_STORE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_LAG_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300)


class Metrics:
    """The metrics of one runlens server; `exposition()` is the text `GET /metrics` serves."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        self.spans = Counter(
            "runlens_ingest_spans",
            "Spans stored (each delivery of a span counts).",
            registry=registry,
        )
        self.log_records = Counter(
            "runlens_ingest_log_records",
            "Log records and output chunks stored.",
            registry=registry,
        )
        self.rejected_spans = Counter(
            "runlens_ingest_rejected_spans",
            "Spans received and not stored, by reason (see docs/operations.md).",
            ["reason"],
            registry=registry,
        )
        self.rejected_log_records = Counter(
            "runlens_ingest_rejected_log_records",
            "Log records received and not stored, by reason.",
            ["reason"],
            registry=registry,
        )
        self.rejected_metric_points = Counter(
            "runlens_ingest_rejected_metric_points",
            "Metric points received and not stored, by reason.",
            ["reason"],
            registry=registry,
        )
        self.write_seconds = Histogram(
            "runlens_store_write_seconds",
            "Duration of one store write (one insert per table for a group of requests).",
            buckets=_STORE_BUCKETS,
            registry=registry,
        )
        self.write_errors = Counter(
            "runlens_store_write_errors",
            "Store writes that failed, by kind (retryable or permanent).",
            ["kind"],
            registry=registry,
        )
        self.refresh_seconds = Histogram(
            "runlens_summary_refresh_seconds",
            "Duration of one run summary refresh.",
            buckets=_STORE_BUCKETS,
            registry=registry,
        )
        self.refresh_lag = Histogram(
            "runlens_summary_refresh_lag_seconds",
            "At each summary refresh: time since the oldest write it covers was stored.",
            buckets=_LAG_BUCKETS,
            registry=registry,
        )
        self.operation_seconds = Histogram(
            "runlens_graphql_operation_seconds",
            "Duration of GraphQL queries and mutations, by operation type and name.",
            ["type", "operation"],
            buckets=_STORE_BUCKETS,
            registry=registry,
        )
        self._operations: set[str] = set()
        self._lock = threading.Lock()

    def watch(
        self,
        queued: Callable[[], int] | None = None,
        bus: LiveBus | None = None,
        writer: MeteredWriter | None = None,
    ) -> None:
        """Report these at every scrape: the ingest queue length, the live bus, the runs
        waiting for a summary refresh."""
        self.registry.register(_Gauges(queued, bus, writer))

    def rejected(self, signal: str, reason: str, count: int) -> None:
        """`count` spans (`signal` "spans"), log records ("logs") or metric points ("metrics")
        were not stored."""
        if count > 0:
            targets = {"spans": self.rejected_spans, "metrics": self.rejected_metric_points}
            targets.get(signal, self.rejected_log_records).labels(reason=reason).inc(count)

    def operation(self, operation_type: str, name: str | None, seconds: float) -> None:
        label = name if name and _OPERATION_NAME.match(name) else "anonymous"
        with self._lock:
            if label != "anonymous" and label not in self._operations:
                if len(self._operations) >= MAX_OPERATIONS:
                    label = "other"
                else:
                    self._operations.add(label)
        self.operation_seconds.labels(type=operation_type, operation=label).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MeteredWriter(WrappedWriter):
    """An `IngestWriter` that times the writes and summary refreshes of the writer it wraps,
    and counts what they store."""

    def __init__(self, writer: IngestWriter, metrics: Metrics) -> None:
        super().__init__(writer)
        self._metrics = metrics
        self._lock = threading.Lock()
        self._written: dict[RunKey, float] = {}  # run → when a write first left it unrefreshed

    def write_encoded(self, batches: Sequence[EncodedBatch], seq: int | None = None) -> WriteResult:
        return self._timed(lambda: self.inner.write_encoded(batches, seq))

    def refresh_runs(
        self, runs: Iterable[RunKey], upto_seq: int | None = None
    ) -> frozenset[RunKey]:
        keys = list(runs)
        started = time.monotonic()
        created = self.inner.refresh_runs(keys, upto_seq)
        done = time.monotonic()
        self._metrics.refresh_seconds.observe(done - started)
        with self._lock:
            written = [self._written.pop(key) for key in keys if key in self._written]
        if written:
            self._metrics.refresh_lag.observe(done - min(written))
        return created

    def oldest_unrefreshed_s(self) -> float:
        """How long the oldest write whose run summary is not refreshed yet has waited."""
        with self._lock:
            oldest = min(self._written.values(), default=None)
        return 0.0 if oldest is None else time.monotonic() - oldest

    def _timed(self, write: Callable[[], WriteResult]) -> WriteResult:
        started = time.monotonic()
        try:
            result = write()
        except PermanentStorageError:
            self._metrics.write_errors.labels(kind="permanent").inc()
            raise
        except Exception:
            self._metrics.write_errors.labels(kind="retryable").inc()
            raise
        done = time.monotonic()
        self._metrics.write_seconds.observe(done - started)
        self._metrics.spans.inc(result.spans_written)
        self._metrics.log_records.inc(result.logs_written)
        with self._lock:
            for key in result.runs:
                self._written.setdefault(key, done)
        return result


class _Gauges(Collector):
    def __init__(
        self, queued: Callable[[], int] | None, bus: LiveBus | None, writer: MeteredWriter | None
    ) -> None:
        self._queued = queued
        self._bus = bus
        self._writer = writer

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        if self._queued is not None:
            yield GaugeMetricFamily(
                "runlens_ingest_queue_records",
                "Spans and log records accepted and waiting to be stored.",
                value=self._queued(),
            )
        if self._writer is not None:
            yield GaugeMetricFamily(
                "runlens_summary_unrefreshed_seconds",
                "Age of the oldest stored write whose run summary is not refreshed yet "
                "(0 when every summary is up to date).",
                value=self._writer.oldest_unrefreshed_s(),
            )
        if self._bus is not None:
            yield GaugeMetricFamily(
                "runlens_live_subscribers",
                "Live subscribers (GraphQL subscriptions and feeds) in this process.",
                value=self._bus.subscriber_count,
            )
            yield CounterMetricFamily(
                "runlens_live_overflows",
                "Subscribers that fell behind and were told to resume from storage.",
                value=self._bus.overflows,
            )
            yield CounterMetricFamily(
                "runlens_live_dropped_events",
                "Live events not delivered to a subscriber that had fallen behind.",
                value=self._bus.dropped_events,
            )
            if self._bus.followed:
                yield GaugeMetricFamily(
                    "runlens_live_published_behind_seconds",
                    "How far behind the clock this API process has published the writes of "
                    "the ingesting processes (the slowest one's write, plus a report interval).",
                    value=time.time() - self._bus.last_seq / 1e6,
                )
