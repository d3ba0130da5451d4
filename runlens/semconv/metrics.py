"""OTLP metric data points as runlens stores them: one record per point, as sent.

Metrics are not mapped onto runlens conventions (no run, no cost): the points are kept for SQL
users, with their metric, resource, scope and point attributes (docs/schema.md,
`metric_points`). One record type covers the five OTLP point kinds; the fields a kind does not
use keep their defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

TextAttributes = dict[str, str]
"""Attribute values as stored: strings as is, anything else as compact JSON (`as_text`)."""


class MetricType(StrEnum):
    GAUGE = "gauge"
    SUM = "sum"
    HISTOGRAM = "histogram"
    EXPONENTIAL_HISTOGRAM = "exponential_histogram"
    SUMMARY = "summary"


@dataclass(frozen=True, slots=True)
class Exemplar:
    time_unix_nano: int
    value: float
    trace_id: str  # hex, empty when not sampled in a trace
    span_id: str
    attributes: TextAttributes  # the filtered attributes of the measurement


@dataclass(frozen=True, slots=True)
class MetricPoint:
    metric_name: str
    metric_type: MetricType
    unit: str
    description: str
    temporality: str  # "delta", "cumulative", or "" (gauge, summary)
    is_monotonic: bool
    resource: TextAttributes
    scope_name: str
    scope_version: str
    attributes: TextAttributes
    start_time_unix_nano: int
    time_unix_nano: int
    value: float = 0.0  # gauge and sum points
    count: int = 0  # histogram, exponential histogram, summary
    sum: float | None = None
    min: float | None = None
    max: float | None = None
    bucket_counts: tuple[int, ...] = ()
    explicit_bounds: tuple[float, ...] = ()
    scale: int = 0  # exponential histogram
    zero_count: int = 0
    zero_threshold: float = 0.0
    positive_offset: int = 0
    positive_bucket_counts: tuple[int, ...] = ()
    negative_offset: int = 0
    negative_bucket_counts: tuple[int, ...] = ()
    quantiles: tuple[tuple[float, float], ...] = ()  # summary: (quantile, value)
    flags: int = 0
    exemplars: tuple[Exemplar, ...] = field(default=())
