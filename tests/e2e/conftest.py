"""The end-to-end suite's world: the offline fake OpenAI server in a thread, a real
`runlens serve` process on an embedded store of its own, and the agent scripts of `agents/`, each
run in a subprocess of its own (instrumentations patch the same clients, so they never share a
process) with the standard OTLP environment variables pointing at that server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from examples.fake_openai_server import FakeOpenAI
from tests.api.conftest import GraphQL
from tests.eventually import eventually

ROOT = Path(__file__).resolve().parents[2]
AGENTS = Path(__file__).resolve().parent / "agents"


@dataclass(frozen=True)
class Runlens:
    grpc_url: str
    http_url: str
    api_url: str


@pytest.fixture(scope="session")
def fake_openai() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def runlens(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runlens]:
    """`runlens serve` as a user starts it, on free ports; its log goes beside its data."""
    home = tmp_path_factory.mktemp("runlens-e2e")
    with (home / "serve.log").open("w") as log:
        data = f"chdb://{home / 'data'}"
        process = subprocess.Popen(
            [sys.executable, "-m", "runlens", "serve", "--clickhouse-url", data,
             "--grpc-port", "0", "--otlp-http-port", "0", "--port", "0"],
            stdout=subprocess.PIPE, stderr=log, text=True,
        )  # fmt: skip
        try:
            yield _banner(process)
        finally:
            process.terminate()
            process.wait(60)
            if process.stdout is not None:
                process.stdout.close()


def _banner(process: subprocess.Popen[str]) -> Runlens:
    assert process.stdout is not None
    urls: dict[str, str] = {}
    for line in process.stdout:
        if match := re.match(r"\s+(OTLP/gRPC|OTLP/HTTP|API)\s+(http://\S+)", line):
            urls[match[1]] = match[2]
        if "Press Ctrl+C" in line:
            break
    assert len(urls) == 3, f"runlens serve did not start (exit code {process.poll()})"
    return Runlens(urls["OTLP/gRPC"], urls["OTLP/HTTP"], urls["API"])


@pytest.fixture(scope="session")
def gql(runlens: Runlens) -> GraphQL:
    return GraphQL(runlens.api_url)


def agent_env(
    fake: FakeOpenAI, server: Runlens, protocol: str = "grpc", **extra: str
) -> dict[str, str]:
    """The environment a user sets for an instrumented agent: the OpenAI endpoint and OTLP."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        OPENAI_BASE_URL=fake.base_url,
        OPENAI_API_KEY="fake-key",
        OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT=server.grpc_url if protocol == "grpc" else server.http_url,
        **extra,
    )
    return env


def run_script(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


def play(
    script: str, fake: FakeOpenAI, server: Runlens, *args: str, protocol: str = "grpc",
    **env: str,
) -> dict[str, str]:  # fmt: skip
    """Runs an agent script of `agents/`; waits until runlens has summarized every span of each
    scenario's run; returns scenario -> run id."""
    done = run_script([str(AGENTS / script), *args], agent_env(fake, server, protocol, **env))
    assert done.returncode == 0, done.stderr[-4000:]
    scenarios: dict[str, dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    for scenario in scenarios.values():
        wait_for_run(server, scenario["run"], spans=scenario["spans"])
    return {name: scenario["run"] for name, scenario in scenarios.items()}


def wait_for_run(server: Runlens, run_id: str, *, spans: int | None = None) -> None:
    query = "query ($id: ID!) { run(id: $id) { spanCount status } }"

    def summarized() -> None:
        body = httpx.post(
            f"{server.api_url}/graphql", json={"query": query, "variables": {"id": run_id}}
        ).json()
        run = body["data"]["run"]
        assert run is not None and run["status"] != "RUNNING", body
        assert spans is None or run["spanCount"] == spans, body

    eventually(summarized, timeout=30)
