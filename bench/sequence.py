"""The shared OTLP yardstick's sequence, reproducible from the repository: `python -m bench.ingest
--sequence`. For each workload (dual GenAI + OpenInference, then GenAI only): the do-nothing
receiver (walking every attribute), runlens on a fresh data directory, the do-nothing receiver
again, with the same pre-serialised requests sent the same way (N requests in flight, retried
on back-pressure), and runlens timed until its API shows every acknowledged span.

Figures per runlens round: spans/s visible (acked spans / time from first send to all of them
counted by `projectStats`), its ratio to the mean of the two do-nothing rounds, the server's CPU
(utime + stime from /proc, first send to all visible) per span, its peak RSS (VmHWM), bytes per
span in the active parts of `spans` (after it stopped, before any forced merge), and the lag
from the last acknowledgement to all visible.
"""

from __future__ import annotations

import multiprocessing as mp
import shutil
import statistics
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.context import SpawnContext
from pathlib import Path

import grpc
import httpx
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

from bench.null_receiver import null_receiver_main
from bench.serve_process import ServeProcess
from bench.store_figures import inspect_store
from bench.workload import Workload

_EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
_RETRY = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED)
_STATS = "query { projectStats(window: ALL) { spans } }"

TARGET_CPU_US = {"dual": 450.0, "genai": 300.0}
TARGET_RATIO = 0.17
TARGET_RSS_MIB = 500.0
TARGET_BYTES_PER_SPAN = 800.0
TARGET_LAG_S = 1.0


@dataclass(frozen=True, slots=True)
class Requests:
    name: str  # "dual" or "genai"
    bodies: tuple[tuple[bytes, int], ...]  # serialised ExportTraceServiceRequest, span count

    @property
    def spans(self) -> int:
        return sum(count for _, count in self.bodies)

    @property
    def otlp_bytes(self) -> int:
        return sum(len(body) for body, _ in self.bodies)


def build_requests(name: str, spans: int, batch: int, seed: int) -> Requests:
    an_hour_ago = time.time_ns() - 3600 * 1_000_000_000
    workload = Workload(seed, 0, an_hour_ago, openinference=name == "dual", as_instrumented=True)
    bodies = tuple(
        (encode_spans(spans_of_batch).SerializeToString(), len(spans_of_batch))
        for spans_of_batch in workload.batches(spans, batch)
    )
    return Requests(name, bodies)


@dataclass(frozen=True, slots=True)
class Sent:
    acked: int
    failed: int
    started: float  # time.monotonic()
    last_ack: float


def send_all(endpoint: str, requests: Requests, in_flight: int, max_seconds: float) -> Sent:
    """Every request once, `in_flight` at a time; one refused as unavailable is sent again
    after a short pause (as OTLP exporters do), until `max_seconds` have passed."""
    channel = grpc.insecure_channel(endpoint, options=[("grpc.max_send_message_length", 2**26)])
    export = channel.unary_unary(_EXPORT)  # bytes in, bytes out
    lock = threading.Lock()
    pending = list(reversed(requests.bodies))
    acked = failed = 0
    last_ack = 0.0
    started = time.monotonic()
    deadline = started + max_seconds

    def worker() -> None:
        nonlocal acked, failed, last_ack
        while True:
            with lock:
                if not pending:
                    return
                body, count = pending.pop()
            while True:
                try:
                    export(body, timeout=60)
                except grpc.RpcError as exc:
                    if exc.code() in _RETRY and time.monotonic() < deadline:
                        time.sleep(0.05)
                        continue
                    with lock:
                        failed += count
                    break
                with lock:
                    acked += count
                    last_ack = time.monotonic()
                break

    with ThreadPoolExecutor(in_flight) as pool:
        for future in [pool.submit(worker) for _ in range(in_flight)]:
            future.result()
    channel.close()
    return Sent(acked, failed, started, last_ack)


@dataclass(frozen=True, slots=True)
class NullRound:
    rate: float  # acked spans / seconds from first send to last ack


@dataclass(frozen=True, slots=True)
class RunlensRound:
    visible_rate: float
    visible: bool
    lag_s: float
    cpu_us_per_span: float
    peak_rss_mib: float
    bytes_per_span: float
    stored: int
    acked: int


def null_round(ctx: SpawnContext, requests: Requests, in_flight: int, max_s: float) -> NullRound:
    parent, child = ctx.Pipe()
    receiver = ctx.Process(target=null_receiver_main, args=(child, True), daemon=True)
    receiver.start()
    try:
        if not parent.poll(60):
            raise RuntimeError("the do-nothing receiver did not start")
        port = parent.recv()
        sent = send_all(f"127.0.0.1:{port}", requests, in_flight, max_s)
        parent.send("stop")
        parent.poll(30)
        return NullRound(sent.acked / max(1e-9, sent.last_ack - sent.started))
    finally:
        receiver.join(15)
        if receiver.is_alive():
            receiver.terminate()


def _visible_spans(client: httpx.Client) -> int:
    body = client.post("/graphql", json={"query": _STATS}).json()
    return int(body["data"]["projectStats"]["spans"])


