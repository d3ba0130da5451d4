"""Live latency benchmark: from a span's start in the agent to its first `runEvents` message on
a WebSocket subscriber. Run with `python -m bench.live` (`--help` for the knobs).

Three processes, as in use: `runlens serve` on a fresh `chdb://` directory (ports 0, 127.0.0.1);
an agent (spawned) using the OpenTelemetry SDK with `BatchSpanProcessor` +
`StartMarkerSpanProcessor`; and, in this process, `--subscribers` WebSocket clients
(`graphql-transport-ws`), each following one run of its own. The agent spreads `--rate`
spans/s over those runs (one open root each, children started and ended at once). Latency =
receive time minus the span's `startedAt` (one clock: the same machine), for the first message
showing each span. All three share the machine's CPUs. Every wait is bounded.

`--rounds N` repeats the measurement, each round on a fresh server and directory, and prints the
median of each figure; the header says how busy the CPUs were just before (other work on the
machine skews the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span
from websockets.asyncio.client import ClientConnection, connect

from bench.ingest import cpu_busy
from bench.serve_process import ServeProcess
from runlens.sdk import StartMarkerSpanProcessor

UPDATE = "type sequence event { spanId startedAt }"
QUERIES = {  # by `--batches`
    False: f"subscription ($runId: ID!) {{ runEvents(runId: $runId) {{ {UPDATE} }} }}",
    True: "subscription ($runId: ID!) { runEventBatches(runId: $runId) { updates { "
    + UPDATE
    + " } } }",
}
WAIT_S = 30.0


class Agent:
    def __init__(self, grpc_port: int, runs: int) -> None:
        target = f"127.0.0.1:{grpc_port}"
        self.markers = StartMarkerSpanProcessor(OTLPSpanExporter(endpoint=target, insecure=True))
        self.provider = TracerProvider(resource=Resource.create({"service.name": "bench-live"}))
        self.provider.add_span_processor(
            BatchSpanProcessor(
                OTLPSpanExporter(endpoint=target, insecure=True), schedule_delay_millis=200
            )
        )
        self.provider.add_span_processor(self.markers)
        self.tracer = self.provider.get_tracer("bench-live")
        self.roots: list[Span] = [self.tracer.start_span(f"agent {n}") for n in range(runs)]
        self.started = 0

    def run_ids(self) -> list[str]:
        return [format(r.get_span_context().trace_id, "032x") for r in self.roots]

    def drive(self, rate: float, seconds: float) -> None:
        """Start (and end) `rate` child spans per second, round robin over the runs."""
        begin = time.monotonic()
        while (elapsed := time.monotonic() - begin) < seconds:
            due = int(elapsed * rate)
            while self.started < due:
                parent = trace.set_span_in_context(self.roots[self.started % len(self.roots)])
                self.tracer.start_span("step", context=parent).end()
                self.started += 1
            time.sleep(0.002)

    def close(self) -> None:
        for root in self.roots:
            root.end()
        self.provider.shutdown()


def agent_main(grpc_port: int, runs: int, rate: float, seconds: float, conn: Connection) -> None:
    """The spawned agent: sends its run ids, drives the load on "go", reports, closes."""
    agent = Agent(grpc_port, runs)
    conn.send(agent.run_ids())
    conn.recv()
    agent.drive(rate, seconds)
    conn.send((agent.started, agent.markers.dropped))
    conn.recv()
    agent.close()
    conn.send(None)


def _receive(conn: Connection, timeout_s: float) -> Any:
    if not conn.poll(timeout_s):
        raise RuntimeError(f"the agent process did not answer within {timeout_s:g} s")
    return conn.recv()


@dataclass
class Samples:
    """Per span shown live: start to client, start to the write's commit sequence (the time in
    µs the write began), and that write to client (ms)."""

    total: list[float] = field(default_factory=list)
    to_write: list[float] = field(default_factory=list)
    from_write: list[float] = field(default_factory=list)


async def subscriber(
    api_url: str,
    run_id: str,
    samples: Samples,
    overflows: list[int],
    done: asyncio.Event,
    *,
    batches: bool,
) -> None:
    url = api_url.replace("http://", "ws://") + "/graphql"
    ws: ClientConnection = await connect(
        url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        open_timeout=WAIT_S,
        max_size=None,
    )
    seen: set[str] = set()
    try:
        await ws.send(json.dumps({"type": "connection_init"}))
        await asyncio.wait_for(ws.recv(), WAIT_S)
        payload = {"query": QUERIES[batches], "variables": {"runId": run_id}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        while not done.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 1.0)
            except TimeoutError:
                continue
            now = time.time()
            message: dict[str, Any] = json.loads(raw)
            if message["type"] != "next":
                return
            data = message["payload"]["data"]
            updates = data["runEventBatches"]["updates"] if batches else [data["runEvents"]]
            for update in updates:
                if update["type"] == "OVERFLOW":
                    overflows.append(1)
                    return
                event = update["event"]
                if event and event["spanId"] not in seen:
                    seen.add(event["spanId"])
                    started = datetime.fromisoformat(event["startedAt"]).timestamp()
                    written = int(update["sequence"]) / 1e6
                    samples.total.append((now - started) * 1000)
                    samples.to_write.append((written - started) * 1000)
                    samples.from_write.append((now - written) * 1000)
    finally:
        await ws.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


@dataclass(frozen=True)
class Figures:
    started: int
    seen: int
    dropped: int
    overflows: int
    p50_ms: float
    p99_ms: float
    server_cores: float  # server CPU seconds per second of load
    to_write_ms: tuple[float, float]  # p50, p99
    from_write_ms: tuple[float, float]


async def measure(args: argparse.Namespace, server: ServeProcess) -> Figures:
    endpoints = server.start()
    ctx = mp.get_context("spawn")  # never fork a process that may hold chDB
    conn, child = ctx.Pipe()
    agent = ctx.Process(
        target=agent_main,
        args=(endpoints.grpc_port, args.subscribers, args.rate, args.seconds, child),
        daemon=True,
    )
    agent.start()
    try:
        run_ids: list[str] = await asyncio.to_thread(_receive, conn, 60)
        samples = Samples()
        overflows: list[int] = []
        done = asyncio.Event()
        tasks = [
            asyncio.create_task(
                subscriber(endpoints.api_url, run, samples, overflows, done, batches=args.batches)
            )
            for run in run_ids
        ]
        await asyncio.sleep(1.0)  # let every client subscribe
        cpu_before = server.figures().cpu_seconds
        conn.send("go")
        started, dropped = await asyncio.to_thread(_receive, conn, args.seconds + WAIT_S)
        server_cpu = server.figures().cpu_seconds - cpu_before
        await asyncio.sleep(args.drain)
        done.set()
        await asyncio.wait_for(asyncio.gather(*tasks), WAIT_S)
        conn.send("close")
        await asyncio.to_thread(_receive, conn, WAIT_S)
    finally:
        agent.join(10)
        if agent.is_alive():
            agent.terminate()
    return Figures(
        started=started,
        seen=len(samples.total),
        dropped=dropped,
        overflows=len(overflows),
        server_cores=server_cpu / args.seconds,
        p50_ms=percentile(samples.total, 0.50),
        p99_ms=percentile(samples.total, 0.99),
        to_write_ms=(percentile(samples.to_write, 0.50), percentile(samples.to_write, 0.99)),
        from_write_ms=(percentile(samples.from_write, 0.50), percentile(samples.from_write, 0.99)),
    )


def one_round(args: argparse.Namespace, profile: Path | None) -> Figures:
    directory = Path(tempfile.mkdtemp(prefix="runlens-bench-live-"))
    server = ServeProcess(directory / "data", profile=profile)
    try:
        return asyncio.run(measure(args, server))
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=20)
    parser.add_argument("--rate", type=float, default=2000, help="spans started per second")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--drain", type=float, default=3, help="seconds to wait after the load")
    parser.add_argument("--rounds", type=int, default=1, help="measurements (medians shown)")
    parser.add_argument(
        "--batches",
        action="store_true",
        help="subscribe with runEventBatches (one message per read) instead of runEvents",
    )
    parser.add_argument(
        "--profile", type=Path, help="py-spy the server in the last round (collapsed stacks)"
    )
    args = parser.parse_args()
    busy = cpu_busy(2.0)
    print(
        f"{args.subscribers} subscribers (one run each, "
        f"{'runEventBatches' if args.batches else 'runEvents'}), {args.rate:g} spans/s for "
        f"{args.seconds:g} s, {args.rounds} round(s); CPUs busy before start: {busy:.0%}"
    )
    rounds: list[Figures] = []
    for n in range(1, args.rounds + 1):
        f = one_round(args, args.profile if n == args.rounds else None)
        rounds.append(f)
        print(
            f"round {n}: started {f.started}, seen live {f.seen}, markers dropped {f.dropped}, "
            f"overflows {f.overflows}, server {f.server_cores:.2f} cores, "
            f"p50 {f.p50_ms:.1f} ms, p99 {f.p99_ms:.1f} ms "
            f"(start to write {f.to_write_ms[0]:.0f}/{f.to_write_ms[1]:.0f}, "
            f"write to client {f.from_write_ms[0]:.0f}/{f.from_write_ms[1]:.0f})",
            flush=True,
        )

    def median(values: list[float]) -> float:
        return statistics.median(values)

    print(f"spans started      {median([f.started for f in rounds]):.0f} (median)")
    print(f"spans seen live    {median([f.seen for f in rounds]):.0f} (median)")
    print(f"markers dropped    {median([f.dropped for f in rounds]):.0f} (median)")
    print(f"overflows          {median([f.overflows for f in rounds]):.0f} (median)")
    print(f"server CPU         {median([f.server_cores for f in rounds]):.2f} cores (median)")
    print(f"latency p50        {median([f.p50_ms for f in rounds]):.1f} ms (median of rounds)")
    print(f"latency p99        {median([f.p99_ms for f in rounds]):.1f} ms (median of rounds)")
    for label, pick in (("start to write", "to_write_ms"), ("write to client", "from_write_ms")):
        p50 = median([getattr(f, pick)[0] for f in rounds])
        p99 = median([getattr(f, pick)[1] for f in rounds])
        print(f"{label:<18} p50 {p50:.1f} ms, p99 {p99:.1f} ms (median of rounds)")


if __name__ == "__main__":
    main()
