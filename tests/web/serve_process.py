"""A real `runlens serve` in a process of its own (its own chDB directory, free ports), read
from the banner it prints: what a person gets from `runlens serve`."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runlens.serve import Endpoints

START_TIMEOUT_S = 60
_URL = re.compile(r"^\s+(UI|OTLP/gRPC|OTLP/HTTP|API)\s+http://([^:\s]+):(\d+)")


def runlens(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runlens", *args],
        check=True, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


@contextmanager
def serve(data: Path, *flags: str, **env: str) -> Iterator[tuple[Endpoints, str]]:
    """Start `runlens serve` on `data` (`env`: more RUNLENS_* settings); yields its endpoints
    and its UI's URL."""
    command = [sys.executable, "-m", "runlens", "serve", "--port", "0", "--grpc-port", "0",
               "--otlp-http-port", "0", "--clickhouse-url", f"chdb://{data}", *flags]  # fmt: skip
    env = {**os.environ, "RUNLENS_SWEEP_INTERVAL_S": "3600", **env}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    assert process.stdout is not None
    ports: dict[str, int] = {}
    banner: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while "Press Ctrl+C" not in "".join(banner[-1:]):
            line = process.stdout.readline()
            if not line:
                raise RuntimeError("runlens serve exited:\n" + "".join(banner))
            banner.append(line)
            if (m := _URL.match(line)) is not None:
                ports[m.group(1)] = int(m.group(3))
            if time.monotonic() > deadline:
                raise RuntimeError("runlens serve did not start:\n" + "".join(banner))
        endpoints = Endpoints(
            host="127.0.0.1",
            grpc_port=ports["OTLP/gRPC"],
            otlp_http_port=ports["OTLP/HTTP"],
            api_port=ports["API"],
            data_location=str(data),
        )
        assert ports["UI"] == ports["API"], banner
        yield endpoints, f"http://127.0.0.1:{ports['UI']}"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