def runlens_round(
    ctx: SpawnContext, requests: Requests, in_flight: int, max_s: float, data_dir: Path
) -> RunlensRound:
    server = ServeProcess(data_dir)
    endpoints = server.start()
    api = httpx.Client(base_url=f"http://{endpoints.host}:{endpoints.api_port}", timeout=30)
    try:
        cpu0 = server.figures().cpu_seconds
        sent_box: list[Sent] = []
        sender = threading.Thread(
            target=lambda: sent_box.append(
                send_all(f"{endpoints.host}:{endpoints.grpc_port}", requests, in_flight, max_s)
            ),
            daemon=True,
        )
        started = time.monotonic()
        sender.start()
        seen, seen_at = 0, 0.0
        deadline = started + max_s + 120
        while time.monotonic() < deadline:
            done = not sender.is_alive()
            target = sent_box[0].acked if done and sent_box else requests.spans
            seen = _visible_spans(api)
            if seen >= target and done:
                seen_at = time.monotonic()
                break
            time.sleep(0.1 if done else 0.5)
        cpu = server.figures().cpu_seconds - cpu0
        sender.join(max_s)
        sent = sent_box[0]
    finally:
        api.close()
        code = server.stop(120)
    figures = server.figures()
    if code != 0:
        raise RuntimeError(f"runlens exited with {code}:\n" + "\n".join(server.log[-20:]))
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        stored = pool.submit(inspect_store, str(data_dir), False).result(timeout=900)
    visible = seen_at > 0
    return RunlensRound(
        visible_rate=sent.acked / (seen_at - sent.started) if visible else 0.0,
        visible=visible,
        lag_s=seen_at - sent.last_ack if visible else float("inf"),
        cpu_us_per_span=cpu * 1e6 / max(1, sent.acked),
        peak_rss_mib=figures.peak_rss_bytes / 2**20,
        bytes_per_span=stored.bytes_on_disk / max(1, stored.spans_stored),
        stored=stored.spans_stored,
        acked=sent.acked,
    )


def run_sequence(spans: int, batch: int, in_flight: int, seed: int, max_s: float) -> bool:
    """Print the sequence's figures; False when a target is missed or a span is lost."""
    ctx = mp.get_context("spawn")
    work = Path(tempfile.mkdtemp(prefix="runlens-sequence-"))
    lines: list[str] = []
    ok = True
    try:
        for name in ("dual", "genai"):
            requests = build_requests(name, spans, batch, seed)
            print(
                f"{name}: {requests.spans:,} spans in {len(requests.bodies)} requests, "
                f"{requests.otlp_bytes / requests.spans:,.0f} B of OTLP per span",
                flush=True,
            )
            before = null_round(ctx, requests, in_flight, max_s)
            print(f"  do-nothing {before.rate:,.0f} spans/s", flush=True)
            ours = runlens_round(ctx, requests, in_flight, max_s, work / name)
            print(f"  runlens    {ours.visible_rate:,.0f} spans/s visible", flush=True)
            after = null_round(ctx, requests, in_flight, max_s)
            print(f"  do-nothing {after.rate:,.0f} spans/s", flush=True)
            null = statistics.mean((before.rate, after.rate))
            ratio = ours.visible_rate / null if null else 0.0
            checks = {
                "ratio": ratio >= TARGET_RATIO,
                "cpu": ours.cpu_us_per_span <= TARGET_CPU_US[name],
                "rss": ours.peak_rss_mib <= TARGET_RSS_MIB,
                "bytes": name != "dual" or ours.bytes_per_span <= TARGET_BYTES_PER_SPAN,
                "lag": ours.lag_s <= TARGET_LAG_S,
                "stored": ours.stored == ours.acked,
            }
            ok = ok and all(checks.values())
            missed = ", ".join(k for k, met in checks.items() if not met) or "none"
            lines.append(
                f"{name:5} {ours.visible_rate:9,.0f} {before.rate:8,.0f} {after.rate:8,.0f} "
                f"{ratio:6.3f} {ours.cpu_us_per_span:7,.0f} {ours.peak_rss_mib:8,.0f} "
                f"{ours.bytes_per_span:7,.0f} {ours.lag_s:6.2f} {ours.stored:>9,}/{ours.acked:,}"
                f"  missed: {missed}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"\nsequence: {spans:,} spans per round, {batch} spans per request, {in_flight} in "
        "flight, OTLP/gRPC over 127.0.0.1; CPU is the server's, first send to all visible"
    )
    print("work  visible/s  null1/s  null2/s  ratio  µs/span  RSS MiB  B/span  lag s  stored/acked")
    print("\n".join(lines))
    print(
        f"targets: ratio ≥ {TARGET_RATIO}, µs/span ≤ {TARGET_CPU_US['dual']:.0f} dual / "
        f"{TARGET_CPU_US['genai']:.0f} GenAI-only, RSS ≤ {TARGET_RSS_MIB:.0f} MiB, "
        f"B/span ≤ {TARGET_BYTES_PER_SPAN:.0f} (dual), lag ≤ {TARGET_LAG_S:.0f} s"
    )
    return ok
