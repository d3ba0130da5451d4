"""Ingest benchmark: how fast runlens stores agent spans sent over real OTLP/gRPC, against a
receiver that does nothing, on this machine. Run with `python -m bench.ingest` (`make bench`);
`--quick` for a short run, `--help` for the knobs. bench/README.md explains the method.

Every process is spawned (never forked: the runlens server imports chDB), everything talks over
127.0.0.1, and every wait is bounded.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext, SpawnProcess
from multiprocessing.synchronize import Barrier
from pathlib import Path

from bench.null_receiver import null_receiver_main
from bench.report import Report, render
from bench.sender import Round, RoundResult, SenderReady, sender_main
from bench.sequence import run_sequence
from bench.serve_process import ServeProcess, ServerFigures
from bench.store_figures import StoreFigures, inspect_store

_SETUP_TIMEOUT_S = 300.0


@dataclass
class Senders:
    processes: list[SpawnProcess]
    conns: list[Connection]
    barrier: Barrier
    ready: list[SenderReady] = field(default_factory=list)

    def run_round(self, endpoint: str, max_seconds: float) -> tuple[int, int, float]:
        """Send every sender's batches to `endpoint`; (acked, failed, spans per second)."""
        deadline = time.monotonic() + max_seconds
        for conn in self.conns:
            conn.send(Round(endpoint, deadline))
        self.barrier.wait(60)
        started = time.monotonic()
        results: list[RoundResult] = []
        for conn in self.conns:
            if not conn.poll(max_seconds + 120):
                raise RuntimeError("a sender did not report back in time")
            results.append(conn.recv())
        acked = sum(r.acked for r in results)
        elapsed = max(r.finished_at for r in results) - started
        return acked, sum(r.failed for r in results), acked / elapsed

    def close(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(OSError):
                conn.send(None)
        for process in self.processes:
            process.join(10)
            if process.is_alive():
                process.terminate()
                process.join(5)


def start_senders(ctx: SpawnContext, count: int, spans: int, batch: int, seed: int) -> Senders:
    barrier = ctx.Barrier(count + 1)
    senders = Senders([], [], barrier)
    for index in range(count):
        share = spans // count + (1 if index < spans % count else 0)
        parent, child = ctx.Pipe()
        process = ctx.Process(
            target=sender_main,
            args=(index, seed),
            kwargs={"spans": share, "batch_size": batch, "conn": child, "start": barrier},
            daemon=True,
        )
        process.start()
        senders.processes.append(process)
        senders.conns.append(parent)
    for conn in senders.conns:
        if not conn.poll(_SETUP_TIMEOUT_S):
            senders.close()
            raise RuntimeError("a sender did not finish building its workload in time")
        senders.ready.append(conn.recv())
    return senders


def null_round(ctx: SpawnContext, senders: Senders, max_seconds: float) -> tuple[int, float]:
    parent, child = ctx.Pipe()
    receiver = ctx.Process(target=null_receiver_main, args=(child,), daemon=True)
    receiver.start()
    try:
        if not parent.poll(60):
            raise RuntimeError("the do-nothing receiver did not start")
        port = parent.recv()
        acked, _, rate = senders.run_round(f"127.0.0.1:{port}", max_seconds)
        parent.send("stop")
        parsed = parent.recv() if parent.poll(30) else -1
        if parsed != acked:
            print(f"  warning: do-nothing receiver parsed {parsed}, senders saw {acked} acked")
        return acked, rate
    finally:
        receiver.join(15)
        if receiver.is_alive():
            receiver.terminate()


def runlens_round(
    ctx: SpawnContext,
    senders: Senders,
    *,
    max_seconds: float,
    work_dir: Path,
    number: int,
    last: bool,
    profile: Path | None,
) -> tuple[int, float, ServerFigures, StoreFigures]:
    data_dir = work_dir / f"runlens-{number}"
    server = ServeProcess(data_dir, profile=profile if last else None)
    endpoints = server.start()
    try:
        acked, failed, rate = senders.run_round(
            f"{endpoints.host}:{endpoints.grpc_port}", max_seconds
        )
    finally:
        code = server.stop(120)
        figures = server.figures()
    if code != 0:
        tail = "\n".join(server.log[-20:])
        raise RuntimeError(f"runlens exited with {code}:\n{tail}")
    if failed:
        print(f"  {failed} spans were not acknowledged (deadline or errors)")
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        stored = pool.submit(inspect_store, str(data_dir), last).result(timeout=900)
    return acked, rate, figures, stored


def cpu_busy(seconds: float) -> float:
    """Share of all CPUs busy over `seconds` (from /proc/stat): other work skews the figures."""

    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields) - idle, sum(fields)

    busy0, total0 = sample()
    time.sleep(seconds)
    busy1, total1 = sample()
    return (busy1 - busy0) / max(1, total1 - total0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument(
        "--spans", type=int, help="spans per round (default 200,000; 50,000 with --sequence)"
    )
    parser.add_argument("--quick", action="store_true", help="20k spans, one round each")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per receiver")
    parser.add_argument("--senders", type=int, default=4, help="sender processes")
    parser.add_argument("--batch", type=int, default=512, help="spans per export() call")
    parser.add_argument("--max-seconds", type=float, default=300, help="cap per round")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", type=Path, help="py-spy raw profile of the last runlens round")
    parser.add_argument("--keep", action="store_true", help="keep the runlens data directories")
    parser.add_argument(
        "--sequence",
        action="store_true",
        help="the shared yardstick's sequence instead (bench/sequence.py): do-nothing, runlens, "
        "do-nothing, dual and GenAI-only workloads, pre-serialised requests",
    )
    parser.add_argument("--in-flight", type=int, default=8, help="requests in flight (sequence)")
    args = parser.parse_args(argv)
    if args.sequence:
        spans = 20_000 if args.quick else args.spans or 50_000
        met = run_sequence(spans, args.batch, args.in_flight, args.seed, args.max_seconds)
        return 0 if met else 1
    spans, rounds = (20_000, 1) if args.quick else (args.spans or 200_000, args.rounds)

    busy = cpu_busy(2.0)
    ctx = mp.get_context("spawn")
    print(f"building {spans:,} agent spans in {args.senders} sender processes…", flush=True)
    senders = start_senders(ctx, args.senders, spans, args.batch, args.seed)
    report = Report(
        spans, args.senders, args.batch, rounds, os.cpu_count() or 0, senders.ready, busy
    )
    work = Path(tempfile.mkdtemp(prefix="runlens-bench-"))
    try:
        for number in range(rounds):
            acked, rate = null_round(ctx, senders, args.max_seconds)
            report.null_rates.append(rate)
            print(f"round {number + 1}: do-nothing {rate:,.0f} spans/s ({acked:,})", flush=True)
            acked, rate, server, stored = runlens_round(
                ctx,
                senders,
                max_seconds=args.max_seconds,
                work_dir=work,
                number=number,
                last=number == rounds - 1,
                profile=args.profile,
            )
            report.add_runlens(acked, rate, server, stored)
            print(
                f"round {number + 1}: runlens    {rate:,.0f} spans/s ({acked:,} acked, "
                f"{stored.spans_stored:,} stored), "
                f"peak RSS {server.peak_rss_bytes / 2**20:,.0f} MB",
                flush=True,
            )
    finally:
        senders.close()
        if args.keep:
            print(f"data kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(render(report))
    return 0 if report.consistent else 1


if __name__ == "__main__":
    sys.exit(main())
