"""`runlens demo` sends runs through the real OTel SDK into a running runlens: finished runs, a
recorded run with its replay, and a live run that keeps working after the command returned."""

from __future__ import annotations

import io
import os
import random
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client
from opentelemetry.sdk.trace import TracerProvider

from runlens.sdk.demo import run_demo
from runlens.sdk.demo_live import fit
from runlens.sdk.demo_scenarios import plan_runs
from runlens.sdk.demo_trace import RunTrace, SimulatedClock
from runlens.serve import Endpoints
from tests.api.conftest import GraphQL
from tests.conftest import running_server
from tests.eventually import eventually

RUNS = 8
LIVE_S = 12.0

LIVE = """query($id: ID!) { run(id: $id) { status durationMs events(first: 200) { edges { node {
  kind status
  ... on LlmCall { streamedText }
  ... on ToolExecution { terminalOutput { chunkCount } }
} } } } }"""
COMPARE = """query($original: ID!, $replay: ID!) {
  compareRuns(originalId: $original, replayId: $replay) {
    matchRate divergenceCount originalCostUsd replayCostUsd actions { verdict key { name } }
  }
  determinismReport(runId: $original) {
    replaysCompared issues { actionName type evidenceSource }
  }
  simulateReplay(runId: $original) { available actions { reason } }
}"""


def rows(sql: Client, query: str, project: str) -> list[dict[str, object]]:
    result = sql.query(query, parameters={"p": project})
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def live_state(gql: GraphQL, run_id: str) -> tuple[str, int, int]:
    """The run's status, how many events it has, and how much they streamed (text + chunks)."""
    run = gql(LIVE, id=run_id)["run"]
    assert run is not None
    nodes = [edge["node"] for edge in run["events"]["edges"]]
    streamed = sum(len(n.get("streamedText") or "") for n in nodes)
    streamed += sum((n.get("terminalOutput") or {}).get("chunkCount", 0) for n in nodes)
    return run["status"], len(nodes), streamed


def wait_exit(pid: int, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.2)
    raise AssertionError(f"the background process {pid} is still running")


def test_demo_leaves_a_live_run_working_and_a_replay_to_compare(
    demo_server: Endpoints, demo_project: str, sql: Client
) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run_demo(demo_server.otlp_grpc_url, RUNS, seed=11, live_s=LIVE_S, out=out, err=err)
    returned = time.monotonic()
    assert (code, err.getvalue()) == (0, "")
    text = out.getvalue()
    live = re.search(
        r"live run (\w{32}) keeps working for 12 s in the background \(process (\d+)\)", text
    )
    pair = re.search(r"recorded run (\w{32}) and its replay (\w{32})", text)
    assert live and pair, text
    live_id, pid = live.group(1), int(live.group(2))
    gql = GraphQL(demo_server.api_url)

    # The live run is running when the command returns, and keeps adding events and output.
    status, events, streamed = eventually(lambda: live_state(gql, live_id), timeout=2)
    assert status == "RUNNING"

    def grown() -> None:
        now = live_state(gql, live_id)
        assert now[0] == "RUNNING" and now[1] > events and now[2] > streamed, now

    eventually(grown, timeout=LIVE_S / 2)
    assert time.monotonic() - returned < LIVE_S

    # The recorded run and its replay: served actions match, the never-replayed note differs,
    # and so does the model call that read it.
    original, replay = pair.group(1), pair.group(2)
    found = eventually(lambda: gql(COMPARE, original=original, replay=replay))
    comparison = found["compareRuns"]
    verdicts = [(a["verdict"], a["key"]["name"]) for a in comparison["actions"]]
    assert verdicts[-2:] == [
        ("OUTPUT_MISMATCH", "execute_tool add_case_note"),
        ("INPUT_MISMATCH", "chat gpt-4o-mini"),
    ]
    assert {v for v, _ in verdicts[:-2]} == {"MATCH"} and len(verdicts) == 7
    assert comparison["divergenceCount"] == 2
    assert 0 < comparison["replayCostUsd"] < comparison["originalCostUsd"]
    report = found["determinismReport"]
    assert report["replaysCompared"] == [replay]
    assert ("execute_tool add_case_note", "REPLAY") in {
        (i["actionName"], i["evidenceSource"]) for i in report["issues"]
    }
    simulation = found["simulateReplay"]
    assert simulation["available"]
    assert Counter(a["reason"] for a in simulation["actions"]) == {"SERVED": 6, "POLICY_NEVER": 1}

    # The finished runs, as before.
    def summarised() -> dict[str, dict[str, object]]:
        runs = {
            str(run["run_id"]): run
            for run in rows(
                sql,
                "SELECT * FROM runlens.run_summaries FINAL WHERE project_id = {p:String}",
                demo_project,
            )
            if run["run_id"] != live_id
        }
        assert Counter(str(run["status"]) for run in runs.values()) == {
            "completed": RUNS - 1,
            "failed": 1,
        }
        return runs

    by_agent = {str(run["agent_name"]): run for run in eventually(summarised).values()}
    failed = next(run for run in by_agent.values() if run["status"] == "failed")
    assert (failed["agent_name"], failed["error_type"]) == ("billing_agent", "RateLimitError")
    assert by_agent["faq_agent"]["unpriced_count"] > 0  # type: ignore[operator]
    assert by_agent["support_agent"]["unpriced_count"] == 0
    assert by_agent["coding_agent"]["error_count"] == 1  # the failing tool; the run recovers
    assert by_agent["trip_planner"]["reasoning_tokens"] > 0  # type: ignore[operator]
    assert by_agent["research_agent"]["cached_tokens"] > 0  # type: ignore[operator]
    spans = rows(
        sql,
        "SELECT kind, trace_id FROM runlens.spans FINAL WHERE project_id = {p:String}",
        demo_project,
    )
    assert {"agent", "llm_call", "tool_execution", "summarization"} <= {s["kind"] for s in spans}

    # The background process ends with its run, which completes.
    assert wait_exit(pid, LIVE_S + 30) == 0

    def completed() -> None:
        status, _, streamed = live_state(gql, live_id)
        assert status == "COMPLETED" and streamed > 0

    eventually(completed)


