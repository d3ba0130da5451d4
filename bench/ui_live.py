"""The web UI under load, in headless chromium: the Live Run Viewer following a run that starts
`--rate` spans per second for `--seconds` (event-to-screen latency, DOM size, JS heap), and the
Run Timeline of a `--events`-span run (open time: its count and first rows shown; the first
event's detail; long tasks while scrolling it end to end; how long the last page takes to
show once scrolling stops, the list reading the pages in view).

    .venv/bin/python -m bench.ui_live                      # 200 spans/s for 60 s; 10,000 events
    .venv/bin/python -m bench.ui_live --seconds 20 --events 2000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, Tracer

from bench.ingest import cpu_busy
from bench.serve_process import ServeProcess
from runlens.sdk import StartMarkerSpanProcessor
from runlens.serve import Endpoints

CHROMIUM = "/usr/bin/chromium"
# Each entry the live view adds is timed against the send time in its tool's name.
WATCH = """(() => {
  window.__lat = [];
  new MutationObserver((records) => {
    const at = Date.now();
    for (const r of records) for (const n of r.addedNodes) {
      const m = n.nodeType === 1 && /tool_(\\d{13})/.exec(n.textContent);
      if (m && n.matches("li.entry-tool")) window.__lat.push(at - Number(m[1]));
    }
  }).observe(document.body, { childList: true, subtree: true });
})()"""
LONG_TASKS = """window.__long = [];
new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__long.push(e.duration)))
  .observe({ type: "longtask", buffered: true });"""


def tracer(server: Endpoints, markers: bool) -> tuple[TracerProvider, Tracer]:
    endpoint = f"127.0.0.1:{server.grpc_port}"
    provider = TracerProvider(resource=Resource.create({"service.name": "ui-bench"}))
    provider.add_span_processor(
        BatchSpanProcessor(
            OTLPSpanExporter(endpoint=endpoint, insecure=True),
            schedule_delay_millis=50,
            max_queue_size=100_000,
            max_export_batch_size=512,
        )
    )
    if markers:
        provider.add_span_processor(
            StartMarkerSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=True))
        )
    return provider, provider.get_tracer("ui-bench")


def root(tracer: Tracer, agent: str) -> Span:
    return tracer.start_span(
        f"invoke_agent {agent}",
        attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": agent},
    )


def tool_span(tracer: Tracer, parent: Span, name: str) -> None:
    span = tracer.start_span(
        f"execute_tool {name}",
        context=trace.set_span_in_context(parent),
        attributes={
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": name,
            "gen_ai.tool.call.arguments": '{"q": "x"}',
        },
    )
    span.end()


def run_id(span: Span) -> str:
    return format(span.get_span_context().trace_id, "032x")


def live(page: Any, server: Endpoints, base: str, rate: int, seconds: float) -> dict[str, float]:
    provider, tr = tracer(server, markers=True)
    top = root(tr, "live_bench")
    tool_span(tr, top, "warmup")
    page.goto(f"{base}/runs/{run_id(top)}/live")
    page.locator(".entry-tool").first.wait_for(timeout=90_000)
    page.evaluate(WATCH)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    samples: list[tuple[float, int, float]] = []  # (t, DOM nodes, JS heap MB)
    stop = threading.Event()

    def send() -> None:
        start = time.monotonic()
        sent = 0
        while not stop.is_set() and time.monotonic() - start < seconds:
            due = int((time.monotonic() - start) * rate)
            while sent < due:
                tool_span(tr, top, f"tool_{int(time.time() * 1000)}")
                sent += 1
            time.sleep(0.005)

    sender = threading.Thread(target=send)
    began = time.monotonic()
    sender.start()
    while sender.is_alive():
        time.sleep(5)
        nodes = page.evaluate("document.getElementsByTagName('*').length")
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        samples.append((time.monotonic() - began, nodes, metrics["JSHeapUsedSize"] / 2**20))
    time.sleep(3)
    latencies = sorted(page.evaluate("window.__lat"))
    top.end()
    provider.shutdown()
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    heap = [s[2] for s in samples]
    third = max(len(heap) // 3, 1)
    return {
        "entries timed": len(latencies),
        "p50 ms": statistics.median(latencies) if latencies else float("nan"),
        "p95 ms": p95,
        "DOM nodes max": max(s[1] for s in samples),
        "heap MB first third": statistics.mean(heap[:third]),
        "heap MB last third": statistics.mean(heap[-third:]),
    }


def timeline(page: Any, server: Endpoints, base: str, events: int) -> dict[str, float]:
    provider, tr = tracer(server, markers=False)
    top = root(tr, "timeline_bench")
    for i in range(events - 1):
        tool_span(tr, top, f"step_{i}")
    top.end()
    provider.shutdown()
    run = run_id(top)
    deadline = time.monotonic() + 300
    query = {"query": "query($id: ID!) { run(id: $id) { spanCount } }", "variables": {"id": run}}
    while time.monotonic() < deadline:
        body = httpx.post(f"{base}/graphql", json=query, timeout=60).json()
        if (body.get("data") or {}).get("run") and body["data"]["run"]["spanCount"] == events:
            break
        time.sleep(1)
    page.add_init_script(LONG_TASKS)
    began = time.monotonic()
    page.goto(f"{base}/runs/{run}/timeline")
    page.get_by_text(f"{events} events").wait_for(timeout=120_000)
    page.locator(".ev-row").first.wait_for(timeout=120_000)
    opened = time.monotonic() - began
    page.locator(".event-detail .section").first.wait_for(timeout=120_000)
    detail = time.monotonic() - began
    page.evaluate("window.__long = []")
    box = page.locator(".ev-list")
    height = box.evaluate("el => el.scrollHeight")
    scrolled = time.monotonic()
    for top_px in range(0, height, 900):
        box.evaluate(f"el => {{ el.scrollTop = {top_px}; }}")
        page.wait_for_timeout(16)
    scroll_s = time.monotonic() - scrolled
    # The list reads the pages that come into view once scrolling rests: the last one.
    page.locator(".ev-row", has_text=f"step_{events - 2}").wait_for(timeout=120_000)
    last_page = time.monotonic() - scrolled - scroll_s
    long_tasks = page.evaluate("window.__long")
    return {
        "open s": opened,
        "first detail s": detail,
        "scroll s": scroll_s,
        "last page read s": last_page,
        "long tasks": len(long_tasks),
        "longest task ms": max(long_tasks, default=0.0),
        "rows in DOM": page.locator(".ev-row").count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=200, help="spans per second (live)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--events", type=int, default=10_000, help="events of the Timeline run")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"CPU busy before start: {cpu_busy(1.0):.0%} of all cores")
    server = ServeProcess(Path(tempfile.mkdtemp(prefix="ui-bench-")) / "data")
    endpoints = server.start()
    base = f"http://127.0.0.1:{endpoints.api_port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            figures = live(page, endpoints, base, args.rate, args.seconds)
            print(f"\nLive Run Viewer, {args.rate} spans/s for {args.seconds:g} s")
            for name, value in figures.items():
                print(f"  {name:<22} {value:>10,.1f}")
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            figures = timeline(page, endpoints, base, args.events)
            print(f"\nRun Timeline, {args.events:,} events")
            for name, value in figures.items():
                print(f"  {name:<22} {value:>10,.2f}")
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
