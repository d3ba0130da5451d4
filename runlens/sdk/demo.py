"""`runlens demo`: send realistic agent runs to a running runlens through the OpenTelemetry SDK.

The runs go out as any instrumented agent's would: a `TracerProvider` with a `BatchSpanProcessor`
and the OTLP/gRPC exporter, spans in the OTel GenAI conventions. Past runs are placed over the
last hours with realistic durations; the last run is played live for a few seconds and is made
visible at once by a start marker (its root span exported early with `runlens.span.state`).
"""

from __future__ import annotations

import logging
import random
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO
from urllib.parse import urlparse

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import IdGenerator

from runlens import __version__
from runlens.sdk.demo_scenarios import plan_runs
from runlens.sdk.demo_trace import RunTrace, SimulatedClock, WallClock
from runlens.sdk.markers import start_marker

_LIVE_SCALE = 0.8  # a live run lasts ~80% of its simulated duration: a few seconds
_MINUTE_NS = 60 * 1_000_000_000


def run_demo(
    endpoint: str,
    runs: int,
    *,
    seed: int | None = None,
    timeout_s: float = 5.0,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Send `runs` agent runs to the OTLP/gRPC `endpoint`; 0 when all were accepted, else 1."""
    out, err = out or sys.stdout, err or sys.stderr
    if runs < 1:
        print("runlens demo: --runs must be at least 1", file=err)
        return 1
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    rng = random.Random(seed)
    scripts = plan_runs(rng, runs)
    exporter = OTLPSpanExporter(endpoint=endpoint, insecure=True, timeout=timeout_s)
    checked = _CheckedExporter(exporter)
    provider = TracerProvider(
        resource=Resource.create({"service.name": "runlens-demo", "service.version": __version__}),
        id_generator=_SeededIds(random.Random(f"{seed}:ids")),
    )
    provider.add_span_processor(
        BatchSpanProcessor(
            checked, schedule_delay_millis=250, export_timeout_millis=timeout_s * 1e3
        )
    )
    tracer = provider.get_tracer("runlens.sdk.demo", __version__)
    progress = _Progress(err, len(scripts))
    where = urlparse(endpoint).netloc or endpoint
    with _quiet_exporter_log():
        # The live run starts first: its start marker doubles as the check that runlens listens.
        live = RunTrace(tracer, scripts[-1], WallClock(_LIVE_SCALE), rng, progress.span)
        if exporter.export([start_marker(live.readable_root())]) != SpanExportResult.SUCCESS:
            provider.shutdown()
            print(_unreachable(where, timeout_s), file=err)
            return 1
        # Past runs start every ~6 minutes, each within 3 minutes of its slot, ending before now.
        first = time.time_ns() - (len(scripts) * 6 + 10) * _MINUTE_NS
        for number, script in enumerate(scripts[:-1]):
            start = first + int((number * 6 + rng.uniform(0, 3)) * _MINUTE_NS)
            RunTrace(tracer, script, SimulatedClock(start), rng, progress.span).play()
            progress.run()
        progress.note(f"live run {live.run_id} is running")
        live.play()
        progress.run()
        provider.force_flush(int(timeout_s * 4e3))
        provider.shutdown()
    progress.done()
    if checked.failed:
        print(
            f"runlens demo: {checked.failed} of {checked.failed + checked.sent} spans were not "
            f"accepted by {where}.\n{_unreachable(where, timeout_s)}",
            file=err,
        )
        return 1
    failed = sum(script.fails for script in scripts)
    print(
        f"sent {len(scripts)} agent runs ({checked.sent} spans) to {where}, seed {seed}: "
        f"{len(scripts) - failed} completed, {failed} failed. "
        f"Look at them at http://{urlparse(endpoint).hostname or '127.0.0.1'}:8000/runs "
        "(the API port of `runlens serve`; GraphiQL at /graphql) or in SQL: "
        "SELECT * FROM runlens.run_summaries FINAL",
        file=out,
    )
    return 0


class _CheckedExporter(SpanExporter):
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


class _SeededIds(IdGenerator):
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


class _Progress:
    """A one-line progress bar on a terminal; silent when the stream is not one."""

    def __init__(self, stream: TextIO, runs: int) -> None:
        self._stream, self._runs = stream, runs
        self._done = self._spans = 0
        self._note = ""
        self._tty = stream.isatty()

    def span(self) -> None:
        self._spans += 1
        self._draw()

    def run(self) -> None:
        self._done += 1
        self._draw()

    def note(self, text: str) -> None:
        self._note = text
        self._draw()

    def done(self) -> None:
        if self._tty:
            self._stream.write("\n")
            self._stream.flush()

    def _draw(self) -> None:
        if not self._tty:
            return
        filled = round(24 * self._done / self._runs)
        bar = "#" * filled + "-" * (24 - filled)
        note = f"  {self._note}" if self._note and self._done < self._runs else ""
        line = f"\rsending [{bar}] {self._done}/{self._runs} runs, {self._spans} spans{note}"
        self._stream.write(line.ljust(100))
        self._stream.flush()


def _unreachable(where: str, timeout_s: float) -> str:
    return (
        f"runlens demo: no runlens answered on {where} within {timeout_s:g} s. Start one with "
        "`runlens serve` (OTLP/gRPC listens on 127.0.0.1:4317) or pass --endpoint."
    )


@contextmanager
def _quiet_exporter_log() -> Iterator[None]:
    """The exporter logs each retry; the demo reports failures itself, once."""
    logger = logging.getLogger("opentelemetry.exporter.otlp.proto.grpc.exporter")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)
