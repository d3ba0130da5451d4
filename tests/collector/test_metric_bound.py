"""Metric exports are stored in the calling thread, outside the span queue: a bound of their own
refuses a third concurrent export as overloaded (UNAVAILABLE), counted by reason, and the next
export after the slow ones end is stored."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest
from clickhouse_connect.driver.client import Client

from runlens.collector.ingest import METRIC_WRITES, Ingest, Unavailable
from runlens.collector.pipeline import IngestPipeline
from runlens.metrics import Metrics
from runlens.semconv.metrics import MetricPoint, MetricType
from runlens.semconv.pricing import PriceTable
from runlens.storage.clickhouse.store import ClickHouseStore


class GatedMetrics:
    """Stores metric points through the real store once `gate` is set."""

    def __init__(self, store: ClickHouseStore) -> None:
        self.store = store
        self.gate = threading.Event()
        self.waiting = threading.Semaphore(0)

    def write_metrics(self, project_id: str, points: Sequence[MetricPoint]) -> int:
        self.waiting.release()
        self.gate.wait(30)
        return self.store.write_metrics(project_id, points)


def point(name: str) -> MetricPoint:
    now = time.time_ns()
    return MetricPoint(
        metric_name=name,
        metric_type=MetricType.GAUGE,
        unit="1",
        description="",
        temporality="",
        is_monotonic=False,
        resource={},
        scope_name="test",
        scope_version="",
        attributes={},
        start_time_unix_nano=now,
        time_unix_nano=now,
        value=1.0,
    )


def test_a_burst_of_metric_exports_is_refused_beyond_the_bound(
    store: ClickHouseStore, project_id: str, sql: Client
) -> None:
    gated = GatedMetrics(store)
    metrics = Metrics()
    ingest = Ingest(
        IngestPipeline(store, max_queued=10, max_batch=10, run_timeout_s=60, sweep_interval_s=60),
        PriceTable.load(None),
        write_timeout_s=30,
        metrics=metrics,
        metric_points=gated,
    )
    with ThreadPoolExecutor(METRIC_WRITES) as pool:
        held = [
            pool.submit(ingest.metrics, [point(f"held.{n}")], project_id, 0, "")
            for n in range(METRIC_WRITES)
        ]
        for _ in held:
            assert gated.waiting.acquire(timeout=30)
        with pytest.raises(Unavailable, match="retry later"):
            ingest.metrics([point("refused"), point("refused")], project_id, 0, "")
        gated.gate.set()
        assert [future.result(30).rejected for future in held] == [0] * METRIC_WRITES
    assert ingest.metrics([point("after")], project_id, 0, "").rejected == 0
    assert metrics.rejected_metric_points.labels(reason="overloaded")._value.get() == 2
    stored = sql.query(
        "SELECT metric_name FROM runlens.metric_points WHERE project_id = {p:String}",
        parameters={"p": project_id},
    ).result_columns
    assert sorted(stored[0]) == ["after", *(f"held.{n}" for n in range(METRIC_WRITES))]
