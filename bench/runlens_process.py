"""`runlens serve` as a separate process on a fresh embedded store: start it, watch its memory and
CPU, stop it with SIGTERM, then open its data directory (only now: chDB allows one process per
path) in a spawned child to count what was stored and what it takes on disk."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

_GRPC_LINE = re.compile(r"OTLP/gRPC\s+http://([\d.]+):(\d+)")
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class ServerFigures:
    peak_rss_bytes: int  # VmHWM
    peak_anon_bytes: int  # largest RssAnon seen: heap, without the mapped chDB library
    cpu_seconds: float


class RunlensProcess:
    """One `python -m runlens serve`; optionally sampled by py-spy into `profile`."""

    def __init__(self, data_dir: Path, profile: Path | None = None) -> None:
        self._data_dir = data_dir
        self._profile = profile
        self._proc: subprocess.Popen[str] | None = None
        self._spy: subprocess.Popen[bytes] | None = None
        self._peak = 0
        self._peak_anon = 0
        self._cpu = 0.0
        self._stop_polling = threading.Event()
        self._poller = threading.Thread(target=self._poll, daemon=True)
        self.log: list[str] = []

    def start(self, timeout_s: float = 60) -> str:
        """Start and wait until it prints its OTLP/gRPC address; returns `host:port`."""
        command = [
            sys.executable, "-m", "runlens", "serve",
            "--clickhouse-url", f"chdb://{self._data_dir}",
            "--grpc-port", "0", "--otlp-http-port", "0", "--port", "0",
        ]  # fmt: skip
        self._proc = proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        assert proc.stdout is not None
        endpoint = _read_endpoint(proc, proc.stdout, timeout_s, self.log)
        threading.Thread(target=self._drain, args=(proc.stdout,), daemon=True).start()
        self._poller.start()
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        if self._profile is not None:
            self._spy = subprocess.Popen(
                [spy, "record", "--pid", str(proc.pid), "--rate", "100", "--format", "raw",
                 "--nonblocking", "-o", str(self._profile)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(1.0)  # let py-spy attach before the load starts
        return endpoint

    def stop(self, timeout_s: float = 120) -> ServerFigures:
        """SIGTERM (runlens stores what it accepted, then exits); kill if it does not."""
        proc = self._proc
        assert proc is not None
        self._sample()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            raise RuntimeError(
                f"runlens did not stop within {timeout_s:g} s after SIGTERM"
            ) from None
        finally:
            self._stop_polling.set()
            self._poller.join(5)
            if self._spy is not None:
                self._spy.wait(60)
        if proc.returncode != 0:
            tail = "\n".join(self.log[-20:])
            raise RuntimeError(f"runlens exited with {proc.returncode}:\n{tail}")
        return ServerFigures(self._peak, self._peak_anon, self._cpu)

    def _poll(self) -> None:
        while not self._stop_polling.wait(0.1):
            self._sample()

    def _sample(self) -> None:
        assert self._proc is not None
        try:
            status = Path(f"/proc/{self._proc.pid}/status").read_text()
            fields = Path(f"/proc/{self._proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return  # exited between polls; the last sample stands
        hwm = re.search(r"VmHWM:\s+(\d+) kB", status)
        anon = re.search(r"RssAnon:\s+(\d+) kB", status)
        if hwm:
            self._peak = max(self._peak, int(hwm.group(1)) * 1024)
        if anon:
            self._peak_anon = max(self._peak_anon, int(anon.group(1)) * 1024)
        self._cpu = (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime

    def _drain(self, stream: IO[str]) -> None:
        for line in stream:
            self.log.append(line.rstrip())


def _read_endpoint(
    proc: subprocess.Popen[str], stream: IO[str], timeout_s: float, log: list[str]
) -> str:
    found: list[str] = []

    def read() -> None:
        for line in stream:
            log.append(line.rstrip())
            match = _GRPC_LINE.search(line)
            if match:
                found.append(f"{match.group(1)}:{match.group(2)}")
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout_s)
    if not found:
        proc.kill()
        proc.wait(10)
        tail = "\n".join(log[-20:])
        raise RuntimeError(f"runlens did not start within {timeout_s:g} s:\n{tail}")
    return found[0]
