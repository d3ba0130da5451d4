"""`StartMarkerSpanProcessor` with the real OpenTelemetry SDK: markers leave at span start,
from a background thread, through a bounded queue."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from runlens.sdk import StartMarkerSpanProcessor
from runlens.sdk.markers import SPAN_STATE, STARTED


class GatedExporter(SpanExporter):
    """Keeps spans in memory; each export waits until the gate opens."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.memory = InMemorySpanExporter()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.entered.set()
        assert self.gate.wait(30)
        return self.memory.export(spans)

    def shutdown(self) -> None:
        self.memory.shutdown()


def test_a_marker_is_exported_when_the_span_starts() -> None:
    exporter = GatedExporter()
    exporter.gate.set()
    processor = StartMarkerSpanProcessor(exporter)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    span = provider.get_tracer("t").start_span("work", attributes={"a": 1})
    assert processor.force_flush(30_000)
    [marker] = exporter.memory.get_finished_spans()
    assert marker.context.span_id == span.get_span_context().span_id
    assert marker.attributes == {"a": 1, SPAN_STATE: STARTED}
    assert marker.end_time == marker.start_time
    span.end()
    provider.shutdown()
    assert len(exporter.memory.get_finished_spans()) == 1  # ended spans are not its business


def test_a_stuck_exporter_never_blocks_the_agent_and_drops_are_counted() -> None:
    exporter = GatedExporter()
    processor = StartMarkerSpanProcessor(exporter, max_queued=4, max_batch=2)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("t")
    tracer.start_span("first").end()
    assert exporter.entered.wait(30)  # the exporter now holds "first" and does not return
    for n in range(10):
        tracer.start_span(f"span {n}").end()  # returns at once: the marker is queued or dropped
    assert processor.dropped == 6
    assert not processor.force_flush(50)
    exporter.gate.set()
    assert processor.force_flush(30_000)
    names = [s.name for s in exporter.memory.get_finished_spans()]
    assert names == ["first", "span 0", "span 1", "span 2", "span 3"]
    provider.shutdown()


class CountingExporter(SpanExporter):
    """Records the size of each export."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.sizes.append(len(spans))
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def test_markers_started_together_leave_in_batches_of_at_most_max_batch() -> None:
    exporter = CountingExporter()
    processor = StartMarkerSpanProcessor(exporter, max_batch=8, linger_s=5.0)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("t")
    for n in range(20):  # a full batch leaves at once, without waiting for the linger
        tracer.start_span(f"step {n}").end()
    assert processor.force_flush(30_000)
    provider.shutdown()
    assert sum(exporter.sizes) == 20
    assert max(exporter.sizes) <= 8
    assert exporter.sizes[:2] == [8, 8]
