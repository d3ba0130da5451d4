"""A crash between acknowledging spans and refreshing their runs' summaries loses no run.

A real `runlens serve` receives agent runs through the OpenTelemetry SDK and its OTLP/gRPC
exporter (every span acknowledged as it ends), with summary refreshes held back for an hour
(`RUNLENS_REFRESH_GAP_S`) so the SIGKILL lands, every time, after the acknowledgements and
before any refresh. Restarted on the same directory, the server must list every acknowledged
run through GraphQL with the totals its spans add up to.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from bench.serve_process import ServeProcess
from tests.collector.agent import provider, weather_run
from tests.eventually import eventually

RUNS = 6

COUNT_SUMMARIES = """
import sys, clickhouse_connect
client = clickhouse_connect.get_client(dsn=sys.argv[1])
print(client.query("SELECT count() FROM runlens.run_summaries").result_rows[0][0])
"""

RUN = """query ($id: ID!) { run(id: $id) {
  id status actionCount turns costUsd tokens { input cached output total }
  events(first: 50) { edges { node { kind costUsd } } } } }"""

RUNS_PAGE = "{ runs(first: 50, filter: { window: ALL }) { edges { node { id actionCount } } } }"


def graphql(api_url: str, query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{api_url}/graphql", json={"query": query, "variables": variables}, timeout=30
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def summaries_stored(data: Path) -> int:
    result = subprocess.run(
        [sys.executable, "-c", COUNT_SUMMARIES, f"chdb://{data}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return int(result.stdout.strip().splitlines()[-1])


def test_runs_acknowledged_before_a_crash_are_listed_with_their_totals(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = ServeProcess(data, env={"RUNLENS_REFRESH_GAP_S": "3600"})
    endpoints = server.start()
    try:
        exporter = OTLPSpanExporter(endpoint=f"127.0.0.1:{endpoints.grpc_port}", insecure=True)
        tracer_provider = provider(SimpleSpanProcessor(exporter))
        runs = [weather_run(tracer_provider, fail_tool=n % 2 == 1) for n in range(RUNS)]
    finally:
        server.kill()  # SIGKILL: the runs to refresh were only in the server's memory
    assert summaries_stored(data) == 0  # the kill came before any refresh

    restarted = ServeProcess(data)
    api_url = restarted.start().api_url
    try:

        def every_run_listed() -> None:
            listed = graphql(api_url, RUNS_PAGE)["runs"]["edges"]
            assert sorted(edge["node"]["id"] for edge in listed) == sorted(runs)

        eventually(every_run_listed, timeout=30)
        for n, run_id in enumerate(runs):
            run = graphql(api_url, RUN, id=run_id)["run"]
            assert run["id"] == run_id
            assert run["status"] == "COMPLETED"
            assert run["actionCount"] == 3  # two LLM calls and a tool call
            assert run["turns"] == 2
            # weather_run's calls: 100 + 200 input tokens, 40 cached each, 20 output each
            assert run["tokens"] == {"input": 300, "cached": 80, "output": 40, "total": 340}
            costs = [e["node"]["costUsd"] for e in run["events"]["edges"]]
            call_costs = [
                cost
                for edge, cost in zip(run["events"]["edges"], costs, strict=True)
                if edge["node"]["kind"] == "LLM_CALL"
            ]
            assert len(call_costs) == 2 and all(c is not None and c > 0 for c in call_costs)
            assert abs(run["costUsd"] - sum(call_costs)) < 1e-12, n
    finally:
        assert restarted.stop() == 0
