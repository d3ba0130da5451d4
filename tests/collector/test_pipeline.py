"""Group commit, acknowledgement after storage, and backpressure, over the real store."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future

import httpx
import pytest

from runlens.auth.authenticator import Authenticator
from runlens.bus import LiveBus
from runlens.collector.ingest import Ingest, Unavailable
from runlens.collector.pipeline import WRITERS, IngestPipeline, QueueFull
from runlens.collector.receiver.decode import DecodeLimits
from runlens.collector.receiver.http_app import build_otlp_http_app
from runlens.semconv.pricing import PriceTable
from runlens.semconv.records import RawSpan, SpanKind, SpanRecord, SpanStatus
from runlens.serve import HttpServers, listen
from runlens.storage.clickhouse.store import ClickHouseStore
from runlens.storage.contract import (
    EncodedBatch,
    IngestWriter,
    RetryableStorageError,
    RunKey,
    Store,
    WriteResult,
)
from runlens.storage.memory import MemoryStore
from runlens.storage.wrapped import WrappedWriter
from tests.eventually import eventually


class GatedWriter(WrappedWriter):
    """The real store behind a gate: writes wait until the test opens it (a slow store)."""

    def __init__(self, store: IngestWriter) -> None:
        super().__init__(store)
        self.gate = threading.Event()
        self.batches: list[int] = []
        self.refreshes: list[int] = []  # runs per summary refresh
        self.written: set[RunKey] = set()

    def write_encoded(self, batches: Sequence[EncodedBatch], seq: int | None = None) -> WriteResult:
        self.gate.wait(30)
        self.batches.append(sum(batch.spans for batch in batches))
        result = self.inner.write_encoded(batches, seq)
        self.written.update(result.runs)
        return result

    def refresh_runs(
        self, runs: Iterable[RunKey], upto_seq: int | None = None
    ) -> frozenset[RunKey]:
        runs = list(runs)
        self.refreshes.append(len(runs))
        return self.inner.refresh_runs(runs, upto_seq)

    def stale_runs(self, slack_us: int) -> list[RunKey]:
        """Among the runs of this writer: the session's store holds other tests' runs."""
        return [run for run in self.inner.stale_runs(slack_us) if run in self.written]


def spans(project_id: str, count: int) -> list[SpanRecord]:
    run_id = uuid.uuid4().hex
    return [
        SpanRecord(
            project_id=project_id,
            run_id=run_id,
            trace_id=run_id,
            span_id=uuid.uuid4().hex[:16],
            parent_span_id="",
            kind=SpanKind.OTHER,
            name="step",
            status=SpanStatus.OK,
            start_time_unix_nano=1_795_383_109_000_000_000 + i,
            end_time_unix_nano=1_795_383_109_000_000_000 + i + 1000,
        )
        for i in range(count)
    ]


def raw_span() -> RawSpan:
    return RawSpan(
        trace_id="ab" * 16,
        span_id="cd" * 8,
        parent_span_id="",
        name="x",
        kind=1,
        start_time_unix_nano=1,
        end_time_unix_nano=2,
        status_code=0,
        status_message="",
        attributes={},
    )


def occupy_writers(pipeline: IngestPipeline, project_id: str) -> list[Future[WriteResult]]:
    """One single-span export per writer thread, each taken (and blocked on the gate)."""
    taken = []
    for _ in range(WRITERS):
        taken.append(pipeline.submit(spans(project_id, 1), []))
        wait_until_taken(pipeline)
    return taken


def wait_until_taken(pipeline: IngestPipeline) -> None:
    """Until the writer holds everything submitted so far (and is blocked on the gate)."""
    for _ in range(3000):
        if not pipeline.queued:
            return
        threading.Event().wait(0.01)
    raise AssertionError("the writer never took the batch")


@pytest.fixture
def gated(store: ClickHouseStore) -> Iterator[tuple[GatedWriter, IngestPipeline]]:
    writer = GatedWriter(store)
    pipeline = IngestPipeline(
        writer, max_queued=10, max_batch=100, run_timeout_s=3600, sweep_interval_s=3600
    )
    pipeline.start()
    yield writer, pipeline
    writer.gate.set()
    pipeline.stop()


def test_exports_are_acknowledged_only_after_the_write(
    gated: tuple[GatedWriter, IngestPipeline], project_id: str
) -> None:
    writer, pipeline = gated
    future = pipeline.submit(spans(project_id, 3), [])
    assert not future.done()
    writer.gate.set()
    assert future.result(30).spans_written == 3


def test_concurrent_exports_share_one_insert(
    gated: tuple[GatedWriter, IngestPipeline], project_id: str
) -> None:
    writer, pipeline = gated
    first = occupy_writers(pipeline, project_id)  # every writer holds one, blocked on the gate
    waiting = [pipeline.submit(spans(project_id, 2), []) for _ in range(4)]
    writer.gate.set()
    for future in [*first, *waiting]:
        future.result(30)
    assert sorted(writer.batches) == [1] * WRITERS + [8]


def test_a_full_queue_refuses_at_once_and_recovers(
    gated: tuple[GatedWriter, IngestPipeline], project_id: str
) -> None:
    writer, pipeline = gated
    occupy_writers(pipeline, project_id)
    queued = [pipeline.submit(spans(project_id, 5), []) for _ in range(2)]
    with pytest.raises(QueueFull):
        pipeline.submit(spans(project_id, 1), [])
    writer.gate.set()
    for future in queued:
        future.result(30)
    assert pipeline.submit(spans(project_id, 1), []).result(30).spans_written == 1


def test_http_export_gets_503_with_retry_after_when_the_queue_is_full(
    gated: tuple[GatedWriter, IngestPipeline], project_id: str
) -> None:
    _writer, pipeline = gated
    ingest = Ingest(pipeline, PriceTable.load(None), write_timeout_s=30)
    occupy_writers(pipeline, project_id)
    pipeline.submit(spans(project_id, 10), [])  # the queue is now at its bound
    with pytest.raises(Unavailable):
        ingest.spans([raw_span()], project_id, 0, "")
    app = build_otlp_http_app(
        ingest,
        auth=Authenticator.disabled(project_id),
        limits=DecodeLimits(),
        max_request_bytes=1 << 20,
    )
    body = (
        b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"'
        + b"ab" * 16
        + b'","spanId":"'
        + b"cd" * 8
        + b'","name":"x"}]}]}]}'
    )
    sock = listen("127.0.0.1", 0)
    servers = HttpServers([(app, sock)])
    servers.start()
    try:
        response = httpx.post(
            f"http://127.0.0.1:{sock.getsockname()[1]}/v1/traces",
            content=body,
            headers={"content-type": "application/json"},
        )
    finally:
        servers.stop()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert "retry" in response.json()["message"]


def test_summaries_follow_the_acknowledgement(
    gated: tuple[GatedWriter, IngestPipeline], store: ClickHouseStore, project_id: str
) -> None:
    writer, pipeline = gated
    batch = spans(project_id, 3)
    writer.gate.set()
    assert pipeline.submit(batch, []).result(30).runs == (RunKey(project_id, batch[0].run_id),)

    def summarised() -> None:
        summary = store.run_summary(project_id, batch[0].run_id)
        assert summary is not None
        assert summary.span_count == 3

    eventually(summarised)


def test_runs_written_while_data_keeps_coming_are_refreshed_together(
    store: ClickHouseStore, project_id: str
) -> None:
    writer = GatedWriter(store)
    pipeline = IngestPipeline(
        writer,
        max_queued=100,
        max_batch=100,
        run_timeout_s=3600,
        sweep_interval_s=3600,
        refresh_interval_s=3600,
        refresh_gap_s=5,  # the first refresh waits this long after the start: the writes end first
    )
    pipeline.start()
    try:
        first = occupy_writers(pipeline, project_id)
        waiting = [pipeline.submit(spans(project_id, 2), []) for _ in range(4)]
        writer.gate.set()
        for future in [*first, *waiting]:
            future.result(30)
        eventually(lambda: _equal(writer.refreshes, [WRITERS + 4]), timeout=30)
    finally:
        writer.gate.set()
        pipeline.stop()
    assert sorted(writer.batches) == [1] * WRITERS + [8]


class FlakyRefresh(GatedWriter):
    """Summary refreshes fail until `failures` runs out."""

    def __init__(self, store: IngestWriter, failures: int) -> None:
        super().__init__(store)
        self.failures = failures
        self.gate.set()

    def refresh_runs(
        self, runs: Iterable[RunKey], upto_seq: int | None = None
    ) -> frozenset[RunKey]:
        if self.failures:
            self.failures -= 1
            raise RetryableStorageError("the store is busy")
        return super().refresh_runs(runs, upto_seq)


@pytest.mark.parametrize("backend", ["clickhouse", "memory"])
def test_a_failed_refresh_is_retried(store: ClickHouseStore, project_id: str, backend: str) -> None:
    """On any backend: the wrapper changes only the refresh."""
    target: Store = store if backend == "clickhouse" else MemoryStore()
    writer = FlakyRefresh(target, failures=2)
    pipeline = IngestPipeline(
        writer,
        max_queued=100,
        max_batch=100,
        run_timeout_s=3600,
        sweep_interval_s=3600,
        refresh_interval_s=0.05,
    )
    pipeline.start()
    try:
        batch = spans(project_id, 2)
        pipeline.submit(batch, []).result(30)
        eventually(lambda: _is_not_none(target.run_summary(project_id, batch[0].run_id)))
    finally:
        pipeline.stop()
    assert writer.failures == 0


class SlowRefresh(GatedWriter):
    """Summary refreshes wait for their own gate."""

    def __init__(self, store: IngestWriter) -> None:
        super().__init__(store)
        self.gate.set()
        self.refresh_gate = threading.Event()
        self.refreshing = threading.Event()

    def refresh_runs(
        self, runs: Iterable[RunKey], upto_seq: int | None = None
    ) -> frozenset[RunKey]:
        self.refreshing.set()
        self.refresh_gate.wait(30)
        return super().refresh_runs(runs, upto_seq)


def test_writes_do_not_wait_for_a_summary_refresh(store: ClickHouseStore, project_id: str) -> None:
    writer = SlowRefresh(store)
    pipeline = IngestPipeline(
        writer, max_queued=100, max_batch=100, run_timeout_s=3600, sweep_interval_s=3600
    )
    pipeline.start()
    try:
        pipeline.submit(spans(project_id, 1), []).result(30)
        assert writer.refreshing.wait(30)  # a refresh of that run is under way, and stuck
        later = spans(project_id, 2)
        assert pipeline.submit(later, []).result(30).spans_written == 2
        assert store.run_summary(project_id, later[0].run_id) is None
        writer.refresh_gate.set()
        eventually(lambda: _is_not_none(store.run_summary(project_id, later[0].run_id)))
    finally:
        writer.refresh_gate.set()
        pipeline.stop()


class HoldFirst(GatedWriter):
    """The first write waits on the gate; later ones go through."""

    def __init__(self, store: IngestWriter) -> None:
        super().__init__(store)
        self.writes = 0
        self._lock = threading.Lock()

    def write_encoded(self, batches: Sequence[EncodedBatch], seq: int | None = None) -> WriteResult:
        with self._lock:
            self.writes += 1
            first = self.writes == 1
        if first:
            self.gate.wait(30)
        return self.inner.write_encoded(batches, seq)


def test_a_write_is_published_only_once_every_lower_sequence_is_stored(
    store: ClickHouseStore, project_id: str
) -> None:
    writer, bus = HoldFirst(store), LiveBus()
    pipeline = IngestPipeline(
        writer, max_queued=100, max_batch=100, run_timeout_s=3600, sweep_interval_s=3600, bus=bus
    )
    pipeline.start()
    try:
        before = bus.last_seq
        held = pipeline.submit(spans(project_id, 1), [])
        wait_until_taken(pipeline)
        later = pipeline.submit(spans(project_id, 2), []).result(30)  # the other writer's
        assert not held.done()
        assert bus.last_seq == before  # stored, not told: a lower sequence is being written
        writer.gate.set()
        assert held.result(30).seq < later.seq
        eventually(lambda: _equal(bus.last_seq, later.seq))
    finally:
        writer.gate.set()
        pipeline.stop()


def test_stop_refreshes_what_was_written(store: ClickHouseStore, project_id: str) -> None:
    writer = GatedWriter(store)
    writer.gate.set()
    pipeline = IngestPipeline(
        writer, max_queued=100, max_batch=100, run_timeout_s=3600, sweep_interval_s=3600
    )
    pipeline.start()
    batch = spans(project_id, 2)
    future = pipeline.submit(batch, [])
    pipeline.stop()
    assert future.result(0).spans_written == 2
    assert store.run_summary(project_id, batch[0].run_id) is not None


def _equal(actual: object, expected: object) -> None:
    assert actual == expected


def _is_not_none(value: object) -> None:
    assert value is not None
