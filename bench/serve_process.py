"""`python -m runlens serve` in a child process on free ports: start it, read every endpoint
from its banner, sample its memory, stop it with SIGTERM or kill it with SIGKILL."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from runlens.serve import Endpoints

_ENDPOINT = re.compile(r"^\s+(OTLP/gRPC|OTLP/HTTP|API)\s+http://([^:\s]+):(\d+)")


class ServeProcess:
    """One `runlens serve` on `chdb://data_dir`; `env` adds `RUNLENS_*` settings."""

    def __init__(
        self,
        data_dir: Path,
        env: Mapping[str, str] | None = None,
        command: Sequence[str] | None = None,
    ) -> None:
        """`command` replaces `python -m runlens serve …`; it gets the store and the ports
        through `RUNLENS_*` variables and must print the same banner."""
        self.data_dir = data_dir
        self._env = {
            **os.environ,
            "RUNLENS_AUTH": "disabled",
            "RUNLENS_CLICKHOUSE_URL": f"chdb://{data_dir}",
            "RUNLENS_GRPC_PORT": "0",
            "RUNLENS_OTLP_HTTP_PORT": "0",
            "RUNLENS_PORT": "0",
            **(env or {}),
        }
        self._command = list(command) if command is not None else None
        self._proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self.log: list[str] = []
        self.peak_rss_bytes = 0
        self._sampling = threading.Event()

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def start(self, timeout_s: float = 90) -> Endpoints:
        """Start and return once it prints its banner (every listener accepts by then)."""
        command = self._command or [
            sys.executable, "-m", "runlens", "serve",
            "--clickhouse-url", f"chdb://{self.data_dir}",
            "--grpc-port", "0", "--otlp-http-port", "0", "--port", "0",
        ]  # fmt: skip
        self._proc = proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            env=self._env,
        )
        assert proc.stdout is not None
        ports: dict[str, tuple[str, int]] = {}
        ready = threading.Event()
        self._reader = threading.Thread(
            target=self._read, args=(proc.stdout, ports, ready), daemon=True, name="serve-log"
        )
        self._reader.start()
        if not ready.wait(timeout_s) or len(ports) < 3:
            self.kill()
            tail = "\n".join(self.log[-20:])
            raise RuntimeError(f"runlens serve did not start within {timeout_s:g} s:\n{tail}")
        self._sampling.clear()
        threading.Thread(target=self._sample_rss, daemon=True, name="serve-rss").start()
        host = ports["API"][0]
        return Endpoints(
            host=host,
            grpc_port=ports["OTLP/gRPC"][1],
            otlp_http_port=ports["OTLP/HTTP"][1],
            api_port=ports["API"][1],
            data_location=str(self.data_dir),
        )

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def rss_bytes(self) -> int:
        """Current resident set size (0 once exited)."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return 0
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(match.group(1)) * 1024 if match else 0

    def stop(self, timeout_s: float = 60) -> int:
        """SIGTERM (runlens stores what it accepted, then exits); returns the exit code."""
        proc = self._proc
        assert proc is not None
        self._sampling.set()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(30)
        if self._reader is not None:
            self._reader.join(10)
        return proc.returncode

    def kill(self) -> None:
        """SIGKILL: no chance to store or flush anything."""
        proc = self._proc
        assert proc is not None
        self._sampling.set()
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        if self._reader is not None:
            self._reader.join(10)

    def _read(
        self, stream: IO[str], ports: dict[str, tuple[str, int]], ready: threading.Event
    ) -> None:
        for line in stream:
            self.log.append(line.rstrip())
            if match := _ENDPOINT.match(line):
                ports[match.group(1)] = (match.group(2), int(match.group(3)))
            if "Press Ctrl+C" in line:
                ready.set()
        stream.close()
        ready.set()  # exited before its banner: start() reports the log

    def _sample_rss(self) -> None:
        while not self._sampling.wait(0.05):
            self.peak_rss_bytes = max(self.peak_rss_bytes, self.rss_bytes())


def wait_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    """Poll `predicate` until it returns true or the time is up."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False
