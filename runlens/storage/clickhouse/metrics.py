"""OTLP metric points → `runlens.metric_points` (migration 010, docs/schema.md).

Metric exports are few (an SDK exports every 60 s by default, one point per series), so each
export is one Arrow insert of its own, made in the receiving thread: the client is acknowledged
once it returns, as for spans.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import pyarrow as pa
from clickhouse_connect.driver.client import Client

from runlens.semconv.metrics import MetricPoint
from runlens.storage.clickhouse.errors import translated

METRIC_POINTS = "runlens.metric_points"

_TS_NS = pa.timestamp("ns", tz="UTC")
_MAP = pa.map_(pa.string(), pa.string())
_EXEMPLAR = pa.struct(
    [
        pa.field("time", _TS_NS, nullable=False),
        pa.field("value", pa.float64(), nullable=False),
        pa.field("trace_id", pa.string(), nullable=False),
        pa.field("span_id", pa.string(), nullable=False),
        pa.field("attributes", _MAP, nullable=False),
    ]
)
_QUANTILE = pa.struct(
    [
        pa.field("quantile", pa.float64(), nullable=False),
        pa.field("value", pa.float64(), nullable=False),
    ]
)

METRIC_SCHEMA = pa.schema(
    [
        ("project_id", pa.string()),
        ("metric_name", pa.string()),
        ("metric_type", pa.string()),
        ("unit", pa.string()),
        ("description", pa.string()),
        ("temporality", pa.string()),
        ("is_monotonic", pa.bool_()),
        ("service_name", pa.string()),
        ("resource", _MAP),
        ("scope_name", pa.string()),
        ("scope_version", pa.string()),
        ("attributes", _MAP),
        ("start_time", _TS_NS),
        ("time", _TS_NS),
        ("value", pa.float64()),
        ("count", pa.uint64()),
        ("sum", pa.float64()),
        ("min", pa.float64()),
        ("max", pa.float64()),
        ("bucket_counts", pa.list_(pa.uint64())),
        ("explicit_bounds", pa.list_(pa.float64())),
        ("scale", pa.int32()),
        ("zero_count", pa.uint64()),
        ("zero_threshold", pa.float64()),
        ("positive_offset", pa.int32()),
        ("positive_bucket_counts", pa.list_(pa.uint64())),
        ("negative_offset", pa.int32()),
        ("negative_bucket_counts", pa.list_(pa.uint64())),
        ("quantiles", pa.list_(pa.field("item", _QUANTILE, nullable=False))),
        ("flags", pa.uint32()),
        ("exemplars", pa.list_(pa.field("item", _EXEMPLAR, nullable=False))),
        ("ingested_at", pa.timestamp("us", tz="UTC")),
    ]
)


def metrics_table(project_id: str, points: Sequence[MetricPoint], now_us: int) -> pa.Table:
    """The rows of `metric_points` for these points."""
    rows = [
        {
            "project_id": project_id,
            "metric_name": p.metric_name,
            "metric_type": p.metric_type.value,
            "unit": p.unit,
            "description": p.description,
            "temporality": p.temporality,
            "is_monotonic": p.is_monotonic,
            "service_name": p.resource.get("service.name", ""),
            "resource": list(p.resource.items()),
            "scope_name": p.scope_name,
            "scope_version": p.scope_version,
            "attributes": list(p.attributes.items()),
            "start_time": p.start_time_unix_nano,
            "time": p.time_unix_nano,
            "value": p.value,
            "count": p.count,
            "sum": p.sum,
            "min": p.min,
            "max": p.max,
            "bucket_counts": list(p.bucket_counts),
            "explicit_bounds": list(p.explicit_bounds),
            "scale": p.scale,
            "zero_count": p.zero_count,
            "zero_threshold": p.zero_threshold,
            "positive_offset": p.positive_offset,
            "positive_bucket_counts": list(p.positive_bucket_counts),
            "negative_offset": p.negative_offset,
            "negative_bucket_counts": list(p.negative_bucket_counts),
            "quantiles": [{"quantile": q, "value": v} for q, v in p.quantiles],
            "flags": p.flags,
            "exemplars": [
                {
                    "time": e.time_unix_nano,
                    "value": e.value,
                    "trace_id": e.trace_id,
                    "span_id": e.span_id,
                    "attributes": list(e.attributes.items()),
                }
                for e in p.exemplars
            ],
            "ingested_at": now_us,
        }
        for p in points
    ]
    return pa.Table.from_pylist(rows, schema=METRIC_SCHEMA)


def insert_metrics(client: Client, project_id: str, points: Sequence[MetricPoint]) -> int:
    """Store the points in one insert; returns how many were stored."""
    if not points:
        return 0
    with translated():
        table = metrics_table(project_id, points, time.time_ns() // 1000)
        client.insert_arrow(METRIC_POINTS, table)
    return len(points)
