"""What the demo's foreground runs and its live run share: the OTLP/gRPC exporters, checked
(a `BatchSpanProcessor` hides whether runlens accepted a batch), seeded ids, the resource."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import IdGenerator

from runlens import __version__

RESOURCE = Resource.create({"service.name": "runlens-demo", "service.version": __version__})


class CheckedExporter(SpanExporter):
    """Pass spans on and count what the receiver accepted, which a `BatchSpanProcessor` hides."""

    def __init__(self, exporter: SpanExporter) -> None:
        self._exporter = exporter
        self._lock = threading.Lock()
        self.sent = 0
        self.failed = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result = self._exporter.export(spans)
        with self._lock:
            if result == SpanExportResult.SUCCESS:
                self.sent += len(spans)
            else:
                self.failed += len(spans)
        return result

    def shutdown(self) -> None:
        self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._exporter.force_flush(timeout_millis)


class SeededIds(IdGenerator):
    """Trace and span ids from a seeded generator, so a seed reproduces the same run ids."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._lock = threading.Lock()

    def generate_span_id(self) -> int:
        with self._lock:
            return self._rng.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        with self._lock:
            return self._rng.getrandbits(128) or 1


def unreachable(where: str, timeout_s: float) -> str:
    return (
        f"runlens demo: no runlens answered on {where} within {timeout_s:g} s. Start one with "
        "`runlens serve` (OTLP/gRPC listens on 127.0.0.1:4317) or pass --endpoint."
    )


@contextmanager
def quiet_exporter_log() -> Iterator[None]:
    """The exporters log each retry; the demo reports failures itself, once."""
    logger = logging.getLogger("opentelemetry.exporter.otlp.proto.grpc.exporter")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)
