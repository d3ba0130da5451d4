"""SIGKILL in the middle of sustained ingest from several senders loses nothing acknowledged.

Four senders export batches over OTLP/gRPC to a `runlens serve` child process, each recording
which batches were acknowledged. The server is killed with SIGKILL while they send; before it
restarts, the data directory is opened on its own and must hold every span of every batch
acknowledged so far. The senders then retry the batches that got no acknowledgement (the crash
cut them off), against the server restarted on the same directory, and finish their work; in
the end every span is stored exactly once (after FINAL), retried or not, and every run (one
trace per batch) has a summary that counts all of its spans: the runs acknowledged just before
the kill, whose summary refresh the kill cut off, are rebuilt by the restarted server.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from bench.serve_process import ServeProcess, wait_until
from runlens.serve import Endpoints

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
SENDERS = 4
BATCHES = 30  # per sender
SPANS = 20  # per batch
KILL_AFTER_ACKED = 30  # batches acknowledged in all before the SIGKILL

STORED = """
import json, sys, clickhouse_connect
client = clickhouse_connect.get_client(dsn=sys.argv[1])
final = client.query("SELECT span_id FROM runlens.spans FINAL").result_rows
raw = client.query("SELECT count() FROM runlens.spans").result_rows[0][0]
runs = client.query("SELECT run_id, span_count FROM runlens.run_summaries FINAL").result_rows
print(json.dumps({"final": [row[0] for row in final], "raw": raw, "runs": dict(runs)}))
"""


def batch_request(sender: int, batch: int) -> tuple[ExportTraceServiceRequest, list[str]]:
    """One batch: a trace of `SPANS` spans with ids derived from (sender, batch)."""
    request = ExportTraceServiceRequest()
    group = request.resource_spans.add()
    group.resource.attributes.add(key="service.name").value.string_value = f"sender-{sender}"
    spans = group.scope_spans.add().spans
    trace_id = bytes([1 + sender, 1 + batch]) + b"\x5a" * 14
    now = time.time_ns()
    ids: list[str] = []
    for index in range(SPANS):
        span = spans.add()
        span.trace_id = trace_id
        span.span_id = bytes([1 + sender, 1 + batch, 1 + index]) + b"\xa5" * 5
        span.name = f"step {index}"
        span.start_time_unix_nano, span.end_time_unix_nano = now - 5_000_000, now
        span.attributes.add(key="gen_ai.operation.name").value.string_value = "chat"
        span.attributes.add(key="gen_ai.input.messages").value.string_value = "x" * 512
        ids.append(span.span_id.hex())
    return request, ids


@dataclass
class Ingest:
    """What the senders share: where the server is, and what was acknowledged."""

    endpoints: Endpoints
    up: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    acked: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    retried: set[tuple[int, int]] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)

    def acked_count(self) -> int:
        with self.lock:
            return len(self.acked)


def sender(index: int, ingest: Ingest, deadline: float) -> None:
    """Send every batch in order; a batch without acknowledgement is retried once the server
    is back (the test flips `up`), as an OTLP exporter retries UNAVAILABLE."""
    for batch in range(BATCHES):
        request, ids = batch_request(index, batch)
        body = request.SerializeToString()
        attempts = 0
        while time.monotonic() < deadline:
            ingest.up.wait(deadline - time.monotonic())
            endpoints = ingest.endpoints
            attempts += 1
            try:
                with grpc.insecure_channel(f"127.0.0.1:{endpoints.grpc_port}") as channel:
                    reply = channel.unary_unary(EXPORT)(body, timeout=20)
            except grpc.RpcError as exc:
                code = exc.code()
                if code not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                    with ingest.lock:
                        ingest.failures.append(f"sender {index} batch {batch}: {code}")
                    return
                time.sleep(0.2)
                continue
            response = ExportTraceServiceResponse.FromString(reply)
            with ingest.lock:
                if response.HasField("partial_success"):
                    ingest.failures.append(f"batch {batch}: {response.partial_success}")
                ingest.acked[(index, batch)] = ids
                if attempts > 1:
                    ingest.retried.add((index, batch))
            break
        else:
            with ingest.lock:
                ingest.failures.append(f"sender {index} batch {batch}: never acknowledged")
            return


def stored_spans(data: Path) -> tuple[set[str], int, int, dict[str, int]]:
    """(span ids after FINAL, rows after FINAL, rows before, span count of each summarized run)
    in a stopped server's directory."""
    result = subprocess.run(
        [sys.executable, "-c", STORED, f"chdb://{data}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    return set(found["final"]), len(found["final"]), int(found["raw"]), found["runs"]


def test_acknowledged_spans_survive_sigkill_under_concurrent_ingest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = ServeProcess(data)
    ingest = Ingest(server.start())
    ingest.up.set()
    deadline = time.monotonic() + 90
    threads = [
        threading.Thread(target=sender, args=(i, ingest, deadline), name=f"sender-{i}")
        for i in range(SENDERS)
    ]
    try:
        for thread in threads:
            thread.start()
        assert wait_until(lambda: ingest.acked_count() >= KILL_AFTER_ACKED, 40), ingest.failures
        server.kill()  # SIGKILL, with the senders mid-export
        ingest.up.clear()
        with ingest.lock:
            acked_before_kill = {key: list(ids) for key, ids in ingest.acked.items()}
    except BaseException:
        server.kill()
        raise

    # The directory on its own, before any retry: every acknowledged span is there.
    stored, _, _, _ = stored_spans(data)
    acked_ids = {span for ids in acked_before_kill.values() for span in ids}
    assert acked_ids - stored == set(), "acknowledged spans were lost"
    assert len(acked_before_kill) < SENDERS * BATCHES  # the kill did land mid-ingest

    restarted = ServeProcess(data)
    try:
        ingest.endpoints = restarted.start()
        ingest.up.set()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        assert not any(thread.is_alive() for thread in threads), "senders did not finish"
        assert ingest.failures == []
    finally:
        assert restarted.stop() == 0

    stored, rows, raw_rows, summarized = stored_spans(data)
    everything = {span for ids in ingest.acked.values() for span in ids}
    assert len(ingest.acked) == SENDERS * BATCHES and len(everything) == SENDERS * BATCHES * SPANS
    assert stored == everything and rows == len(everything)  # each span once after FINAL
    runs = {batch_request(sender, batch)[0].resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
            for sender, batch in ingest.acked}  # fmt: skip
    assert summarized == dict.fromkeys(runs, SPANS)
    assert ingest.retried, "no batch was cut off by the kill and retried"
    print(
        f"acked before SIGKILL: {len(acked_before_kill)} batches / {len(acked_ids)} spans, "
        f"lost: 0; retried after restart: {len(ingest.retried)} batches; "
        f"stored: {rows} spans after FINAL ({raw_rows} rows before)"
    )
