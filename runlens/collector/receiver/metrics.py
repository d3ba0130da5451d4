"""OTLP metrics (protobuf or JSON) → `MetricPoint`s: gauge, sum, histogram, exponential
histogram and summary points, each with its metric, resource, scope and point attributes.

A malformed body raises `DecodeError`, as for traces; a point with timestamps past 2**63 - 1 ns
or a metric without a name is rejected alone and counted (OTLP partial success). A metric of a
kind this reader does not know (none set) is rejected too, never stored half-read.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.metrics.v1 import metrics_pb2

from runlens.collector.receiver.decode import (
    MAX_TIME_UNIX_NANO,
    Decoded,
    DecodeLimits,
    attributes_of,
    hex_ids_to_base64,
    objects,
    parse_message,
)
from runlens.semconv.coerce import attributes_text
from runlens.semconv.metrics import Exemplar, MetricPoint, MetricType

_TEMPORALITY: dict[int, str] = {
    metrics_pb2.AGGREGATION_TEMPORALITY_DELTA: "delta",
    metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE: "cumulative",
}
_KINDS = ("gauge", "sum", "histogram", "exponentialHistogram", "summary")


def read_metrics(body: bytes, *, json_encoded: bool, limits: DecodeLimits) -> Decoded[MetricPoint]:
    """A request body as the receivers get it: parsed, then decoded."""
    request = ExportMetricsServiceRequest()
    repaired = parse_message(request, body, json_encoded, _exemplar_ids)
    decoded = decode_metrics(request, limits)
    decoded.repaired = repaired
    return decoded


def _exemplar_ids(document: dict[str, Any]) -> None:
    """OTLP/JSON exemplars carry hex trace and span ids; protobuf JSON wants base64."""
    for group in objects(document.get("resourceMetrics")):
        for scoped in objects(group.get("scopeMetrics")):
            for metric in objects(scoped.get("metrics")):
                for kind in _KINDS:
                    data = metric.get(kind)
                    points = data.get("dataPoints") if isinstance(data, dict) else None
                    for point in objects(points):
                        for exemplar in objects(point.get("exemplars")):
                            hex_ids_to_base64(exemplar)


def decode_metrics(
    request: ExportMetricsServiceRequest, limits: DecodeLimits
) -> Decoded[MetricPoint]:
    out: Decoded[MetricPoint] = Decoded()
    for resource_metrics in request.resource_metrics:
        resource = attributes_text(attributes_of(resource_metrics.resource.attributes, limits))
        for scope_metrics in resource_metrics.scope_metrics:
            scope = scope_metrics.scope
            for metric in scope_metrics.metrics:
                common: dict[str, Any] = {
                    "metric_name": metric.name,
                    "unit": metric.unit,
                    "description": metric.description,
                    "resource": resource,
                    "scope_name": scope.name,
                    "scope_version": scope.version,
                }
                _decode_metric(metric, common, limits, out)
    return out


def _decode_metric(
    metric: metrics_pb2.Metric,
    common: dict[str, Any],
    limits: DecodeLimits,
    out: Decoded[MetricPoint],
) -> None:
    kind = metric.WhichOneof("data")
    if kind is None:
        out.reject(f"metric {metric.name!r}: no data (gauge, sum, histogram, ...)")
        return
    data: Any = getattr(metric, kind)
    if not metric.name:
        for _ in data.data_points:
            out.reject("metric without a name")
        return
    for point in data.data_points:
        if max(point.start_time_unix_nano, point.time_unix_nano) > MAX_TIME_UNIX_NANO:
            out.reject(f"metric {metric.name!r}: timestamps must be before the year 2262")
            continue
        fields = dict(common)
        fields.update(
            attributes=attributes_text(attributes_of(point.attributes, limits)),
            start_time_unix_nano=point.start_time_unix_nano,
            time_unix_nano=point.time_unix_nano,
            flags=point.flags,
            temporality=_TEMPORALITY.get(getattr(data, "aggregation_temporality", 0), ""),
            is_monotonic=bool(getattr(data, "is_monotonic", False)),
        )
        if kind != "summary":
            fields["exemplars"] = tuple(_exemplar(e, limits) for e in point.exemplars)
        fields.update(_values(kind, point))
        out.items.append(MetricPoint(**fields))


def _values(kind: str, point: Any) -> dict[str, Any]:
    """The fields of one point of this kind."""
    if kind in ("gauge", "sum"):
        return {"metric_type": MetricType(kind), "value": _number(point)}
    if kind == "summary":
        return {
            "metric_type": MetricType.SUMMARY,
            "count": point.count,
            "sum": point.sum,
            "quantiles": tuple((q.quantile, q.value) for q in point.quantile_values),
        }
    bounds: dict[str, Any] = {
        "count": point.count,
        "sum": point.sum if point.HasField("sum") else None,
        "min": point.min if point.HasField("min") else None,
        "max": point.max if point.HasField("max") else None,
    }
    if kind == "histogram":
        return {
            "metric_type": MetricType.HISTOGRAM,
            "bucket_counts": tuple(point.bucket_counts),
            "explicit_bounds": tuple(point.explicit_bounds),
            **bounds,
        }
    return {
        "metric_type": MetricType.EXPONENTIAL_HISTOGRAM,
        "scale": point.scale,
        "zero_count": point.zero_count,
        "zero_threshold": point.zero_threshold,
        "positive_offset": point.positive.offset,
        "positive_bucket_counts": tuple(point.positive.bucket_counts),
        "negative_offset": point.negative.offset,
        "negative_bucket_counts": tuple(point.negative.bucket_counts),
        **bounds,
    }


def _exemplar(exemplar: metrics_pb2.Exemplar, limits: DecodeLimits) -> Exemplar:
    attributes = attributes_text(attributes_of(exemplar.filtered_attributes, limits))
    return Exemplar(
        time_unix_nano=min(exemplar.time_unix_nano, MAX_TIME_UNIX_NANO),
        value=_number(exemplar),
        trace_id=exemplar.trace_id.hex(),
        span_id=exemplar.span_id.hex(),
        attributes=attributes,
    )


def _number(message: Any) -> float:
    """`as_int` or `as_double` of a number point or an exemplar."""
    if message.WhichOneof("value") == "as_int":
        return float(message.as_int)
    return float(message.as_double)
