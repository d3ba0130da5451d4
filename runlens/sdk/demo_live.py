"""The demo's live run: a coding agent that keeps working for a set time, streaming what its
model answers and what its tools print (`SpanOutput`) while their spans run, every span shown
as running from its start (`StartMarkerSpanProcessor`).

`runlens demo --live SECONDS` plays one in the foreground. `runlens demo` starts one in a
process of its own (`start_background`), so the run is still working when the command returns:
a detached process rather than a thread, because a thread would keep the command from
returning. The process has no terminal (its own session, /dev/null for input and output), says
which run it plays on a pipe once runlens accepted the run's start, and ends with its run; an
alarm ends it a minute later whatever happens (a store that stopped answering, say).
"""

from __future__ import annotations

import math
import os
import random
import select
import signal
import sys
import time
from typing import TextIO

from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Status, StatusCode

from runlens import __version__
from runlens.sdk.demo_export import (
    RESOURCE,
    CheckedExporter,
    SeededIds,
    quiet_exporter_log,
    unreachable,
)
from runlens.sdk.demo_scenarios import CLAUDE_SONNET_4, Reply, Script, ToolCall
from runlens.sdk.demo_trace import RunTrace, SimulatedClock, WallClock
from runlens.sdk.processor import StartMarkerSpanProcessor

MAX_LIVE_S = 3600.0
_GRACE_S = 60  # the background process ends this long after its run should have, at the latest
_MODULES = ("billing/invoice", "billing/tax", "orders/shipping", "auth/tokens", "search/rank")
_TESTS = ("totals", "rounding", "discounts", "currency", "empty", "refunds", "vat", "credit")


def live_script(rng: random.Random, cycles: int) -> Script:
    """Fix the tests of `cycles` modules, one after the other, then report."""
    steps: list[Reply] = []
    fixed = []
    for number in range(cycles):
        module = _MODULES[number % len(_MODULES)] + (
            f"_{number}" if number >= len(_MODULES) else ""
        )
        fixed.append(f"{module}.py")
        steps += _fix(rng, module)
    steps.append(
        Reply(
            f"All green. Fixed in {_listed(fixed)}: total() rounded every line before "
            "summing, which drifts by a cent on long invoices; it now rounds the total, as the "
            "spec says. No other behaviour changed."
        )
    )
    return Script(
        "coding_agent",
        CLAUDE_SONNET_4,
        "You are a coding agent in a Python repository. Run the tests, read before you edit, "
        "keep diffs minimal, and run the tests again after every change.",
        "The nightly build is red after the Decimal refactor. Please make the tests pass.",
        tuple(steps),
        ("run_tests", "read_file", "apply_patch"),
    )


def _listed(names: list[str], most: int = 4) -> str:
    more = f" and {len(names) - most} more modules" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def _fix(rng: random.Random, module: str) -> list[Reply]:
    path, tests = f"{module}.py", f"tests/{module.replace('/', '/test_')}.py"
    names = rng.sample(_TESTS, 6)
    failing = rng.sample(names, rng.randint(1, 2))
    red, green = _pytest(rng, tests, names, failing), _pytest(rng, tests, names, [])
    code = (
        f"def total(lines):\n    return sum(round(l.price * l.qty, 2) for l in lines)  # {path}\n"
    )
    patch = "-    return sum(round(l.price * l.qty, 2) for l in lines)\n"
    patch += "+    return round(sum(l.price * l.qty for l in lines), 2)\n"
    return [
        Reply(
            f"Running the tests of {path} first.",
            (ToolCall("run_tests", {"path": tests}, red[-1], rng.uniform(6, 9), stdout=red),),
        ),
        Reply(
            f"test_{failing[0]} is off by a cent: a rounding problem. Reading {path}.",
            (ToolCall("read_file", {"path": path}, code, 0.3),),
        ),
        Reply(
            "total() rounds each line before summing. Rounding the sum instead.",
            (ToolCall("apply_patch", {"path": path, "diff": patch}, "applied", 0.4),),
        ),
        Reply(
            "Patched. Running the tests again.",
            (ToolCall("run_tests", {"path": tests}, green[-1], rng.uniform(5, 8), stdout=green),),
        ),
    ]


def _pytest(rng: random.Random, path: str, names: list[str], failing: list[str]) -> tuple[str, ...]:
    lines = ["============================= test session starts ==============================\n"]
    lines.append(f"collected {len(names)} items\n\n")
    for number, name in enumerate(names, 1):
        verdict = "FAILED" if name in failing else "PASSED"
        lines.append(
            f"{path}::test_{name} {verdict}".ljust(72) + f"[{number * 100 // len(names):3d}%]\n"
        )
    for name in failing:
        lines.append(
            f"FAILED {path}::test_{name} - AssertionError: Decimal('10.01') != Decimal('10.00')\n"
        )
    summary = f"{len(failing)} failed, " if failing else ""
    summary += f"{len(names) - len(failing)} passed in {rng.uniform(4, 8):.2f}s"
    lines.append(f"{f' {summary} ':=^80}\n")
    return tuple(lines)


def fit(rng: random.Random, seconds: float) -> tuple[Script, float]:
    """A script and the scale of its clock that make it last `seconds`: as many modules as fit
    (measured by playing them on a simulated clock), the waits stretched or shrunk to match."""
    start = rng.getstate()
    per_cycle = _nominal_s(live_script(rng, 1), rng)
    rng.setstate(start)
    script = live_script(rng, max(1, min(200, round(seconds / per_cycle))))
    return script, seconds / _nominal_s(script, rng)


