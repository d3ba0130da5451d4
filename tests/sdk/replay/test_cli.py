"""`runlens replay` as a user runs it: a subprocess around an agent script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider

from runlens.__main__ import main
from runlens.sdk import StartMarkerSpanProcessor
from runlens.serve import Endpoints
from tests.eventually import eventually
from tests.sdk.replay import harness
from tests.sdk.replay.fake_openai import FakeOpenAI
from tests.sdk.replay.weather_agent import client, run_agent

ROOT = Path(__file__).resolve().parents[3]


def _runlens_replay(
    endpoints: Endpoints, fake: FakeOpenAI, run_id: str, *flags: str, prompt: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoints.otlp_grpc_url,
        "OPENAI_BASE_URL": fake.url,
        "WEATHER_PROMPT": prompt,
    }
    command = [sys.executable, "-m", "runlens", "replay", run_id, "--api-url", endpoints.api_url]
    agent = ["--", sys.executable, "-m", "tests.sdk.replay.weather_agent"]
    return subprocess.run(
        [*command, *flags, *agent],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _record(endpoints: Endpoints, fake: FakeOpenAI) -> str:
    llm = client(fake.url)
    return harness.record(endpoints, lambda provider: run_agent(llm, provider))


def test_replays_the_agent_script_and_prints_the_comparison(
    server: Endpoints, openai_server: FakeOpenAI
) -> None:
    original = _record(server, openai_server)
    done = _runlens_replay(server, openai_server, original)

    assert done.returncode == 0, done.stderr
    assert openai_server.count == 2  # the recording's calls only
    out = done.stdout
    assert f"replaying run {original}" in out
    assert "[4/4 served, 0 diverged] served llm chat gpt-4o-mini" in out
    assert "served action execute_tool get_air_quality" in out
    assert "match rate     100.0% (4/4 steps)" in out
    assert "replay cost    $0.000000" in out
    original_cost = harness.compare(server, original, original)["originalCostUsd"]
    assert f"savings        ${original_cost:.6f}" in out


def test_a_strict_divergence_stops_the_agent_and_is_reported(
    server: Endpoints, openai_server: FakeOpenAI
) -> None:
    original = _record(server, openai_server)
    done = _runlens_replay(server, openai_server, original, prompt="Weather in Rome?")

    assert done.returncode == 1
    assert "ReplayDivergence" in done.stderr
    assert "diverged llm chat gpt-4o-mini (the input differs from the recording)" in done.stdout
    assert openai_server.count == 2


def test_lenient_live_replay_reports_drift(server: Endpoints, openai_server: FakeOpenAI) -> None:
    original = _record(server, openai_server)
    done = _runlens_replay(
        server, openai_server, original, "--policy", "lenient", "--on-divergence", "live",
        prompt="Weather in Rome?",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "drift llm chat gpt-4o-mini (the input differs from the recording)" in done.stdout
    assert "step 0: INPUT_MISMATCH chat gpt-4o-mini" in done.stdout
    assert openai_server.count == 2


def test_unknown_run_and_unreachable_server_are_clear_errors(
    server: Endpoints, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "0" * 32, "--api-url", server.api_url, "--", "true"]) == 1
    assert f"no run '{'0' * 32}' at {server.api_url}" in capsys.readouterr().err

    assert main(["replay", "abc", "--api-url", "http://127.0.0.1:9", "--", "true"]) == 1
    assert "cannot reach the runlens API at http://127.0.0.1:9" in capsys.readouterr().err


def test_a_running_run_cannot_be_replayed(
    server: Endpoints, capsys: pytest.CaptureFixture[str]
) -> None:
    provider = TracerProvider()
    provider.add_span_processor(StartMarkerSpanProcessor(OTLPSpanExporter(
        endpoint=server.otlp_grpc_url, insecure=True)))  # fmt: skip
    span = provider.get_tracer("running-agent").start_span("invoke_agent slow_agent")
    run_id = format(span.get_span_context().trace_id, "032x")
    try:

        def running() -> None:
            query = "query($id: ID!) { run(id: $id) { status } }"
            body = harness.graphql_body(server, query, id=run_id)
            assert (body.get("data") or {}).get("run") == {"status": "RUNNING"}, body

        eventually(running, timeout=20)
        assert main(["replay", run_id, "--api-url", server.api_url, "--", "true"]) == 1
        assert "is still running" in capsys.readouterr().err
    finally:
        span.end()
        provider.shutdown()
