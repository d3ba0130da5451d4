"""A sender process: builds its share of the workload once, then for each round exports every batch
through the OTel SDK's OTLP/gRPC exporter, one `export()` at a time, as a `BatchSpanProcessor`'s
worker thread does. It counts only acknowledged spans."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult

from bench.workload import Workload

SAMPLE_BATCHES = 4


@dataclass(frozen=True, slots=True)
class SenderReady:
    spans: int
    sample_spans: int
    sample_bytes: int


@dataclass(frozen=True, slots=True)
class RoundResult:
    acked: int
    failed: int
    finished_at: float  # time.monotonic(), comparable across processes on Linux


@dataclass(frozen=True, slots=True)
class Round:
    endpoint: str
    deadline: float  # time.monotonic() after which no new batch is sent


def sender_main(
    index: int, seed: int, *, spans: int, batch_size: int, conn: Connection, start: Barrier
) -> None:
    """Entry point of a spawned sender; talks to the parent over `conn`."""
    logging.basicConfig(level=logging.ERROR)
    an_hour_ago = time.time_ns() - 3600 * 1_000_000_000
    batches = Workload(seed, index, an_hour_ago).batches(spans, batch_size)
    sample = [span for batch in batches[:SAMPLE_BATCHES] for span in batch]
    sample_bytes = sum(encode_spans([span]).ByteSize() for span in sample)
    conn.send(SenderReady(sum(map(len, batches)), len(sample), sample_bytes))
    while True:
        task: Round | None = conn.recv()
        if task is None:
            return
        exporter = OTLPSpanExporter(endpoint=task.endpoint, insecure=True, timeout=30)
        start.wait(60)
        acked = failed = 0
        for batch in batches:
            if time.monotonic() > task.deadline:
                failed += len(batch)
                continue
            if exporter.export(batch) == SpanExportResult.SUCCESS:
                acked += len(batch)
            else:
                failed += len(batch)
        finished = time.monotonic()
        exporter.shutdown()
        conn.send(RoundResult(acked, failed, finished))
