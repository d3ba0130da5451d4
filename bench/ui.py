"""Web UI benchmark: the Runs page and a run's details in headless chromium (Playwright),
against `runlens serve` on the API benchmark's dataset. Run with `python -m bench.ui`
(`--spans/--runs` as bench.api; 200k spans / 8k runs by default, `--large` for bench.api's
10M / 400k). Prints, over `--calls` page loads each (fresh browser context, so no cache):

- Runs page to 50 rows: navigation start to 50 rows in the table;
- a 1,000-action run interactive: navigation start to its first 100 actions listed, the
  count shown and a click on "Expand all" answered;
- filter change: a click on a status or window filter to the updated list, p50 and p95.

The 1,000-action run is sent through the OTel SDK (OTLP/gRPC) before timing, into a project of
its own (an API key made with `runlens keys create`), so the cached dataset keeps the counts
bench.api checks; its page is opened with that key. Needs /usr/bin/chromium (Debian's package).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from bench.api import ensure_dataset, wait_healthy
from bench.api_data import STORE_DIR, DatasetSpec
from bench.ingest import cpu_busy
from bench.serve_process import ServeProcess
from runlens.serve import Endpoints

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
ACTIONS = 1_000
BIG_RUN_PROJECT = "bench-ui"
# The filters a filter change cycles through (each a click on the Runs page).
FILTER_CLICKS = [
    ("checkbox", "Failed", "status=FAILED"),
    ("checkbox", "Failed", ""),
    ("window", "7d", "window=7d"),
    ("window", "all", ""),
]


def make_key(store: Path) -> str:
    """A key of the project BIG_RUN_PROJECT (the store must not be open elsewhere: chDB)."""
    made = subprocess.run(
        [sys.executable, "-m", "runlens", "keys", "--clickhouse-url", f"chdb://{store}",
         "create", "--project", BIG_RUN_PROJECT, "--name", "bench.ui"],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    found = re.search(r"rlk_[A-Za-z0-9_\-]+", made.stdout)
    if found is None:
        raise RuntimeError(f"runlens keys create printed no key: {made.stdout}")
    return found[0]


def send_big_run(endpoints: Endpoints, key: str) -> str:
    """A run of ACTIONS alternating LLM calls and tool executions, through the OTel SDK."""
    exporter = OTLPSpanExporter(
        endpoint=f"127.0.0.1:{endpoints.grpc_port}",
        insecure=True,
        headers={"authorization": f"Bearer {key}"},
    )
    provider = TracerProvider(resource=Resource.create({"service.name": "bench-ui"}))
    provider.add_span_processor(BatchSpanProcessor(exporter, max_export_batch_size=500))
    tracer = provider.get_tracer("bench-ui")
    attrs = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "bench_ui_agent"}
    with tracer.start_as_current_span("invoke_agent bench_ui_agent", attributes=attrs) as root:
        for i in range(ACTIONS):
            if i % 2:
                tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup",
                        "gen_ai.tool.call.arguments": f'{{"q": {i}}}',
                        "gen_ai.tool.call.result": f'{{"answer": "item {i}"}}'}  # fmt: skip
                tracer.start_span("execute_tool lookup", attributes=tool).end()
            else:
                chat: dict[str, str | int] = {
                        "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini",
                        "gen_ai.usage.input_tokens": 200, "gen_ai.usage.output_tokens": 40,
                        "gen_ai.input.messages": f'[{{"role":"user","parts":[{{"type":"text","content":"step {i}"}}]}}]'}  # fmt: skip # noqa: E501
                tracer.start_span("chat gpt-4o-mini", attributes=chat).end()
    provider.shutdown()
    return format(root.get_span_context().trace_id, "032x")


def wait_run(client: httpx.Client, run_id: str, key: str, timeout_s: float = 120) -> None:
    query = "query ($id: ID!) { run(id: $id) { actionCount status } }"
    deadline = time.monotonic() + timeout_s
    auth = {"Authorization": f"Bearer {key}"}
    while time.monotonic() < deadline:
        payload = {"query": query, "variables": {"id": run_id}}
        body = client.post("/graphql", json=payload, headers=auth).json()
        run = (body.get("data") or {}).get("run")
        if run and run["actionCount"] >= ACTIONS and run["status"] == "COMPLETED":
            return
        time.sleep(0.2)
    raise RuntimeError(f"the {ACTIONS}-action run was not stored within {timeout_s:g} s")


def timed_loads(
    browser: Any,
    url: str,
    ready: str,
    calls: int,
    *,
    then: str | None = None,
    key: str | None = None,
) -> list[float]:
    """ms from navigation start until the JS function `ready` returns true (and `then` ran);
    functions, not expressions: the page's Content-Security-Policy forbids eval."""
    figures = []
    origin = "/".join(url.split("/")[:3])
    storage = {"origins": [{"origin": origin, "localStorage": [
        {"name": "runlens.apiKey", "value": key}]}]} if key else None  # fmt: skip
    for _ in range(calls):
        context = browser.new_context(
            viewport={"width": 1400, "height": 900}, storage_state=storage
        )
        page = context.new_page()
        page.goto(url, wait_until="commit")
        page.wait_for_function(ready, timeout=60_000, polling="raf")
        if then is not None:
            page.evaluate(then)
        figures.append(page.evaluate("performance.now()"))
        context.close()
    return figures


