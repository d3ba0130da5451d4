"""API latency benchmark: GraphQL reads over HTTP against `runlens serve` on a large embedded
store (10M spans / 400k runs by default). Run with `python -m bench.api`; `--small` for a quick
check, `--help` for the knobs. bench/README.md explains the method.

The dataset is generated straight into the store (not through OTLP) by a spawned loader process
and cached in `--data DIR` (reused while its manifest matches the requested size). Every process
is spawned (never forked: chDB), everything talks over 127.0.0.1, and every wait is bounded.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.api_data import (
    MANIFEST,
    PROJECT,
    SAMPLE_SPANS,
    STORE_DIR,
    DatasetSpec,
    Manifest,
    Progress,
    load_main,
    read_manifest,
)
from bench.api_store import StorePlan, time_store
from bench.ingest import cpu_busy
from bench.serve_process import ServeProcess

_MIN_COST_USD = 0.05

TIMELINE_LIGHT = """query Timeline($id: ID!) { run(id: $id) { id status
  events(first: 25) { totalCount edges { node {
    id spanId parentId sequence kind name status startedAt endedAt durationMs costUsd } } } } }"""
TIMELINE_PAYLOADS = TIMELINE_LIGHT.replace("costUsd }", "costUsd input output }")
RUNS = """query Runs($filter: RunFilter) { runs(first: 50, filter: $filter) {
  pageInfo { hasNextPage endCursor }
  edges { cursor node {
    id name status startedAt endedAt durationMs actionCount turns successRate costUsd
    costComplete models agent { id name } tokens { input cached output reasoning total }
    error { type message } } } } }"""
INTERCEPTS = """query { criticalIntercepts(first: 50) {
  pageInfo { hasNextPage endCursor }
  edges { cursor node {
    run { id name status startedAt costUsd agent { id name } }
    reason { type message } reasons { type } blockedActions budgetUsd } } } }"""
STATS = """query Stats($window: TimeWindow!) { projectStats(window: $window) {
  runs spans actions costUsd tokens { input cached output reasoning total } } }"""


@dataclass(frozen=True, slots=True)
class Probe:
    """One timed GraphQL request; `variables(i, warm)` gives the variables of call i."""

    name: str
    query: str
    variables: Callable[[int, bool], dict[str, Any]]
    target_ms: float | None
    store_read: str  # the matching row of the store timings
    check: Callable[[dict[str, Any]], str | None]  # an error text when the answer is wrong


@dataclass
class Figures:
    http_ms: dict[str, list[float]] = field(default_factory=dict)
    store_ms: dict[str, list[float]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # items in the last answer
    bytes: dict[str, int] = field(default_factory=dict)  # size of the last answer
    rss_mb: float = 0.0
    hwm_mb: float = 0.0


# -- dataset ---------------------------------------------------------------------------------


def ensure_dataset(spec: DatasetSpec, data_dir: Path, fresh: bool, max_seconds: float) -> Manifest:
    """The manifest of a complete dataset for `spec` in `data_dir`, generating it if needed."""
    manifest = None if fresh else read_manifest(data_dir)
    if manifest is not None and manifest.spec == asdict(spec):
        age_h = (time.time_ns() - manifest.generated_at_ns) / 3.6e12
        print(f"reusing the dataset in {data_dir} ({manifest.spans:,} spans, "
              f"{manifest.runs:,} runs, generated {age_h:.1f} h ago)", flush=True)  # fmt: skip
        return manifest
    (data_dir / MANIFEST).unlink(missing_ok=True)
    shutil.rmtree(data_dir / STORE_DIR, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    free_gb = shutil.disk_usage(data_dir).free / 2**30
    need_gb = spec.spans * 700 / 2**30  # about 0.5 KB per span on disk, plus merge headroom
    print(
        f"generating {spec.spans:,} spans / {spec.runs:,} runs over {spec.days:g} days into "
        f"{data_dir} ({free_gb:,.0f} GiB free, ~{need_gb:,.1f} GiB needed)",
        flush=True,
    )
    if free_gb < need_gb * 1.5:
        raise SystemExit(f"not enough free disk in {data_dir}")
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    loader = ctx.Process(target=load_main, args=(asdict(spec), str(data_dir), child), daemon=True)
    loader.start()
    child.close()
    deadline = time.monotonic() + max_seconds
    last_print = 0.0
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"the load did not finish within {max_seconds:g} s")
            if not parent.poll(min(left, 30.0)):
                if not loader.is_alive():
                    raise RuntimeError(f"the loader exited with {loader.exitcode}")
                continue
            message = parent.recv()
            if isinstance(message, Progress):
                if time.monotonic() - last_print > 10 or message.batch == message.batches:
                    last_print = time.monotonic()
                    rate = message.spans / max(message.elapsed_s, 1e-9)
                    print(f"  batch {message.batch}/{message.batches}: {message.spans:,} spans, "
                          f"{message.runs:,} runs, {message.elapsed_s:,.0f} s, "
                          f"{rate:,.0f} spans/s", flush=True)  # fmt: skip
                continue
            if isinstance(message, Manifest):
                loader.join(120)
                return message
            raise RuntimeError(f"the loader failed: {message}")
    finally:
        if loader.is_alive():
            loader.terminate()
            loader.join(30)


# -- server ----------------------------------------------------------------------------------


def wait_healthy(client: httpx.Client, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if client.get("/healthz").status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"/healthz did not answer 200 within {timeout_s:g} s")


def graphql(client: httpx.Client, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query, "variables": variables})
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    return body


# -- probes ----------------------------------------------------------------------------------


def _timeline_check(body: dict[str, Any]) -> str | None:
    events = body["data"]["run"]["events"]
    if events["totalCount"] != SAMPLE_SPANS or len(events["edges"]) != SAMPLE_SPANS:
        return f"expected {SAMPLE_SPANS} events, got {events['totalCount']}"
    return None


def _edges(path: str, at_least: int) -> Callable[[dict[str, Any]], str | None]:
    def check(body: dict[str, Any]) -> str | None:
        count = len(body["data"][path]["edges"])
        return None if count >= at_least else f"{path}: {count} edges, expected >= {at_least}"

    return check


def _rows(name: str, body: dict[str, Any]) -> int:
    data = body["data"]
    if "run" in data:
        return len(data["run"]["events"]["edges"])
    for key in ("runs", "criticalIntercepts"):
        if key in data:
            return len(data[key]["edges"])
    return 1


def other_run_ids(manifest: Manifest, calls: int, warmup: int) -> list[str]:
    """The runs of the payload timeline: other runs than the light one, no run read twice."""
    ids = manifest.sample_run_ids
    return ids[calls + warmup :] + ids[:calls]


def probes(manifest: Manifest, calls: int, warmup: int) -> list[Probe]:
    ids = manifest.sample_run_ids
    if len(ids) < calls + warmup:
        raise SystemExit(f"the dataset has {len(ids)} sample runs; --calls + --warmup must fit")
    measured, warm = ids[:calls], ids[calls : calls + warmup]

    def run_id(i: int, is_warm: bool) -> dict[str, Any]:
        return {"id": warm[i % len(warm)] if is_warm else measured[i]}

    other = other_run_ids(manifest, calls, warmup)

    def other_id(i: int, is_warm: bool) -> dict[str, Any]:
        return {"id": warm[-1 - i % len(warm)] if is_warm else other[i % len(other)]}

    filtered = {
        "filter": {
            "status": ["FAILED"],
            "minCostUsd": _MIN_COST_USD,
            "window": "LAST_7D",
            "agentId": manifest.top_agent,
        }
    }
    return [
        Probe("GET /healthz (no DB)", "", lambda i, w: {}, None, "", lambda body: None),
        Probe("timeline light", TIMELINE_LIGHT, run_id, 20, "timeline", _timeline_check),
        Probe("timeline + payloads", TIMELINE_PAYLOADS, other_id, 20, "timeline + payloads",
              _timeline_check),
        Probe("runs newest 50", RUNS, lambda i, w: {}, 50, "runs newest 50", _edges("runs", 50)),
        Probe("runs filtered", RUNS, lambda i, w: filtered, 50, "runs filtered",
              _edges("runs", 1)),
        Probe("criticalIntercepts 50", INTERCEPTS, lambda i, w: {}, None, "criticalIntercepts",
              _edges("criticalIntercepts", 1)),
        Probe("projectStats 30d", STATS, lambda i, w: {"window": "LAST_30D"}, 50,
              "projectStats 30d", lambda body: None),
    ]  # fmt: skip


def measure(client: httpx.Client, plan: list[Probe], calls: int, warmup: int) -> Figures:
    """Every probe `warmup` times untimed, then `calls` times, round-robin over the probes so
    that a busy moment of the machine hits them all alike."""
    figures = Figures(http_ms={p.name: [] for p in plan})
    for i in range(warmup):
        for probe in plan:
            if probe.query:
                graphql(client, probe.query, probe.variables(i, True))
    for i in range(calls):
        for probe in plan:
            variables = probe.variables(i, False)
            started = time.perf_counter()
            if probe.query:
                response = client.post(
                    "/graphql", json={"query": probe.query, "variables": variables}
                )
            else:
                response = client.get("/healthz")
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            if not probe.query:
                figures.http_ms[probe.name].append(elapsed)
                continue
            body = response.json()
            if body.get("errors"):
                raise RuntimeError(f"{probe.name}: GraphQL errors: {body['errors']}")
            problem = probe.check(body)
            if problem:
                raise RuntimeError(f"{probe.name}: {problem}")
            figures.http_ms[probe.name].append(elapsed)
            figures.rows[probe.name] = _rows(probe.name, body)
            figures.bytes[probe.name] = len(response.content)
    return figures


def verify_counts(client: httpx.Client, manifest: Manifest) -> None:
    stats = graphql(client, STATS, {"window": "ALL"})["data"]["projectStats"]
    if stats["runs"] != manifest.runs or stats["spans"] != manifest.spans:
        raise RuntimeError(
            f"the store holds {stats['runs']:,} runs / {stats['spans']:,} spans, the manifest "
            f"says {manifest.runs:,} / {manifest.spans:,}: regenerate with --fresh"
        )


# -- report ----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def render(manifest: Manifest, figures: Figures, plan: list[Probe], busy: float, calls: int) -> str:
    load = manifest.load
    busy_note = "  (BUSY MACHINE: figures are high and noisy)" if busy > 0.2 else ""
    stored_s = load["insert_s"] + load["recompute_s"]
    lines = [
        "",
        f"runlens API benchmark: {manifest.spans:,} spans / {manifest.runs:,} runs over "
        f"{manifest.spec['days']:g} days, GraphQL over HTTP on 127.0.0.1 (keep-alive), "
        f"{calls} timed calls per query after warm-up, round-robin; {os.cpu_count()} CPUs, "
        f"{busy:.0%} busy before the run{busy_note}",
        f"load: {load['spans'] / max(stored_s, 1e-9):,.0f} spans/s stored (insert "
        f"{load['insert_s']:,.0f} s + summary recompute {load['recompute_s']:,.0f} s, "
        f"{load['batches']} batches), {load['spans'] / max(load['wall_s'], 1e-9):,.0f} spans/s "
        f"wall incl. generation and merge wait ({load['wall_s']:,.0f} s); "
        f"{load['disk_bytes'] / 2**30:,.2f} GiB on disk "
        f"({load['disk_bytes'] / max(load['spans'], 1):,.0f} B/span); "
        f"parts: spans {load['spans_parts']}, run_summaries {load['summary_parts']}; "
        f"loader peak RSS {load['peak_rss_mb']:,.0f} MB",
        "",
        f"{'query':24} {'p50 ms':>8} {'p95 ms':>8} {'target':>8}  {'':6} "
        f"{'store p50':>9} {'p95':>7}  {'rows':>5} {'KB':>6}",
    ]
    for probe in plan:
        http = figures.http_ms[probe.name]
        p50, p95 = statistics.median(http), percentile(http, 95)
        store = figures.store_ms.get(probe.store_read, [])
        s50 = f"{statistics.median(store):9.1f}" if store else f"{'-':>9}"
        s95 = f"{percentile(store, 95):7.1f}" if store else f"{'-':>7}"
        target = f"<= {probe.target_ms:g}" if probe.target_ms is not None else "-"
        mark = "" if probe.target_ms is None else ("ok" if p95 <= probe.target_ms else "MISSED")
        lines.append(
            f"{probe.name:24} {p50:8.1f} {p95:8.1f} {target:>8}  {mark:6} {s50} {s95}  "
            f"{figures.rows.get(probe.name, 0):>5} {figures.bytes.get(probe.name, 0) / 1024:6.1f}"
        )
    lines += [
        "",
        "targets apply to the HTTP p95; 'store' = the same reads called on ClickHouseStore "
        "in-process (no HTTP/GraphQL), after the server stopped; timeline = summary, then "
        "spans without payloads; + payloads = summary, then spans and logs concurrently",
        f"server RSS after the run {figures.rss_mb:,.0f} MB (peak {figures.hwm_mb:,.0f} MB); "
        f"no app-level cache in runlens; ClickHouse query cache use_query_cache="
        f"{load.get('query_cache', '?')} (off), its mark cache and the OS page cache are warm",
    ]
    return "\n".join(lines)


# -- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__)
    parser.add_argument("--spans", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=400_000)
    parser.add_argument("--small", action="store_true", help="200k spans / 8k runs")
    parser.add_argument("--days", type=float, default=100.0, help="length of the timeline")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, help="dataset directory (cached between runs)")
    parser.add_argument("--fresh", action="store_true", help="regenerate even if cached")
    parser.add_argument("--calls", type=int, default=60, help="timed calls per query")
    parser.add_argument("--warmup", type=int, default=5, help="untimed calls per query")
    parser.add_argument("--max-load-seconds", type=float, default=3600)
    parser.add_argument("--no-store", action="store_true", help="skip the in-process timings")
    args = parser.parse_args(argv)
    spans, runs = (200_000, 8_000) if args.small else (args.spans, args.runs)
    spec = DatasetSpec(spans=spans, runs=runs, days=args.days, seed=args.seed)
    data_dir = (
        args.data or Path(tempfile.gettempdir()) / f"runlens-bench-api-{spans}-{runs}-{args.seed}"
    ).resolve()

    busy = cpu_busy(2.0)
    print(f"{busy:.0%} of {os.cpu_count()} CPUs busy before the run", flush=True)
    manifest = ensure_dataset(spec, data_dir, args.fresh, args.max_load_seconds)
    plan = probes(manifest, args.calls, args.warmup)
    never = str(10 * 365 * 86_400)
    server = ServeProcess(
        data_dir / STORE_DIR,
        env={
            "RUNLENS_RETENTION_DAYS": str(spec.retention_days),
            # no lost-run sweep while measuring: it scans run_summaries every 30 s and would
            # close the dataset's running runs (a write) once they are old
            "RUNLENS_RUN_TIMEOUT_S": never,
            "RUNLENS_SWEEP_INTERVAL_S": never,
        },
    )
    started = time.monotonic()
    url = server.start(timeout_s=300).api_url
    try:
        with httpx.Client(base_url=url, timeout=60, trust_env=False) as client:
            wait_healthy(client)
            print(f"runlens serve up at {url} in {time.monotonic() - started:.1f} s", flush=True)
            verify_counts(client, manifest)
            print(f"timing {len(plan)} queries x {args.calls} calls…", flush=True)
            figures = measure(client, plan, args.calls, args.warmup)
        figures.rss_mb = server.rss_bytes() / 2**20
        figures.hwm_mb = server.figures().peak_rss_bytes / 2**20
    finally:
        server.stop()
    if not args.no_store:
        store_plan = StorePlan(
            dsn=f"chdb://{data_dir / STORE_DIR}",
            project_id=PROJECT,
            run_ids=manifest.sample_run_ids[: args.calls],
            other_ids=other_run_ids(manifest, args.calls, args.warmup),
            warmup_ids=manifest.sample_run_ids[args.calls : args.calls + args.warmup],
            top_agent=manifest.top_agent,
            min_cost_usd=_MIN_COST_USD,
            calls=args.calls,
            warmup=args.warmup,
        )
        print("timing the same reads on the store in-process…", flush=True)
        with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
            figures.store_ms = pool.submit(time_store, store_plan).result(timeout=900)
    print(render(manifest, figures, plan, busy, args.calls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
