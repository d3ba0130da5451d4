"""Every reader of a run's cost tells the same figure on the demo's runs, whose research runs
summarize their history with an LLM call: the run (`run.costUsd`), `compareRuns`,
`simulateReplay`, `projectStats` and the export."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest

from runlens.sdk.demo import run_demo
from runlens.serve import Endpoints
from tests.api.conftest import GraphQL
from tests.eventually import eventually

RUNS = 8
RUN_LIST = """{ runs(first: 50) { edges { node {
  id status costUsd agent { name } tokens { input output }
  events(kinds: [SUMMARIZATION]) { edges { node { costUsd } } }
} } } }"""
COSTS = """query ($id: ID!) {
  compareRuns(originalId: $id, replayId: $id) { originalCostUsd }
  simulateReplay(runId: $id) { originalCostUsd }
}"""
STATS = "{ projectStats { runs costUsd tokens { input output } } }"


def test_run_compare_simulate_stats_and_export_agree_on_cost(demo_server: Endpoints) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_demo(demo_server.otlp_grpc_url, RUNS, seed=11, live_s=0, out=out, err=err) == 0, err
    gql = GraphQL(demo_server.api_url)

    def listed() -> list[dict[str, Any]]:
        runs = [edge["node"] for edge in gql(RUN_LIST)["runs"]["edges"]]
        assert len(runs) == RUNS
        assert "RUNNING" not in {r["status"] for r in runs}
        return runs

    runs = eventually(listed)
    research = [r for r in runs if r["agent"]["name"] == "research_agent"]
    summarized = [
        r
        for r in research
        if any(e["node"]["costUsd"] for e in r["events"]["edges"])  # LLM calls that summarize
    ]
    assert summarized, "the demo's research runs summarize with an LLM call"

    for run in runs:
        costs = gql(COSTS, id=run["id"])
        cost = run["costUsd"] or 0.0
        assert costs["compareRuns"]["originalCostUsd"] == pytest.approx(cost), run["agent"]
        assert costs["simulateReplay"]["originalCostUsd"] == pytest.approx(cost), run["agent"]

    stats = gql(STATS)["projectStats"]
    assert stats["runs"] == RUNS
    assert stats["costUsd"] == pytest.approx(sum(r["costUsd"] or 0.0 for r in runs))
    assert stats["tokens"]["input"] == sum(r["tokens"]["input"] for r in runs)

    exported = httpx.get(f"{demo_server.api_url}/export/runs?format=json", timeout=30).json()
    by_id = {r["id"]: r for r in runs}
    assert {r["id"] for r in exported} == set(by_id)
    for row in exported:
        assert row["costUsd"] == pytest.approx(by_id[row["id"]]["costUsd"])
        counted = [a for a in row["actions"] if a["counted"]]
        assert sum(a["costUsd"] or 0.0 for a in counted) == pytest.approx(row["costUsd"] or 0.0)
