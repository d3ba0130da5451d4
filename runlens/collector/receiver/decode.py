"""OTLP protobuf/JSON → `RawSpan` / `RawLog`: the receiver's one reader of OTLP requests
(`exports` builds the responses).

Malformed bodies raise `DecodeError` (→ INVALID_ARGUMENT / 400). Spans or log records with
invalid ids (or timestamps past 2**63 - 1 ns) are rejected one by one and counted, so the
rest of the request is still stored (OTLP partial success). Oversized string values are
truncated with a marker and the original size; bytes values are base64-encoded and flagged.
A protobuf body with strings that are not valid UTF-8 is repaired (utf8_repair) and stored,
with a warning for the sender.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from google.protobuf import json_format
from google.protobuf.message import DecodeError as ProtobufDecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from runlens.collector.receiver.utf8_repair import MalformedProtobuf, repair_utf8
from runlens.semconv.records import Attributes, AttrValue, RawEvent, RawLog, RawSpan

T = TypeVar("T")

TRUNCATION_MARKER = "…[runlens: truncated, original {size} bytes]"
MAX_TIME_UNIX_NANO = 2**63 - 1  # stored as signed 64-bit nanoseconds; later is rejected


class DecodeError(ValueError):
    """The request body is not a valid OTLP message of the expected type."""


@dataclass(frozen=True, slots=True)
class DecodeLimits:
    max_attribute_bytes: int = 256 * 1024
    max_span_attributes: int = 4096  # per span, span event, log record and resource
    max_span_events: int = 1024


@dataclass(slots=True)
class Decoded(Generic[T]):
    items: list[T] = field(default_factory=list)
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    repaired: int = 0  # strings that were not valid UTF-8, stored as binary or with U+FFFD

    def reject(self, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < 5:
            self.errors.append(reason)

    @property
    def error_message(self) -> str:
        if not self.rejected:
            return ""
        return f"{self.rejected} rejected: " + "; ".join(self.errors)

    @property
    def warning(self) -> str:
        """What was stored other than as sent, for a partial success that rejects nothing."""
        if not self.repaired:
            return ""
        values = "value was" if self.repaired == 1 else "values were"
        return (
            f"{self.repaired} string {values} not valid UTF-8: stored as binary (attribute "
            "values, log bodies) or with U+FFFD replacements"
        )


@dataclass(slots=True)
class _Flags:
    truncated: list[str] = field(default_factory=list)
    binary: list[str] = field(default_factory=list)
    dropped_attributes: int = 0


IdFixer = Callable[[dict[str, Any]], None]
"""Rewrites the hex ids of an OTLP/JSON document in place as base64 (see `parse_message`)."""


def _ids_under(path: tuple[str, str, str]) -> IdFixer:
    return lambda document: _hex_ids_to_base64(document, path)


_TRACE_IDS = _ids_under(("resourceSpans", "scopeSpans", "spans"))
_LOG_IDS = _ids_under(("resourceLogs", "scopeLogs", "logRecords"))


def read_traces(body: bytes, *, json_encoded: bool, limits: DecodeLimits) -> Decoded[RawSpan]:
    """A request body as the receivers get it: parsed, then decoded."""
    request = ExportTraceServiceRequest()
    repaired = parse_message(request, body, json_encoded, _TRACE_IDS)
    decoded = decode_traces(request, limits)
    decoded.repaired = repaired
    return decoded


def read_logs(body: bytes, *, json_encoded: bool, limits: DecodeLimits) -> Decoded[RawLog]:
    request = ExportLogsServiceRequest()
    repaired = parse_message(request, body, json_encoded, _LOG_IDS)
    decoded = decode_logs(request, limits)
    decoded.repaired = repaired
    return decoded


def parse_traces(body: bytes, *, json_encoded: bool) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    parse_message(request, body, json_encoded, _TRACE_IDS)
    return request


def parse_logs(body: bytes, *, json_encoded: bool) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    parse_message(request, body, json_encoded, _LOG_IDS)
    return request


def decode_traces(request: ExportTraceServiceRequest, limits: DecodeLimits) -> Decoded[RawSpan]:
    out: Decoded[RawSpan] = Decoded()
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes, limits, _Flags())
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope
            for span in scope_spans.spans:
                trace_id, span_id = span.trace_id.hex(), span.span_id.hex()
                parent = span.parent_span_id.hex()
                if len(trace_id) != 32 or trace_id == "0" * 32:
                    out.reject(f"span {span.name!r}: trace_id must be 16 bytes, non-zero")
                    continue
                if len(span_id) != 16 or span_id == "0" * 16:
                    out.reject(f"span {span.name!r}: span_id must be 8 bytes, non-zero")
                    continue
                if parent and len(parent) != 16:
                    out.reject(f"span {span.name!r}: parent_span_id must be 8 bytes or empty")
                    continue
                if max(span.start_time_unix_nano, span.end_time_unix_nano) > MAX_TIME_UNIX_NANO:
                    out.reject(f"span {span.name!r}: timestamps must be before the year 2262")
                    continue
                flags = _Flags()
                attributes = _attributes(span.attributes, limits, flags)
                events = tuple(
                    RawEvent(
                        name=event.name,
                        time_unix_nano=event.time_unix_nano,
                        attributes=_attributes(event.attributes, limits, flags),
                    )
                    for event in span.events[: limits.max_span_events]
                )
                out.items.append(
                    RawSpan(
                        trace_id=trace_id,
                        span_id=span_id,
                        parent_span_id=parent,
                        name=span.name,
                        kind=span.kind,
                        start_time_unix_nano=span.start_time_unix_nano,
                        end_time_unix_nano=span.end_time_unix_nano,
                        status_code=span.status.code,
                        status_message=span.status.message,
                        attributes=attributes,
                        events=events,
                        resource=resource,
                        scope_name=scope.name,
                        scope_version=scope.version,
                        truncated_keys=tuple(flags.truncated),
                        binary_keys=tuple(flags.binary),
                        dropped_attributes=flags.dropped_attributes,
                        dropped_events=max(len(span.events) - limits.max_span_events, 0),
                    )
                )
    return out


def decode_logs(request: ExportLogsServiceRequest, limits: DecodeLimits) -> Decoded[RawLog]:
    out: Decoded[RawLog] = Decoded()
    for resource_logs in request.resource_logs:
        resource = _attributes(resource_logs.resource.attributes, limits, _Flags())
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                trace_id, span_id = record.trace_id.hex(), record.span_id.hex()
                if trace_id and len(trace_id) != 32:
                    out.reject("log record: trace_id must be 16 bytes or empty")
                    continue
                if span_id and len(span_id) != 16:
                    out.reject("log record: span_id must be 8 bytes or empty")
                    continue
                if max(record.time_unix_nano, record.observed_time_unix_nano) > MAX_TIME_UNIX_NANO:
                    out.reject("log record: timestamps must be before the year 2262")
                    continue
                flags = _Flags()
                attributes = _attributes(record.attributes, limits, flags)
                event_name = record.event_name or str(attributes.get("event.name") or "")
                body = (
                    _value(record.body, limits, flags, "body") if record.HasField("body") else None
                )
                out.items.append(
                    RawLog(
                        trace_id=trace_id,
                        span_id=span_id,
                        time_unix_nano=record.time_unix_nano or record.observed_time_unix_nano,
                        severity_number=record.severity_number,
                        severity_text=record.severity_text,
                        event_name=event_name,
                        body=body,
                        attributes=attributes,
                        resource=resource,
                        scope_name=scope_logs.scope.name,
                        truncated_keys=tuple(flags.truncated),
                        binary_keys=tuple(flags.binary),
                        dropped_attributes=flags.dropped_attributes,
                    )
                )
    return out


def parse_message(message: Any, body: bytes, json_encoded: bool, fix_ids: IdFixer) -> int:
    """Parse `body` into `message`; the number of invalid UTF-8 strings repaired on the way.
    `fix_ids` turns the hex ids of OTLP/JSON into the base64 of the protobuf JSON mapping."""
    if not json_encoded:
        return _parse_protobuf(message, body)
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecodeError(f"body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise DecodeError("body is not valid OTLP/JSON: nested too deeply") from exc
    if not isinstance(document, dict):
        raise DecodeError(f"OTLP/JSON body must be an object ({message.DESCRIPTOR.name})")
    try:
        fix_ids(document)
        json_format.ParseDict(document, message, ignore_unknown_fields=True)
    # OverflowError: an integer field given 1e400; SystemError: upb's field lookup fails so on
    # a key holding a lone surrogate ("\ud800").
    except (
        json_format.ParseError,
        binascii.Error,
        TypeError,
        ValueError,
        AttributeError,
        OverflowError,
        SystemError,
    ) as exc:
        raise DecodeError(
            f"body is not a valid OTLP/JSON {message.DESCRIPTOR.name}: {exc}"
        ) from exc
    return 0  # invalid UTF-8 bytes make the JSON text itself invalid: refused above


_PROTOBUF_ERRORS = (ProtobufDecodeError, RuntimeError, ValueError)


def _parse_protobuf(message: Any, body: bytes) -> int:
    """Strictly; only when protobuf refuses the body, again after repairing its strings."""
    try:
        message.ParseFromString(body)
        return 0
    except _PROTOBUF_ERRORS as exc:
        refused: Exception = exc
    failure = DecodeError(f"body is not a valid protobuf {message.DESCRIPTOR.name}")
    try:
        repaired = repair_utf8(message.DESCRIPTOR, body)
    except MalformedProtobuf as exc:
        raise failure from exc
    if not repaired.fields:
        raise failure from refused
    try:
        message.ParseFromString(repaired.body)
    except _PROTOBUF_ERRORS as exc:
        raise failure from exc
    return repaired.fields


_ID_KEYS = ("traceId", "spanId", "parentSpanId")


def _hex_ids_to_base64(document: dict[str, Any], path: tuple[str, str, str]) -> None:
    """OTLP/JSON writes ids as hex where the protobuf JSON mapping expects base64."""
    outer, middle, inner = path
    for group in objects(document.get(outer)):
        for scoped in objects(group.get(middle)):
            for item in objects(scoped.get(inner)):
                for target in (item, *objects(item.get("links"))):
                    hex_ids_to_base64(target)


def hex_ids_to_base64(target: dict[str, Any]) -> None:
    """The trace, span and parent span ids of one OTLP/JSON object, hex → base64 in place."""
    for key in _ID_KEYS:
        value = target.get(key)
        if isinstance(value, str) and value:
            try:
                raw = bytes.fromhex(value)
            except ValueError as exc:
                raise ValueError(f"{key} {value!r} is not hex") from exc
            target[key] = base64.b64encode(raw).decode()


def objects(value: object) -> Iterable[dict[str, Any]]:
    """The objects of a JSON list (nothing when it is not a list)."""
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def attributes_of(pairs: Sequence[KeyValue], limits: DecodeLimits) -> Attributes:
    """Attributes within the limits (values truncated with a marker, bytes as base64)."""
    return _attributes(pairs, limits, _Flags())


def _attributes(pairs: Sequence[KeyValue], limits: DecodeLimits, flags: _Flags) -> Attributes:
    """The first `max_span_attributes` pairs as sent; the rest are counted and dropped."""
    if len(pairs) > limits.max_span_attributes:
        flags.dropped_attributes += len(pairs) - limits.max_span_attributes
        pairs = pairs[: limits.max_span_attributes]
    return {kv.key: _value(kv.value, limits, flags, kv.key) for kv in pairs}


def _value(value: AnyValue, limits: DecodeLimits, flags: _Flags, key: str) -> AttrValue:
    which = value.WhichOneof("value")
    if which == "string_value":
        text: str = value.string_value
        if len(text) > limits.max_attribute_bytes // 4:
            return _truncate(text, limits, flags, key)
        return text
    if which == "int_value":
        return int(value.int_value)
    if which == "double_value":
        return float(value.double_value)
    if which == "bool_value":
        return bool(value.bool_value)
    if which == "array_value":
        return [_value(item, limits, flags, key) for item in value.array_value.values]
    if which == "kvlist_value":
        return {kv.key: _value(kv.value, limits, flags, key) for kv in value.kvlist_value.values}
    if which == "bytes_value":
        flags.binary.append(key)
        data: bytes = value.bytes_value
        if len(data) > limits.max_attribute_bytes:
            flags.truncated.append(key)
            size = len(data)
            data = data[: limits.max_attribute_bytes]
            return base64.b64encode(data).decode() + TRUNCATION_MARKER.format(size=size)
        return base64.b64encode(data).decode()
    return None


def _truncate(text: str, limits: DecodeLimits, flags: _Flags, key: str) -> str:
    encoded = text.encode()
    if len(encoded) <= limits.max_attribute_bytes:
        return text
    flags.truncated.append(key)
    head = encoded[: limits.max_attribute_bytes].decode(errors="ignore")
    return head + TRUNCATION_MARKER.format(size=len(encoded))