def filter_changes(browser: Any, base: str, calls: int) -> list[float]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(base + "/runs")
    page.wait_for_function(
        "() => document.querySelectorAll('tr[data-run]').length >= 50", timeout=60_000
    )
    figures = []
    for i in range(calls):
        kind, name, expect = FILTER_CLICKS[i % len(FILTER_CLICKS)]
        target = (
            page.get_by_role("checkbox", name=name)
            if kind == "checkbox"
            else page.locator(".segmented label", has_text=name)
        )
        target.scroll_into_view_if_needed()
        started = page.evaluate("performance.now()")
        target.click()
        page.wait_for_function(
            "([expect]) => { const s = document.querySelector('.runs-page');"
            " return s.getAttribute('aria-busy') === 'false' && s.dataset.shown === expect; }",
            arg=[expect],
            timeout=60_000,
            polling="raf",
        )
        figures.append(page.evaluate("performance.now()") - started)
    context.close()
    return figures


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ui", description=__doc__)
    parser.add_argument("--spans", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=8_000)
    parser.add_argument("--large", action="store_true", help="10M spans / 400k runs (bench.api)")
    parser.add_argument("--days", type=float, default=100.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, help="dataset directory (shared with bench.api)")
    parser.add_argument("--calls", type=int, default=20, help="timed page loads per figure")
    parser.add_argument("--max-load-seconds", type=float, default=3600)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit("bench.ui needs chromium: apt-get install -y chromium")
    spans, runs = (10_000_000, 400_000) if args.large else (args.spans, args.runs)
    spec = DatasetSpec(spans=spans, runs=runs, days=args.days, seed=args.seed)
    data_dir = (
        args.data or Path(tempfile.gettempdir()) / f"runlens-bench-api-{spans}-{runs}-{args.seed}"
    ).resolve()
    busy = cpu_busy(2.0)
    print(f"{busy:.0%} of {os.cpu_count()} CPUs busy before the run", flush=True)
    manifest = ensure_dataset(spec, data_dir, False, args.max_load_seconds)
    key = make_key(data_dir / STORE_DIR)
    never = str(10 * 365 * 86_400)
    server = ServeProcess(
        data_dir / STORE_DIR,
        env={
            "RUNLENS_RETENTION_DAYS": str(spec.retention_days),
            "RUNLENS_RUN_TIMEOUT_S": never,
            "RUNLENS_SWEEP_INTERVAL_S": never,
        },
    )
    endpoints = server.start(timeout_s=300)
    base = endpoints.api_url
    from playwright.sync_api import sync_playwright

    try:
        with httpx.Client(base_url=base, timeout=60, trust_env=False) as client:
            wait_healthy(client)
            run_id = send_big_run(endpoints, key)
            wait_run(client, run_id, key)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            timed_loads(
                browser,
                base + "/runs",
                "() => document.querySelectorAll('tr[data-run]').length >= 50",
                2,
            )
            rows = timed_loads(
                browser,
                base + "/runs",
                "() => document.querySelectorAll('tr[data-run]').length >= 50",
                args.calls,
            )
            ready = (
                "() => document.querySelectorAll('li.action').length >= 100"
                f" && document.body.innerText.includes('{ACTIONS} actions')"
            )
            click = (
                "(() => { const b = [...document.querySelectorAll('button')]"
                ".find(x => x.textContent.trim() === 'Expand all'); b.click(); })()"
            )
            run = timed_loads(
                browser, f"{base}/runs/{run_id}", ready, args.calls, then=click, key=key
            )
            changes = filter_changes(browser, base, args.calls * 2)
            browser.close()
    finally:
        server.stop()
    print(
        f"\nbench.ui: {manifest.spans:,} spans / {manifest.runs:,} runs, {args.calls} loads per "
        f"figure, headless chromium, {busy:.0%} CPU busy before\n"
        f"  Runs page to 50 rows          p50 {statistics.median(rows):7.0f} ms   "
        f"p95 {pct(rows, 0.95):7.0f} ms\n"
        f"  {ACTIONS:,}-action run interactive  p50 {statistics.median(run):7.0f} ms   "
        f"p95 {pct(run, 0.95):7.0f} ms\n"
        f"  filter change to new list     p50 {statistics.median(changes):7.0f} ms   "
        f"p95 {pct(changes, 0.95):7.0f} ms   ({len(changes)} changes)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
