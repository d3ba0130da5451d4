"""`runlens demo`: send realistic agent runs to a running runlens through the OpenTelemetry SDK.

The runs go out as any instrumented agent's would: a `TracerProvider` with a `BatchSpanProcessor`
and the OTLP/gRPC exporter, spans in the OTel GenAI conventions. Finished runs are placed over
the last hours with realistic durations; the last two are a recorded run and a replay of it, so
`compareRuns`, `simulateReplay` and `determinismReport` have something to show. A live run starts
first in a background process (`demo_live`) and keeps working after the command has returned.
"""

from __future__ import annotations

import os
import random
import sys
import time
from typing import TextIO
from urllib.parse import urlparse

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from runlens import __version__
from runlens.sdk.demo_export import (
    RESOURCE,
    CheckedExporter,
    SeededIds,
    quiet_exporter_log,
    unreachable,
)
from runlens.sdk.demo_live import MAX_LIVE_S, start_background
from runlens.sdk.demo_scenarios import plan_runs, recorded_support
from runlens.sdk.demo_trace import RunTrace, SimulatedClock

_MINUTE_NS = 60 * 1_000_000_000


def run_demo(
    endpoint: str,
    runs: int,
    *,
    seed: int | None = None,
    live_s: float = 60.0,
    timeout_s: float = 5.0,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Send `runs` finished agent runs to the OTLP/gRPC `endpoint` (the last two a recorded run
    and its replay) and, unless `live_s` is 0, leave a run working for `live_s` seconds in the
    background; 0 when all were accepted, else 1."""
    out, err = out or sys.stdout, err or sys.stderr
    if runs < 2:
        print("runlens demo: --runs must be at least 2 (a recorded run and its replay)", file=err)
        return 2
    if not 0 <= live_s <= MAX_LIVE_S:
        print(f"runlens demo: --background takes 0 to {MAX_LIVE_S:g} seconds", file=err)
        return 2
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    where = urlparse(endpoint).netloc or endpoint
    live = start_background(endpoint, live_s, seed, timeout_s) if live_s > 0 else None
    if live_s > 0 and live is None:
        print(unreachable(where, timeout_s), file=err)
        return 1
    rng = random.Random(seed)
    scripts = plan_runs(rng, runs - 2)
    exporter = CheckedExporter(
        OTLPSpanExporter(endpoint=endpoint, insecure=True, timeout=timeout_s)
    )
    provider = TracerProvider(
        resource=RESOURCE, id_generator=SeededIds(random.Random(f"{seed}:ids"))
    )
    provider.add_span_processor(
        BatchSpanProcessor(
            exporter, schedule_delay_millis=250, export_timeout_millis=timeout_s * 1e3
        )
    )
    tracer = provider.get_tracer("runlens.sdk.demo", __version__)
    progress = _Progress(err, runs)
    now = time.time_ns()
    with quiet_exporter_log():
        # Runs start every ~6 minutes, each within 3 minutes of its slot, ending before now.
        first = now - (len(scripts) * 6 + 20) * _MINUTE_NS
        for number, script in enumerate(scripts):
            start = first + int((number * 6 + rng.uniform(0, 3)) * _MINUTE_NS)
            RunTrace(tracer, script, SimulatedClock(start), rng, progress.span).play()
            progress.run()
        original, replay = recorded_support(rng)
        state = rng.getstate()  # the replay draws what the recording drew: same calls, same ids
        recorded = RunTrace(
            tracer, original, SimulatedClock(now - 12 * _MINUTE_NS), rng, progress.span
        )
        recorded.play()
        progress.run()
        again = random.Random()
        again.setstate(state)
        replayed = RunTrace(
            tracer, replay, SimulatedClock(now - 6 * _MINUTE_NS), again, progress.span,
            replay_of=recorded.run_id,
        )  # fmt: skip
        replayed.play()
        progress.run()
        provider.force_flush(int(timeout_s * 4e3))
        provider.shutdown()
    progress.done()
    if exporter.failed:
        print(
            f"runlens demo: {exporter.failed} of {exporter.failed + exporter.sent} spans were not "
            f"accepted by {where}.\n{unreachable(where, timeout_s)}",
            file=err,
        )
        return 1
    failed = sum(script.fails for script in scripts)
    host = urlparse(endpoint).hostname or "127.0.0.1"
    ui = os.environ.get("RUNLENS_API_URL") or f"http://{host}:8000"
    lines = [
        f"sent {runs} agent runs ({exporter.sent} spans) to {where}, seed {seed}: "
        f"{runs - failed} completed, {failed} failed.",
        f"recorded run {recorded.run_id} and its replay {replayed.run_id}: compare them "
        "(compareRuns) and read the determinism report of the recorded run.",
    ]
    if live is not None:
        lines.append(
            f"live run {live[0]} keeps working for {live_s:g} s in the background (process "
            f"{live[1]}): watch it at {ui}/runs/{live[0]}/live"
        )
    lines.append(f"Open {ui}/runs (the API port of `runlens serve`); GraphiQL is at {ui}/graphql.")
    print("\n".join(lines), file=out)
    return 0


class _Progress:
    """A one-line progress bar on a terminal; silent when the stream is not one."""

    def __init__(self, stream: TextIO, runs: int) -> None:
        self._stream, self._runs = stream, runs
        self._done = self._spans = 0
        self._tty = stream.isatty()

    def span(self, name: str) -> None:
        self._spans += 1
        self._draw()

    def run(self) -> None:
        self._done += 1
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
        line = f"\rsending [{bar}] {self._done}/{self._runs} runs, {self._spans} spans"
        self._stream.write(line.ljust(80))
        self._stream.flush()
