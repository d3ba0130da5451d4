"""tests/web/live_agent.py in a process of its own, its JSON lines read as they come."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from runlens.serve import Endpoints


class AgentProcess:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("{"):
                self.lines.put(json.loads(line))

    def wait_for(self, key: str, timeout: float = 60) -> dict[str, Any]:
        """The first line (seen or to come) that has `key`."""
        for line in self.seen:
            if key in line:
                return line
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the agent never said {key!r}; it said {self.seen}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(line)
            if key in line:
                return line

    def go(self) -> None:
        """Let an agent started with `--gate` go on."""
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def exit_code(self, timeout: float = 60) -> int:
        return self.process.wait(timeout)


@contextmanager
def agent_process(server: Endpoints, *args: str) -> Iterator[AgentProcess]:
    command = [sys.executable, "-m", "tests.web.live_agent", "--api", server.api_url,
               "--otlp", f"127.0.0.1:{server.grpc_port}", *args]  # fmt: skip
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        yield AgentProcess(process)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