def test_the_background_run_ends_when_runlens_goes_away(chdb_dsn: str, demo_project: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    with running_server(chdb_dsn, project=demo_project) as endpoints:
        code = run_demo(endpoints.otlp_grpc_url, 2, live_s=5, timeout_s=3, out=out, err=err)
        assert code == 0, err.getvalue()
    live = re.search(r"\(process (\d+)\)", out.getvalue())
    assert live, out.getvalue()
    started = time.monotonic()
    wait_exit(int(live.group(1)), 60)  # its exports fail from now on; it ends all the same
    assert time.monotonic() - started < 30


def test_live_streams_a_run_in_the_foreground_for_the_time_asked(demo_server: Endpoints) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "runlens", "demo", "--endpoint", demo_server.otlp_grpc_url,
         "--live", "4"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert "execute_tool run_tests" in done.stderr  # a progress line per step
    found = re.search(r"live run (\w{32}) completed after", done.stdout)
    assert found, done.stdout
    assert 4 <= took < 30
    gql = GraphQL(demo_server.api_url)

    def completed() -> dict[str, Any]:
        run: dict[str, Any] = gql(LIVE, id=found.group(1))["run"]
        assert run["status"] == "COMPLETED"
        return run

    run = eventually(completed)
    assert 3_500 < run["durationMs"] < 8_000
    kinds = Counter(edge["node"]["kind"] for edge in run["events"]["edges"])
    assert kinds["TOOL_EXECUTION"] >= 4 and kinds["LLM_CALL"] >= 5


def test_unreachable_endpoint_is_reported_without_hanging() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    err = io.StringIO()
    started = time.monotonic()
    assert run_demo(f"http://127.0.0.1:{port}", 3, timeout_s=2, out=io.StringIO(), err=err) == 1
    assert time.monotonic() - started < 20
    assert "no runlens answered" in err.getvalue()


def test_a_seed_gives_the_same_runs() -> None:
    assert plan_runs(random.Random(5), 9) == plan_runs(random.Random(5), 9)
    assert plan_runs(random.Random(5), 9) != plan_runs(random.Random(6), 9)


@pytest.mark.parametrize("seconds", [3, 60, 600])
def test_the_live_script_is_fitted_to_the_time_asked(seconds: float) -> None:
    rng = random.Random(seconds)
    script, scale = fit(rng, seconds)
    clock = SimulatedClock(0)
    RunTrace(TracerProvider().get_tracer("fit"), script, clock, rng).play()
    assert clock.now_ns() / 1e9 * scale == pytest.approx(seconds)
    assert 0.6 < scale < 1.6 or seconds < 10  # long runs do more work, not slower work
