"""Analysis latency benchmark: `compareRuns` of two 1,000-action runs and `determinismReport`
over a 1,000-action run, through GraphQL over HTTP against `runlens serve`.

Run with `python -m bench.analysis` (`make bench-analysis`); `--actions`, `--requests` for the
knobs. Three runs of one agent are sent through the OpenTelemetry SDK's OTLP/gRPC exporter to a
spawned `runlens serve` on a fresh embedded store: an original, a replay of it (served LLM
calls, every 20th tool result different) and a repeated run with the same input. The
determinism report of the original therefore compares it with both. Prints p50/p95 of each
query; exit status 1 when a p95 misses its target.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from bench.serve_process import ServeProcess

TARGET_P95_MS = 200.0
AGENT = "bench_analysis_agent"

COMPARE = """query($a: ID!, $b: ID!) { compareRuns(originalId: $a, replayId: $b) {
  matchRate divergenceCount originalCostUsd replayCostUsd savingsUsd
  firstDivergence { step verdict key { name } diff { path original replay } }
  actions { step verdict original { spanId name } replay { spanId name } } } }"""
DETERMINISM = """query($id: ID!) { determinismReport(runId: $id) {
  score band replaysCompared repeatedRunsCompared
  issues { spanId actionName type severity evidenceSource description evidence
           recommendation { text before after } } } }"""


@dataclass(frozen=True, slots=True)
class RunShape:
    actions: int
    replay_of: str = ""  # set on a replay: LLM calls served, every 20th tool result differs


def _chat(turn: int, replayed: bool) -> dict[str, Any]:
    asked = [{"role": "user", "parts": [{"type": "text", "content": f"step {turn}: look up"}]}]
    answer = {"type": "tool_call", "id": f"call_{turn}", "name": "lookup", "arguments": {"q": turn}}
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.input.messages": json.dumps(asked),
        "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": [answer]}]),
        "gen_ai.usage.input_tokens": 0 if replayed else 400 + turn,
        "gen_ai.usage.output_tokens": 0 if replayed else 40,
    }
    if replayed:
        attributes["runlens.action.outcome"] = "replayed"
    return attributes


def _tool(turn: int, varied: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"q": turn, "rows": [turn, turn * 2, turn * 3], "ok": True}
    if turn % 50 == 0:
        result["fetched_at"] = "2026-11-20T10:00:00Z"
    if varied:
        result["request_id"] = str(uuid.uuid4())
    return {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "lookup",
        "gen_ai.tool.call.id": f"call_{turn}",
        "gen_ai.tool.call.arguments": json.dumps({"q": turn}),
        "gen_ai.tool.call.result": json.dumps(result),
    }


def send_run(provider: TracerProvider, shape: RunShape, start_ns: int) -> str:
    """One run of `shape.actions` actions (chat, tool, chat, tool, …); returns its run id."""
    tracer = provider.get_tracer("bench-analysis")
    root_attributes: dict[str, Any] = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.id": AGENT,
        "gen_ai.agent.name": AGENT,
        "input.value": "analyse the quarterly numbers",
    }
    if shape.replay_of:
        root_attributes["runlens.replay.of"] = shape.replay_of
    root = tracer.start_span(
        f"invoke_agent {AGENT}", start_time=start_ns, attributes=root_attributes
    )
    parent = trace.set_span_in_context(root)
    at = start_ns
    for index in range(shape.actions):
        turn = index // 2
        is_chat = index % 2 == 0
        if is_chat:
            name, attributes = "chat gpt-4o-mini", _chat(turn, bool(shape.replay_of))
        else:
            varied = bool(shape.replay_of) and turn % 20 == 0
            name, attributes = "execute_tool lookup", _tool(turn, varied)
        if shape.replay_of:
            attributes["runlens.replay.of"] = shape.replay_of
        span = tracer.start_span(name, context=parent, start_time=at, attributes=attributes)
        span.end(end_time=at + 500_000)
        at += 1_000_000
    root.end(end_time=at)
    return format(root.get_span_context().trace_id, "032x")


def _wait_ended(client: httpx.Client, run_ids: list[str], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    pending = set(run_ids)
    while pending:
        for run_id in list(pending):
            body = client.post("/graphql", json={
                "query": "query($id: ID!) { run(id: $id) { status actionCount } }",
                "variables": {"id": run_id},
            }).json()  # fmt: skip
            run = (body.get("data") or {}).get("run")
            if run and run["status"] != "RUNNING":
                pending.discard(run_id)
        if pending and time.monotonic() > deadline:
            raise RuntimeError(f"runs not stored within {timeout_s:g} s: {sorted(pending)}")
        time.sleep(0.2)


def time_query(
    client: httpx.Client, query: str, variables: dict[str, Any], requests: int, warmup: int
) -> list[float]:
    timings: list[float] = []
    for n in range(warmup + requests):
        started = time.perf_counter()
        response = client.post("/graphql", json={"query": query, "variables": variables})
        elapsed = (time.perf_counter() - started) * 1000
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"query failed: {response.status_code} {body}")
        if n >= warmup:
            timings.append(elapsed)
    return timings


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.analysis", description=__doc__)
    parser.add_argument("--actions", type=int, default=1000, help="actions per run [1000]")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per query")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per query")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="runlens-bench-analysis-") as tmp:
        process = ServeProcess(Path(tmp) / "data")
        endpoints = process.start()
        try:
            provider = TracerProvider(resource=Resource.create({"service.name": AGENT}))
            exporter = OTLPSpanExporter(endpoint=endpoints.otlp_grpc_url, insecure=True)
            provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=20_000))
            now = time.time_ns() - 600 * 1_000_000_000
            step = (args.actions + 10) * 1_000_000
            original = send_run(provider, RunShape(args.actions), now)
            replay = send_run(provider, RunShape(args.actions, replay_of=original), now + step)
            repeated = send_run(provider, RunShape(args.actions), now + 2 * step)
            provider.shutdown()
            with httpx.Client(base_url=endpoints.api_url, timeout=60) as client:
                _wait_ended(client, [original, replay, repeated])
                figures = {
                    f"compareRuns (2 x {args.actions} actions)": time_query(
                        client, COMPARE, {"a": original, "b": replay}, args.requests, args.warmup
                    ),
                    f"determinismReport ({args.actions} actions, 2 related runs)": time_query(
                        client, DETERMINISM, {"id": original}, args.requests, args.warmup
                    ),
                }
        finally:
            process.stop()
    print(f"{'query':<48} {'p50 ms':>8} {'p95 ms':>8} {'target':>8}")
    missed = False
    for name, timings in figures.items():
        p50, p95 = statistics.median(timings), percentile(timings, 95)
        ok = p95 <= TARGET_P95_MS
        missed |= not ok
        mark = "ok" if ok else "MISSED"
        print(f"{name:<48} {p50:8.1f} {p95:8.1f} {TARGET_P95_MS:8.0f}  {mark}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
