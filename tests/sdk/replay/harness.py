"""Record and replay agent runs through a running runlens, and ask it about them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from opentelemetry.sdk.trace import TracerProvider

from runlens.sdk.replay import OnDivergence, Policy, ReplayConfig, ReplaySession, activate
from runlens.serve import Endpoints
from tests.eventually import eventually
from tests.sdk.replay import weather_agent

Agent = Callable[[TracerProvider], str]


def graphql_body(endpoints: Endpoints, query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{endpoints.api_url}/graphql", json={"query": query, "variables": variables}, timeout=30
    )
    body: dict[str, Any] = response.json()
    return body


def graphql(endpoints: Endpoints, query: str, **variables: Any) -> dict[str, Any]:
    body = graphql_body(endpoints, query, **variables)
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def wait_ended(endpoints: Endpoints, run_id: str) -> None:
    def ended() -> None:
        run = graphql(endpoints, "query($id: ID!) { run(id: $id) { status } }", id=run_id)["run"]
        assert run is not None and run["status"] != "RUNNING", run

    eventually(ended, timeout=20)


def record(endpoints: Endpoints, agent: Agent) -> str:
    """Run `agent` with a provider exporting to runlens; the run id once the run has ended."""
    provider = weather_agent.provider(endpoints.otlp_grpc_url)
    try:
        run_id = agent(provider)
    finally:
        provider.shutdown()
    wait_ended(endpoints, run_id)
    return run_id


def session(
    endpoints: Endpoints,
    original: str,
    policy: Policy = Policy.STRICT,
    on_divergence: OnDivergence = OnDivergence.STOP,
) -> ReplaySession:
    config = ReplayConfig(original, policy, on_divergence, api_url=endpoints.api_url)
    return ReplaySession.start(config)


def replay(endpoints: Endpoints, replaying: ReplaySession, agent: Agent) -> str:
    """Run `agent` as a replay of `replaying`; the replay's run id once it has ended."""
    with activate(replaying):
        run_id = record(endpoints, agent)
    assert run_id == replaying.run_id
    return run_id


COMPARE = """
query($original: ID!, $replay: ID!) {
  compareRuns(originalId: $original, replayId: $replay) {
    matchRate divergenceCount originalCostUsd replayCostUsd savingsUsd
    firstDivergence { step verdict key { name } diff { path original replay } }
    actions { step verdict key { name } replay { name } }
  }
}
"""

DETERMINISM = """
query($id: ID!) {
  determinismReport(runId: $id) {
    score replaysCompared
    issues { actionName type severity evidenceSource description }
  }
}
"""


def compare(endpoints: Endpoints, original: str, replay_id: str) -> dict[str, Any]:
    data = graphql(endpoints, COMPARE, original=original, replay=replay_id)
    result: dict[str, Any] = data["compareRuns"]
    return result
