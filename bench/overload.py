"""Overload: a store slower than ingest. runlens must answer UNAVAILABLE / 503 with
`Retry-After`, keep its memory bounded, and recover once the burst is over.

    python -m bench.overload                    # 10 s burst, 8 senders, store at ~500 spans/s
    python -m bench.overload --seconds 20 --senders 12 --ms-per-span 1

Starts runlens in a child process (`python -m bench.overload serve`: the real server, whose
store writes are slowed down by `ThrottledWriter`, injected through `Server(writer=...)`), with
a small queue. Senders export 50-span batches over OTLP/gRPC and OTLP/HTTP as fast as they
are answered. Prints the replies per class, the server's RSS before and at its peak, the time
from the end of the burst to the first acknowledged export, and checks (after SIGTERM, in the
data directory) that every acknowledged span was stored. Exits 1 on a violation.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from bench.serve_process import ServeProcess
from runlens.serve import Endpoints
from runlens.storage.contract import EncodedBatch, IngestWriter, WriteResult
from runlens.storage.wrapped import WrappedWriter

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
SPANS_PER_BATCH = 50


class ThrottledWriter(WrappedWriter):
    """Stores through `inner`, taking at least `seconds_per_record` per record written: a store
    slower than ingest, deterministically."""

    def __init__(self, inner: IngestWriter, seconds_per_record: float) -> None:
        super().__init__(inner)
        self.seconds_per_record = seconds_per_record
        self._slow = threading.Lock()  # concurrent writes share the one slow store

    def write_encoded(self, batches: Sequence[EncodedBatch], seq: int | None = None) -> WriteResult:
        with self._slow:
            time.sleep(sum(batch.size for batch in batches) * self.seconds_per_record)
        return self.inner.write_encoded(batches, seq)


def batch(sender: int, index: int) -> tuple[bytes, list[str]]:
    """A trace of `SPANS_PER_BATCH` agent-sized spans with ids unique to (sender, index)."""
    request = ExportTraceServiceRequest()
    group = request.resource_spans.add()
    group.resource.attributes.add(key="service.name").value.string_value = f"overload-{sender}"
    spans = group.scope_spans.add().spans
    prefix = (1 + sender).to_bytes(2, "big") + index.to_bytes(4, "big")  # ids never all zero
    trace_id = prefix + b"\x7e" * 10
    now = time.time_ns()
    ids: list[str] = []
    for n in range(SPANS_PER_BATCH):
        span = spans.add()
        span.trace_id = trace_id
        span.span_id = prefix + n.to_bytes(2, "big")
        span.name = "chat gpt-4o-mini"
        span.start_time_unix_nano, span.end_time_unix_nano = now - 2_000_000, now
        span.attributes.add(key="gen_ai.operation.name").value.string_value = "chat"
        span.attributes.add(key="gen_ai.input.messages").value.string_value = "y" * 2048
        ids.append(span.span_id.hex())
    return request.SerializeToString(), ids


@dataclass(slots=True)
class BurstReport:
    replies: Counter[str] = field(default_factory=Counter)
    acked: set[str] = field(default_factory=set)  # span ids whose export was acknowledged
    violations: list[str] = field(default_factory=list)
    recovery_s: float = float("nan")

    @property
    def refused(self) -> int:
        return self.replies["grpc UNAVAILABLE"] + self.replies["http 503"]


def burst(endpoints: Endpoints, *, seconds: float, senders: int) -> BurstReport:
    """`senders` threads (every third over OTLP/HTTP) export batches back to back for
    `seconds`; then one export is retried until it is acknowledged (the recovery time)."""
    report = BurstReport()
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def send(sender: int) -> None:
        http = sender % 3 == 2
        with grpc.insecure_channel(f"{endpoints.host}:{endpoints.grpc_port}") as channel:
            call = channel.unary_unary(EXPORT)
            client = httpx.Client(timeout=60)
            try:
                index = 0
                while time.monotonic() < stop_at:
                    body, ids = batch(sender, index)
                    index += 1
                    reply, violation = _export(call, client, endpoints, body, http)
                    with lock:
                        report.replies[reply] += 1
                        if reply in ("grpc OK", "http 200"):
                            report.acked.update(ids)
                        if violation:
                            report.violations.append(violation)
                    if reply not in ("grpc OK", "http 200"):
                        time.sleep(0.02)  # a real exporter backs off longer; keep the pressure
            finally:
                client.close()

    threads = [threading.Thread(target=send, args=(i,), name=f"burst-{i}") for i in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ended = time.monotonic()
    body, ids = batch(senders, 0)
    with grpc.insecure_channel(f"{endpoints.host}:{endpoints.grpc_port}") as channel:
        call = channel.unary_unary(EXPORT)
        while time.monotonic() - ended < 60:
            try:
                call(body, timeout=30)
            except grpc.RpcError:
                time.sleep(0.05)
                continue
            report.recovery_s = time.monotonic() - ended
            report.acked.update(ids)
            break
        else:
            report.violations.append("no export was acknowledged within 60 s of the burst")
    return report


def _export(
    call: grpc.UnaryUnaryMultiCallable,
    client: httpx.Client,
    endpoints: Endpoints,
    body: bytes,
    http: bool,
) -> tuple[str, str | None]:
    if not http:
        try:
            reply = call(body, timeout=60)
        except grpc.RpcError as exc:
            code = exc.code()
            if code is grpc.StatusCode.UNAVAILABLE:
                return "grpc UNAVAILABLE", None
            return f"grpc {code.name}", f"gRPC export answered {code.name}: {exc.details()}"
        if ExportTraceServiceResponse.FromString(reply).HasField("partial_success"):
            return "grpc OK", "a valid batch got a partial success"
        return "grpc OK", None
    response = client.post(
        f"{endpoints.otlp_http_url}/v1/traces",
        content=body,
        headers={"content-type": "application/x-protobuf"},
    )
    name = f"http {response.status_code}"
    if response.status_code == 503 and not response.headers.get("retry-after"):
        return name, "503 without Retry-After"
    if response.status_code not in (200, 503):
        return name, f"HTTP export answered {response.status_code}"
    return name, None


STORED = """
import json, sys, clickhouse_connect
client = clickhouse_connect.get_client(dsn=sys.argv[1])
rows = client.query("SELECT span_id FROM runlens.spans FINAL").result_rows
print(json.dumps([row[0] for row in rows]))
"""


def stored_span_ids(data: Path) -> set[str]:
    """Span ids stored in a stopped server's data directory (chDB: one process per path)."""
    found = subprocess.run(
        [sys.executable, "-c", STORED, f"chdb://{data}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(found.stdout.strip().splitlines()[-1]))


def serve(ms_per_span: float) -> int:
    """The child: runlens with a throttled store, settings from `RUNLENS_*`, banner as
    `runlens serve` prints it; stops on SIGTERM."""
    from runlens.serve import Server
    from runlens.settings import Settings
    from runlens.storage.clickhouse.embedded import tune_embedded_process

    tune_embedded_process()
    server = Server(Settings(), writer=lambda store: ThrottledWriter(store, ms_per_span / 1000))
    endpoints = server.start()
    print(
        f"  OTLP/gRPC   {endpoints.otlp_grpc_url}\n  OTLP/HTTP   {endpoints.otlp_http_url}\n"
        f"  API         {endpoints.api_url}\nPress Ctrl+C to stop.",
        flush=True,
    )
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    stopping.wait()
    server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.overload", description=__doc__)
    parser.add_argument("mode", nargs="?", choices=("run", "serve"), default="run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the burst")
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--ms-per-span", type=float, default=2.0, help="store slowness")
    parser.add_argument("--queue", type=int, default=200, help="RUNLENS_QUEUE_MAX_SPANS")
    args = parser.parse_args(argv)
    if args.mode == "serve":
        return serve(args.ms_per_span)
    with tempfile.TemporaryDirectory(prefix="runlens-overload-") as tmp:
        data = Path(tmp) / "data"
        command = [sys.executable, "-m", "bench.overload", "serve"]
        command += ["--ms-per-span", str(args.ms_per_span)]
        server = ServeProcess(
            data,
            env={
                "RUNLENS_QUEUE_MAX_SPANS": str(args.queue),
                "RUNLENS_BATCH_MAX_SPANS": str(args.queue),
                "RUNLENS_WRITE_TIMEOUT_S": "10",
            },
            command=command,
        )
        endpoints = server.start()
        time.sleep(1.0)
        idle_rss = server.rss_bytes()
        try:
            report = burst(endpoints, seconds=args.seconds, senders=args.senders)
        finally:
            code = server.stop()
        if code != 0:
            report.violations.append(f"the server exited with {code} on SIGTERM")
        lost = report.acked - stored_span_ids(data)
        if lost:
            report.violations.append(f"{len(lost)} acknowledged spans are not stored")
    store_rate = 1000 / args.ms_per_span
    print(f"burst {args.seconds:g} s, {args.senders} senders, {SPANS_PER_BATCH}-span batches;")
    print(f"store throttled to {store_rate:.0f} spans/s, queue {args.queue} spans")
    print("replies:")
    for name, count in sorted(report.replies.items()):
        print(f"  {name:<20} {count:>7}")
    print(f"refused (UNAVAILABLE + 503): {report.refused}")
    print(f"acknowledged spans: {len(report.acked)}, lost: {len(lost)}")
    print(
        f"server RSS idle {idle_rss / 2**20:.0f} MiB, peak {server.peak_rss_bytes / 2**20:.0f} MiB"
    )
    print(f"recovery (burst end → first acknowledged export): {report.recovery_s:.2f} s")
    print(f"violations: {len(report.violations)}")
    for violation in report.violations[:20]:
        print(f"  {violation}")
    if not report.refused:
        print("  (no export was refused: the store kept up; raise --senders or --ms-per-span)")
    return 1 if report.violations or not report.refused else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
