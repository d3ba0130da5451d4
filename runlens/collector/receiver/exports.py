"""What both OTLP transports do with a request body once its project is known: decode it,
hand the items to ingest, and build the Export*ServiceResponse (with partial success when
items were rejected, or a warning alone)."""

from __future__ import annotations

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from runlens.collector.ingest import Ingest
from runlens.collector.receiver.decode import DecodeLimits, read_logs, read_traces
from runlens.collector.receiver.metrics import read_metrics


def export_traces(
    ingest: Ingest, limits: DecodeLimits, body: bytes, json_encoded: bool, project_id: str
) -> ExportTraceServiceResponse:
    decoded = read_traces(body, json_encoded=json_encoded, limits=limits)
    accepted = ingest.spans(
        decoded.items, project_id, decoded.rejected, decoded.error_message, decoded.warning
    )
    response = ExportTraceServiceResponse()
    if accepted.rejected or accepted.message:  # a message alone is a warning
        response.partial_success.rejected_spans = accepted.rejected
        response.partial_success.error_message = accepted.message
    return response


def export_logs(
    ingest: Ingest, limits: DecodeLimits, body: bytes, json_encoded: bool, project_id: str
) -> ExportLogsServiceResponse:
    decoded = read_logs(body, json_encoded=json_encoded, limits=limits)
    accepted = ingest.logs(
        decoded.items, project_id, decoded.rejected, decoded.error_message, decoded.warning
    )
    response = ExportLogsServiceResponse()
    if accepted.rejected or accepted.message:
        response.partial_success.rejected_log_records = accepted.rejected
        response.partial_success.error_message = accepted.message
    return response


def export_metrics(
    ingest: Ingest, limits: DecodeLimits, body: bytes, json_encoded: bool, project_id: str
) -> ExportMetricsServiceResponse:
    decoded = read_metrics(body, json_encoded=json_encoded, limits=limits)
    accepted = ingest.metrics(
        decoded.items, project_id, decoded.rejected, decoded.error_message, decoded.warning
    )
    response = ExportMetricsServiceResponse()
    if accepted.rejected or accepted.message:
        response.partial_success.rejected_data_points = accepted.rejected
        response.partial_success.error_message = accepted.message
    return response
