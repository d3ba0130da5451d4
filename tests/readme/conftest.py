"""README.md as a user runs it: a real `runlens serve` process on free ports with its own data
directory, and the `sh` blocks of a README section run in bash, as written.

Commands are run as the README gives them, with three adaptations a reader would make on a
busy machine: the default addresses (127.0.0.1:8000 / 4317 / 4318) become the ports this
server got, `.venv/` is this test run's virtualenv, and `RUN_ID` (or another placeholder) is
the id an earlier command printed. The shell also has `OTEL_EXPORTER_OTLP_ENDPOINT` and
`RUNLENS_API_URL` set to this server, as a reader who exported them would.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.eventually import eventually

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
VENV = Path(sys.prefix)
BANNER_END = "Press Ctrl+C to stop."
RUN = """query($id: ID!) { run(id: $id) { status agent { name } events(first: 100) { edges {
  node { kind name input output
    ... on LlmCall { streamedText }
    ... on ToolExecution { terminalOutput { chunkCount } } } } } } }"""


def sections() -> dict[str, list[list[str]]]:
    """Each heading of README.md with the command blocks (```sh) under it, each block a list
    of commands (continuation lines joined)."""
    found: dict[str, list[list[str]]] = {}
    heading = ""
    block: list[str] | None = None
    for line in README.read_text().splitlines():
        stripped = line.strip()
        if block is None and line.startswith("#"):
            heading = line.lstrip("#").strip()
            found.setdefault(heading, [])
        elif block is None and stripped == "```sh":
            block = []
        elif block is not None and stripped == "```":
            found[heading].append(_commands(block))
            block = None
        elif block is not None:
            block.append(stripped)
    return found


def _commands(lines: list[str]) -> list[str]:
    commands: list[str] = []
    pending = ""
    for line in lines:
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        command = (pending + line).strip()
        pending = ""
        if command and not command.startswith("#"):
            commands.append(command)
    return commands


def blocks(heading: str) -> list[list[str]]:
    found = sections()
    assert heading in found, f"README.md has no section {heading!r}"
    return found[heading]


@dataclass(frozen=True)
class Served:
    """A `runlens serve` process and what its banner said."""

    process: Started
    banner: list[str]
    grpc: str  # host:port
    http: str
    api: str
    data: Path

    @property
    def api_url(self) -> str:
        return f"http://{self.api}"

    def adapt(self, command: str, **placeholders: str) -> str:
        command = command.replace("127.0.0.1:8000", self.api)
        command = command.replace("127.0.0.1:4317", self.grpc)
        command = command.replace("127.0.0.1:4318", self.http)
        command = re.sub(r"(?<![\w/.])\.venv/", f"{VENV}/", command)
        for name, value in placeholders.items():
            command = command.replace(name, value)
        return command

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{self.grpc}",
            "RUNLENS_API_URL": self.api_url,
            "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
            # A `runlens serve` without port flags takes free ports, not the busy defaults.
            "RUNLENS_PORT": "0",
            "RUNLENS_GRPC_PORT": "0",
            "RUNLENS_OTLP_HTTP_PORT": "0",
        }

    def script(self, commands: list[str], **placeholders: str) -> str:
        adapted = [self.adapt(command, **placeholders) for command in commands]
        return "\n".join(["set -euo pipefail", *adapted])

    def run(
        self,
        commands: list[str],
        *,
        timeout: float = 120,
        cwd: Path = ROOT,
        env: dict[str, str] | None = None,
        **placeholders: str,
    ) -> subprocess.CompletedProcess[str]:
        """Run commands in one bash, as typed in one terminal."""
        return subprocess.run(
            ["bash", "-c", self.script(commands, **placeholders)],
            cwd=cwd, env={**self.environment(), **(env or {})}, capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip

    def start(self, commands: list[str], *, cwd: Path = ROOT, **placeholders: str) -> Started:
        """Start commands in a terminal of their own (a session the test ends)."""
        script = self.script(commands, **placeholders)
        return started(["bash", "-c", script], cwd, self.environment())

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = httpx.post(
            f"{self.api_url}/graphql", json={"query": query, "variables": variables}, timeout=30
        )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def ended(self, run_id: str) -> dict[str, Any]:
        """The run once it has ended."""

        def check() -> dict[str, Any]:
            run: dict[str, Any] | None = self.graphql(RUN, id=run_id)["run"]
            assert run is not None and run["status"] != "RUNNING", run
            return run

        return eventually(check, timeout=30)


class Started:
    """A process this test started in a session of its own, and what it prints, line by line,
    read by a thread (so a full pipe never blocks the process)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        self.process = process
        self._stream = process.stdout
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self._stream:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def until(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        """The first line from here on matching `pattern` (a regex)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if found := re.search(pattern, line):
                return found
        raise AssertionError(f"no line matching {pattern!r} within {timeout} s: {self.seen}")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60) -> int:
        """End the process (its whole session); its exit code."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            code = self.process.wait(timeout)
        self._reader.join(timeout)
        self._stream.close()
        return code


def started(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Started:
    return Started(
        subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True,
        )
    )  # fmt: skip


def serve(data: Path, *flags: str, cwd: Path = ROOT) -> Served:
    """`runlens serve` on free ports, started as `make run` starts it."""
    command = [
        str(VENV / "bin" / "runlens"), "serve", "--port", "0", "--grpc-port", "0",
        "--otlp-http-port", "0", "--clickhouse-url", f"chdb://{data}", *flags,
    ]  # fmt: skip
    process = started(command, cwd)
    try:
        process.until(re.escape(BANNER_END), timeout=120)
    except AssertionError:
        process.stop()
        raise
    banner = list(process.seen)
    text = "\n".join(banner)

    def address(label: str) -> str:
        found = re.search(rf"{label}\s+http://(127\.0\.0\.1:\d+)", text)
        assert found, text
        return found.group(1)

    return Served(process, banner, address("OTLP/gRPC"), address("OTLP/HTTP"), address("API"), data)


@pytest.fixture(scope="package")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = serve(tmp_path_factory.mktemp("readme") / "runlens-data")
    yield server
    assert server.process.stop() == 0
