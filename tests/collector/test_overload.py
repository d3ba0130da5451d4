"""A store slower than ingest: exports are refused with UNAVAILABLE / 503 + Retry-After, memory
stays bounded, and once the burst is over exports succeed again and everything acknowledged is
stored. The slow store is the real one behind `ThrottledWriter`, injected through `Server`."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from clickhouse_connect.driver.client import Client

from bench.overload import ThrottledWriter, burst
from runlens.serve import Server
from runlens.settings import Settings

QUEUE = 100  # spans; eight senders keep 400 in flight, more than the queue and a batch per writer
SECONDS_PER_SPAN = 0.004  # the store takes 250 spans/s


def rss_bytes() -> int:
    match = re.search(r"VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text())
    assert match
    return int(match.group(1)) * 1024


def test_overload_is_refused_bounded_and_recovers(
    chdb_dsn: str, project_id: str, sql: Client
) -> None:
    settings = Settings(
        clickhouse_url=chdb_dsn,
        grpc_port=0,
        otlp_http_port=0,
        port=0,
        project=project_id,
        auth="disabled",
        sweep_interval_s=3600,
        queue_max_spans=QUEUE,
        batch_max_spans=QUEUE,
        write_timeout_s=10,
    )
    server = Server(settings, writer=lambda store: ThrottledWriter(store, SECONDS_PER_SPAN))
    endpoints = server.start()
    before, peak = rss_bytes(), [0]
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(0.05):
            peak[0] = max(peak[0], rss_bytes())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        report = burst(endpoints, seconds=3.0, senders=8)
    finally:
        sampling.set()
        sampler.join()
        server.stop()

    assert report.violations == []  # every refusal was UNAVAILABLE or 503 with Retry-After
    # Which protocol happens to meet the full queue is up to the scheduler; the HTTP 503 with
    # Retry-After at a full queue is pinned in test_pipeline.py.
    assert report.refused > 0
    assert report.replies["grpc OK"] > 0 and report.replies["http 200"] > 0
    assert report.recovery_s < 5
    assert peak[0] - before < 256 * 2**20, f"RSS grew by {(peak[0] - before) / 2**20:.0f} MiB"
    stored = {
        row[0]
        for row in sql.query(
            "SELECT span_id FROM runlens.spans FINAL WHERE project_id = {p:String}",
            parameters={"p": project_id},
        ).result_rows
    }
    assert report.acked and report.acked <= stored
