"""`examples/openai_agent.py` and `examples/fake_openai_server.py` run as their docstrings say,
against a real `runlens serve`."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.api.conftest import GraphQL
from tests.e2e.conftest import ROOT, Runlens, run_script, wait_for_run
from tests.e2e.expected import ALL, ANSWER

RUN = """query ($id: ID!) { run(id: $id) {
  status agent { name } turns error { type }
  tokens { input cached output reasoning total }
} }"""


@pytest.fixture(scope="module")
def fake_server_url() -> Iterator[str]:
    """`python examples/fake_openai_server.py --port N`, in a process of its own."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "examples/fake_openai_server.py", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    banner = process.stdout.readline()
    assert f"127.0.0.1:{port}/v1" in banner, banner
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(30)
        process.stdout.close()


def example(fake_server_url: str, runlens: Runlens, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "OPENAI_BASE_URL": fake_server_url,
        "OPENAI_API_KEY": "fake",
        "OTEL_EXPORTER_OTLP_ENDPOINT": runlens.grpc_url,
    }
    return run_script(["examples/openai_agent.py", *args], env)


def test_the_example_agent_answers_and_its_run_is_in_runlens(
    fake_server_url: str, runlens: Runlens, gql: GraphQL
) -> None:
    done = example(fake_server_url, runlens, "What is the weather in Paris?")
    assert done.returncode == 0, done.stderr
    answer, run_line = done.stdout.strip().splitlines()
    assert answer == ANSWER
    run_id = run_line.removeprefix("run ")
    wait_for_run(runlens, run_id, spans=4)  # agent, two model calls, one tool
    run = gql(RUN, id=run_id)["run"]
    assert run["status"] == "COMPLETED" and run["agent"] == {"name": "weather_agent"}
    assert run["turns"] == 2 and run["tokens"] == ALL.run_tokens()


def test_a_refused_prompt_fails_the_example_run(
    fake_server_url: str, runlens: Runlens, gql: GraphQL
) -> None:
    done = example(fake_server_url, runlens, "[overflow] What is the weather?", "--stream")
    assert done.returncode == 1
    run_id = done.stdout.strip().splitlines()[-1].removeprefix("run ")
    wait_for_run(runlens, run_id, spans=2)
    run = gql(RUN, id=run_id)["run"]
    assert run["status"] == "FAILED" and run["error"] == {"type": "CONTEXT_LENGTH"}


def test_the_fake_server_refuses_a_body_that_is_not_a_json_object(fake_server_url: str) -> None:
    for body in (b"[1]", b"{not json"):
        response = httpx.post(f"{fake_server_url}/chat/completions", content=body)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_json"
    assert httpx.post(f"{fake_server_url}/embeddings", json={}).status_code == 404
