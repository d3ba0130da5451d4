"""The `SpanWriter`, `SummaryWriter` and `MetricWriter` roles of `MemoryStore`."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import cast

from runlens.semconv.metrics import MetricPoint
from runlens.semconv.records import LogRecord, SpanRecord, SpanStatus
from runlens.storage.contract import (
    EncodedBatch,
    PermanentStorageError,
    RunKey,
    RunStatus,
    WriteResult,
    log_key,
)
from runlens.storage.memory.summaries import StoredSummary, closed_as_lost, summarise, termination
from runlens.storage.memory.tables import MemoryTables, RunRecords

_Payload = tuple[tuple[SpanRecord, ...], tuple[LogRecord, ...]]


def _span_numbers(span: SpanRecord) -> dict[str, tuple[int, int]]:
    """The span's unsigned numbers with their width in bits."""
    u = span.usage
    return {
        "input_tokens": (u.input, 64),
        "cached_tokens": (u.cached_input, 64),
        "cache_write_tokens": (u.cache_write, 64),
        "output_tokens": (u.output, 64),
        "reasoning_tokens": (u.reasoning, 64),
        "code_lineno": (span.code_lineno, 32),
    }


def _fits(record: str, numbers: dict[str, tuple[int, int]]) -> None:
    for name, (value, bits) in numbers.items():
        if not 0 <= value < 1 << bits:
            raise PermanentStorageError(
                f"{name} {value} of record {record!r} is not an unsigned {bits}-bit integer"
            )


class MemoryWrites(MemoryTables):
    # -- SpanWriter ----------------------------------------------------------------------------

    def encode(self, spans: Sequence[SpanRecord], logs: Sequence[LogRecord]) -> EncodedBatch:
        """The records as they are, once they fit the ClickHouse store's columns."""
        for span in spans:
            _fits(span.span_id, _span_numbers(span))
        for log in logs:
            _fits(log.span_id, {"severity_number": (log.severity_number, 8), "seq": (log.seq, 64)})
        return EncodedBatch(len(spans), len(logs), (tuple(spans), tuple(logs)))

    def write(self, spans: Sequence[SpanRecord], logs: Sequence[LogRecord]) -> WriteResult:
        return self.write_encoded([self.encode(spans, logs)])

    def next_seq(self) -> int:
        with self._lock:
            self._last_seq = self._stamp()
            return self._last_seq

    def write_encoded(self, batches: Sequence[EncodedBatch], seq: int | None = None) -> WriteResult:
        parts = [cast(_Payload, b.payload) for b in batches]
        touched: dict[RunKey, None] = {}
        for spans, _ in parts:
            touched.update(dict.fromkeys(RunKey(s.project_id, s.run_id) for s in spans))
        for _, logs in parts:
            touched.update(dict.fromkeys(RunKey(g.project_id, g.run_id) for g in logs))
        if not touched:
            return WriteResult(0, 0, ())
        with self._lock:
            self._open()
            seq = self.next_seq() if seq is None else seq
            for spans, logs in parts:
                for span in spans:
                    self._put_span(span, seq)
                for log in logs:
                    run = self._runs.setdefault(RunKey(log.project_id, log.run_id), RunRecords())
                    run.logs[log_key(log)] = (log, seq)
        return WriteResult(
            sum(b.spans for b in batches), sum(b.logs for b in batches), tuple(touched), seq
        )

    def _put_span(self, span: SpanRecord, seq: int) -> None:
        run = self._runs.setdefault(RunKey(span.project_id, span.run_id), RunRecords())
        run.newest_span_seq = max(run.newest_span_seq, seq)
        current = run.spans.get(span.span_id)
        if current is None or (
            span.status is not SpanStatus.RUNNING or current[0].status is SpanStatus.RUNNING
        ):
            run.spans[span.span_id] = (span, seq)

    # -- SummaryWriter -------------------------------------------------------------------------

    def refresh_runs(
        self, runs: Iterable[RunKey], upto_seq: int | None = None
    ) -> frozenset[RunKey]:
        with self._lock:
            self._open()
            spans_seq = self._last_seq if upto_seq is None else upto_seq
            now_ns = time.time_ns()
            created = set()
            for key in dict.fromkeys(runs):
                if key not in self._known:
                    created.add(key)
                    self._known.add(key)
                run = self._runs.get(key)
                if run is None or not run.spans:
                    continue
                commands = self._run_commands(key.project_id, key.run_id)
                summary = summarise(
                    key.project_id, key.run_id, run.ordered_spans(), termination(commands), now_ns
                )
                self._summaries.pop(key, None)
                self._summaries[key] = StoredSummary(summary, spans_seq)
            return frozenset(created)

    def stale_runs(self, slack_us: int) -> list[RunKey]:
        with self._lock:
            self._open()
            covered = max((s.spans_seq for s in self._summaries.values()), default=0)
            since = max(covered - slack_us, 0)
            stale = []
            for key, run in self._runs.items():
                if run.newest_span_seq <= since:
                    continue
                stored = self._summaries.get(key)
                if stored is None or run.newest_span_seq > stored.spans_seq:
                    stale.append(key)
            return sorted(stale, key=lambda k: (k.project_id, k.run_id))

    def close_lost_runs(self, idle_seconds: float, now_unix_nano: int) -> int:
        cutoff_ns = now_unix_nano - int(idle_seconds * 1_000_000_000)
        with self._lock:
            self._open()
            lost = [
                (key, stored)
                for key, stored in self._summaries.items()
                if stored.summary.status is RunStatus.RUNNING
                and stored.summary.last_activity_unix_nano < cutoff_ns
            ]
            for key, stored in lost:
                closed = closed_as_lost(stored.summary, idle_seconds)
                self._summaries[key] = StoredSummary(closed, stored.spans_seq)
            return len(lost)

    # -- MetricWriter --------------------------------------------------------------------------

    def write_metrics(self, project_id: str, points: Sequence[MetricPoint]) -> int:
        with self._lock:
            self._open()
            self._metrics.extend((project_id, point) for point in points)
        return len(points)
