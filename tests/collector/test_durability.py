"""kill -9 right after acknowledged exports loses nothing: a real `runlens serve` process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from tests.collector.agent import provider, weather_run

COUNT_SPANS = """
import sys, clickhouse_connect
client = clickhouse_connect.get_client(dsn=sys.argv[1])
runs = sys.argv[2].split(",")
print(client.query(
    "SELECT count() FROM runlens.spans FINAL WHERE run_id IN {r:Array(String)}",
    parameters={"r": runs},
).result_rows[0][0])
"""


def start_server(data: Path, *flags: str) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "runlens",
            "serve",
            "--clickhouse-url",
            f"chdb://{data}",
            "--grpc-port",
            "0",
            "--otlp-http-port",
            "0",
            "--port",
            "0",
            *flags,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    grpc_port = 0
    for line in process.stdout:
        if match := re.search(r"OTLP/gRPC\s+http://127\.0\.0\.1:(\d+)", line):
            grpc_port = int(match.group(1))
        if "Press Ctrl+C" in line:
            break
    assert grpc_port, "runlens serve did not print its gRPC port"
    return process, grpc_port


def test_acknowledged_spans_survive_sigkill(tmp_path: Path) -> None:
    data = tmp_path / "data"
    process, grpc_port = start_server(data)
    try:
        exporter = OTLPSpanExporter(endpoint=f"127.0.0.1:{grpc_port}", insecure=True)
        tracer_provider = provider(SimpleSpanProcessor(exporter))
        runs = [weather_run(tracer_provider) for _ in range(5)]  # each span acked on export
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
        assert process.stdout is not None
        process.stdout.close()
    assert process.returncode == -signal.SIGKILL

    counted = subprocess.run(
        [sys.executable, "-c", COUNT_SPANS, f"chdb://{data}", ",".join(runs)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert int(counted.stdout.strip()) == 5 * 4
