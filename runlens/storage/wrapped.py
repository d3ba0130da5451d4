"""`WrappedWriter`: an `IngestWriter` that hands every call to the writer it wraps.

What changes how a store is written to without being a store (metering, a slow or failing
store in tests and benchmarks) subclasses it and overrides only what it changes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from runlens.semconv.records import LogRecord, SpanRecord
from runlens.storage.contract import EncodedBatch, IngestWriter, RunKey, WriteResult


class WrappedWriter:
    def __init__(self, inner: IngestWriter) -> None:
        self.inner = inner

    def encode(self, spans: Sequence[SpanRecord], logs: Sequence[LogRecord]) -> EncodedBatch:
        return self.inner.encode(spans, logs)

    def write(self, spans: Sequence[SpanRecord], logs: Sequence[LogRecord]) -> WriteResult:
        """Through `write_encoded`, so an override of it sees every write."""
        return self.write_encoded([self.encode(spans, logs)])

    def next_seq(self) -> int:
        return self.inner.next_seq()

    def write_encoded(self, batches: Sequence[EncodedBatch], seq: int | None = None) -> WriteResult:
        return self.inner.write_encoded(batches, seq)

    def refresh_runs(
        self, runs: Iterable[RunKey], upto_seq: int | None = None
    ) -> frozenset[RunKey]:
        return self.inner.refresh_runs(runs, upto_seq)

    def stale_runs(self, slack_us: int) -> list[RunKey]:
        return self.inner.stale_runs(slack_us)

    def close_lost_runs(self, idle_seconds: float, now_unix_nano: int) -> int:
        return self.inner.close_lost_runs(idle_seconds, now_unix_nano)
