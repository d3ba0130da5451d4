"""`runlens keys` against an embedded store, then a `runlens serve --auth required` on it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from tests.collector.test_durability import start_server


def keys(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "runlens", "keys", "--clickhouse-url", f"chdb://{data}"]
    return subprocess.run(
        [*command, *args], check=False, capture_output=True, text=True, timeout=120
    )


def export(grpc_port: int, key: str | None) -> grpc.StatusCode:
    metadata = (("authorization", f"Bearer {key}"),) if key else ()
    with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        try:
            stub.Export(
                trace_service_pb2.ExportTraceServiceRequest(), metadata=metadata, timeout=10
            )
        except grpc.RpcError as exc:
            code: grpc.StatusCode = exc.code()  # type: ignore[attr-defined]
            return code
    return grpc.StatusCode.OK


def serve_and_export(data: Path, key: str | None) -> grpc.StatusCode:
    process, grpc_port = start_server(data, "--auth", "required")
    try:
        return export(grpc_port, key)
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(60)
        assert process.stdout is not None
        process.stdout.close()


def test_create_list_revoke(tmp_path: Path) -> None:
    data = tmp_path / "data"
    bad = keys(data, "create", "--project", "no spaces")
    assert bad.returncode == 2 and "invalid project name" in bad.stderr

    created = keys(data, "create", "--project", "shop", "--name", "checkout agent")
    assert created.returncode == 0, created.stderr
    key = re.search(r"rlk_[0-9a-f]{12}_\S+", created.stdout)
    assert key is not None, created.stdout
    key_id = key.group(0).split("_")[1]

    listed = keys(data, "list")
    assert listed.returncode == 0
    assert (
        key_id in listed.stdout and "active" in listed.stdout and "checkout agent" in listed.stdout
    )
    assert key.group(0).split("_", 2)[2] not in listed.stdout  # the secret is never shown again

    assert serve_and_export(data, key.group(0)) == grpc.StatusCode.OK
    assert serve_and_export(data, None) == grpc.StatusCode.UNAUTHENTICATED

    revoked = keys(data, "revoke", key.group(0))
    assert revoked.returncode == 0 and f"revoked key {key_id}" in revoked.stdout
    assert "revoked" in keys(data, "list", "--project", "shop").stdout
    assert keys(data, "revoke", "0123456789ab").returncode == 1
    assert serve_and_export(data, key.group(0)) == grpc.StatusCode.UNAUTHENTICATED
