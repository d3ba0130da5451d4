"""`runlens demo` sends runs through the real OTel SDK into a running runlens; read back in SQL."""

from __future__ import annotations

import io
import random
import socket
import threading
import time
from collections import Counter

from clickhouse_connect.driver.client import Client

from runlens.sdk.demo import run_demo
from runlens.sdk.demo_scenarios import plan_runs
from runlens.serve import Endpoints
from tests.eventually import eventually

RUNS = 8


def rows(sql: Client, query: str, project: str) -> list[dict[str, object]]:
    result = sql.query(query, parameters={"p": project})
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def test_demo_runs_arrive_with_their_statuses_kinds_and_costs(
    demo_server: Endpoints, demo_project: str, sql: Client
) -> None:
    out, err = io.StringIO(), io.StringIO()
    seen_running: list[str] = []
    finished = threading.Event()

    def send() -> None:
        try:
            assert run_demo(demo_server.otlp_grpc_url, RUNS, seed=11, out=out, err=err) == 0
        finally:
            finished.set()

    sender = threading.Thread(target=send)
    sender.start()
    # The live run is visible through its start marker while it still runs.
    deadline = time.monotonic() + 30
    while not finished.is_set() and not seen_running and time.monotonic() < deadline:
        seen_running = [
            str(run["run_id"])
            for run in rows(
                sql,
                "SELECT run_id FROM runlens.run_summaries FINAL "
                "WHERE project_id = {p:String} AND status = 'running'",
                demo_project,
            )
        ]
        finished.wait(0.05)
    sender.join(30)
    assert not sender.is_alive()
    assert err.getvalue() == ""
    assert f"sent {RUNS} agent runs" in out.getvalue()
    assert len(seen_running) == 1

    def summarised() -> dict[str, dict[str, object]]:
        runs = {
            str(run["run_id"]): run
            for run in rows(
                sql,
                "SELECT * FROM runlens.run_summaries FINAL WHERE project_id = {p:String}",
                demo_project,
            )
        }
        assert len(runs) == RUNS
        assert Counter(str(run["status"]) for run in runs.values()) == {
            "completed": RUNS - 1,
            "failed": 1,
        }
        assert runs[seen_running[0]]["status"] == "completed"
        failed = next(run for run in runs.values() if run["status"] == "failed")
        assert (failed["agent_name"], failed["error_type"]) == ("billing_agent", "RateLimitError")
        return runs

    runs = eventually(summarised)
    by_agent = {str(run["agent_name"]): run for run in runs.values()}
    assert by_agent["faq_agent"]["unpriced_count"] > 0  # type: ignore[operator]
    assert by_agent["support_agent"]["unpriced_count"] == 0
    assert float(by_agent["support_agent"]["cost_usd"]) > 0  # type: ignore[arg-type]
    assert by_agent["coding_agent"]["error_count"] == 1  # the failing tool; the run recovers
    assert by_agent["trip_planner"]["reasoning_tokens"] > 0  # type: ignore[operator]
    assert by_agent["research_agent"]["cached_tokens"] > 0  # type: ignore[operator]

    spans = rows(
        sql,
        "SELECT kind, status, tool_call_id FROM runlens.spans FINAL WHERE project_id = {p:String}",
        demo_project,
    )
    assert {"agent", "llm_call", "tool_execution", "summarization"} <= {s["kind"] for s in spans}
    assert "running" not in {s["status"] for s in spans}
    executed = {s["tool_call_id"] for s in spans if s["kind"] == "tool_execution"}
    requested = {
        row["id"]
        for row in rows(
            sql,
            "SELECT call.id AS id FROM runlens.spans FINAL ARRAY JOIN tool_calls AS call "
            "WHERE project_id = {p:String}",
            demo_project,
        )
    }
    assert executed and executed <= requested


def test_unreachable_endpoint_is_reported_without_hanging() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    err = io.StringIO()
    started = time.monotonic()
    assert run_demo(f"http://127.0.0.1:{port}", 3, timeout_s=2, out=io.StringIO(), err=err) == 1
    assert time.monotonic() - started < 10
    assert "no runlens answered" in err.getvalue()


def test_a_seed_gives_the_same_runs() -> None:
    assert plan_runs(random.Random(5), 9) == plan_runs(random.Random(5), 9)
    assert plan_runs(random.Random(5), 9) != plan_runs(random.Random(6), 9)