def _nominal_s(script: Script, rng: random.Random) -> float:
    """How long `script` takes at scale 1 when played from `rng`'s state (left unchanged)."""
    probe = random.Random()
    probe.setstate(rng.getstate())
    clock = SimulatedClock(0)
    tracer = TracerProvider(shutdown_on_exit=False).get_tracer("runlens.sdk.demo.fit")
    RunTrace(tracer, script, clock, probe).play()
    return clock.now_ns() / 1e9


class _Exporters:
    """The live run's spans (ended, and start markers) and output, exported as they come."""

    def __init__(self, endpoint: str, seed: int, timeout_s: float) -> None:
        self._timeout_ms = int(timeout_s * 2e3)
        self.spans, self.markers = (
            CheckedExporter(OTLPSpanExporter(endpoint=endpoint, insecure=True, timeout=timeout_s))
            for _ in range(2)
        )
        ids = SeededIds(random.Random(f"{seed}:live"))
        self.traces = TracerProvider(resource=RESOURCE, id_generator=ids)
        self.traces.add_span_processor(BatchSpanProcessor(self.spans, schedule_delay_millis=200))
        self.traces.add_span_processor(StartMarkerSpanProcessor(self.markers))
        self.logs = LoggerProvider(resource=RESOURCE)
        logs = OTLPLogExporter(endpoint=endpoint, insecure=True, timeout=timeout_s)
        self.logs.add_log_record_processor(BatchLogRecordProcessor(logs, schedule_delay_millis=100))

    def start_accepted(self) -> bool:
        """Whether runlens accepted the start markers sent so far."""
        self.traces.force_flush(self._timeout_ms)
        return self.markers.sent > 0

    @property
    def failed(self) -> int:
        return self.spans.failed + self.markers.failed

    def close(self) -> None:
        self.logs.force_flush(self._timeout_ms)
        self.traces.force_flush(self._timeout_ms)
        self.logs.shutdown()
        self.traces.shutdown()


def run_live(
    endpoint: str,
    seconds: float,
    *,
    seed: int | None = None,
    timeout_s: float = 5.0,
    ready_fd: int | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Stream one run for `seconds`; 0 when runlens accepted it all. With `ready_fd`, the run
    id goes there once runlens accepted the run's start, and nothing is printed."""
    out, err = out or sys.stdout, err or sys.stderr
    if not 0 < seconds <= MAX_LIVE_S:
        print(f"runlens demo: --live takes 1 to {MAX_LIVE_S:g} seconds", file=err)
        return 2
    if ready_fd is not None:
        signal.alarm(math.ceil(seconds) + _GRACE_S)  # its default action ends the process
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    rng = random.Random(seed)
    script, scale = fit(rng, seconds)
    started = time.monotonic()

    def progress(name: str) -> None:
        if ready_fd is None:
            print(f"  {time.monotonic() - started:6.1f} s  {name}", file=err, flush=True)

    where = endpoint.rsplit("://", maxsplit=1)[-1]
    exporters = _Exporters(endpoint, seed, timeout_s)
    with quiet_exporter_log():
        live = RunTrace(
            exporters.traces.get_tracer("runlens.sdk.demo", __version__), script,
            WallClock(scale), rng, progress,
            output=exporters.logs.get_logger("runlens.sdk.demo", __version__),
        )  # fmt: skip
        accepted = exporters.start_accepted()
        if ready_fd is not None:
            os.write(ready_fd, f"{live.run_id}\n".encode() if accepted else b"")
            os.close(ready_fd)
        if not accepted:
            exporters.close()
            print(unreachable(where, timeout_s), file=err)
            return 1
        if ready_fd is None:
            print(f"live run {live.run_id} streams for {seconds:g} s (Ctrl+C stops it)", file=err)
        code = 0
        try:
            live.play()
        except KeyboardInterrupt:
            live.root.set_status(Status(StatusCode.ERROR, "KeyboardInterrupt: stopped by the user"))
            live.root.end()
            code = 130
        finally:
            exporters.close()
    if exporters.failed:
        print(f"runlens demo: {exporters.failed} spans were not accepted by {where}", file=err)
        return 1
    if ready_fd is None and code == 0:
        elapsed = time.monotonic() - started
        print(f"live run {live.run_id} completed after {elapsed:.1f} s", file=out)
    return code


def start_background(
    endpoint: str, seconds: float, seed: int, timeout_s: float
) -> tuple[str, int] | None:
    """Start a live run of `seconds` in a process of its own: (run id, process id) once runlens
    accepted its start, None when it did not (the process has ended or is ended)."""
    read_fd, write_fd = os.pipe()
    os.set_inheritable(write_fd, True)
    argv = [
        sys.executable, "-m", "runlens", "demo", "--endpoint", endpoint, "--live", f"{seconds:g}",
        "--seed", str(seed), "--timeout", f"{timeout_s:g}", "--ready-fd", str(write_fd),
    ]  # fmt: skip
    quiet = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ]
    try:
        pid = os.posix_spawn(
            sys.executable, argv, dict(os.environ), file_actions=quiet, setsid=True
        )
    finally:
        os.close(write_fd)
    answer = b""
    deadline = time.monotonic() + timeout_s * 3 + 30  # interpreter start on a busy machine
    try:
        while not answer.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_fd], [], [], left)[0]:
                os.kill(pid, signal.SIGTERM)
                break
            chunk = os.read(read_fd, 256)
            if not chunk:
                break  # it ends without a run: runlens did not answer
            answer += chunk
    finally:
        os.close(read_fd)
    if not answer.endswith(b"\n"):
        os.waitpid(pid, 0)
        return None
    return answer.decode().strip(), pid
