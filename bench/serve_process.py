"""`python -m runlens serve` in a child process on free ports, for every benchmark and the tests
that need a separate server: start it, read every endpoint from its banner, watch its memory
and CPU (optionally sampled by py-spy), stop it with SIGTERM or kill it with SIGKILL."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from runlens.serve import Endpoints

_ENDPOINT = re.compile(r"^\s+(OTLP/gRPC|OTLP/HTTP|API)\s+http://([^:\s]+):(\d+)")
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class ServerFigures:
    peak_rss_bytes: int  # VmHWM
    peak_anon_bytes: int  # largest RssAnon seen: heap, without the mapped chDB library
    cpu_seconds: float  # utime + stime


class ServeProcess:
    """One `runlens serve` on `chdb://data_dir`; `env` adds `RUNLENS_*` settings."""

    def __init__(
        self,
        data_dir: Path,
        env: Mapping[str, str] | None = None,
        command: Sequence[str] | None = None,
        profile: Path | None = None,
    ) -> None:
        """`command` replaces `python -m runlens serve …`; it gets the store and the ports
        through `RUNLENS_*` variables and must print the same banner. With `profile`, py-spy
        samples the server into that file (raw format) until it stops."""
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
        self._profile = profile
        self._spy: subprocess.Popen[bytes] | None = None
        self.log: list[str] = []
        self.peak_rss_bytes = 0  # VmHWM, as last sampled
        self._peak_anon = 0
        self._cpu = 0.0
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
        threading.Thread(target=self._watch, daemon=True, name="serve-watch").start()
        if self._profile is not None:
            spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
            self._spy = subprocess.Popen(
                [spy, "record", "--pid", str(proc.pid), "--rate", "100", "--format", "raw",
                 "--nonblocking", "-o", str(self._profile)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(1.0)  # let py-spy attach before the load starts
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

    def figures(self) -> ServerFigures:
        """Peak memory and CPU used so far (final once stopped)."""
        self._sample()
        return ServerFigures(self.peak_rss_bytes, self._peak_anon, self._cpu)

    def stop(self, timeout_s: float = 60) -> int:
        """SIGTERM (runlens stores what it accepted, then exits; SIGKILL after `timeout_s`);
        returns the exit code."""
        proc = self._proc
        assert proc is not None
        self._sample()
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
        if self._spy is not None:
            self._spy.wait(60)
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

    def _watch(self) -> None:
        while not self._sampling.wait(0.05):
            self._sample()

    def _sample(self) -> None:
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
            stat = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return  # exited between samples: the last one stands
        hwm = re.search(r"VmHWM:\s+(\d+) kB", status)
        anon = re.search(r"RssAnon:\s+(\d+) kB", status)
        if hwm:
            self.peak_rss_bytes = max(self.peak_rss_bytes, int(hwm.group(1)) * 1024)
        if anon:
            self._peak_anon = max(self._peak_anon, int(anon.group(1)) * 1024)
        self._cpu = (int(stat[11]) + int(stat[12])) / _TICKS


def wait_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    """Poll `predicate` until it returns true or the time is up."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False
