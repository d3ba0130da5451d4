"""Property fuzzing of the OTLP decoders and the semconv mappers with hostile input.

Decoding may refuse a body only with `DecodeError` (→ INVALID_ARGUMENT / 400); whatever it
accepts, `decode_*` turns into records without raising, the mappers map without raising, and
the records are ones the store can encode. `RUNLENS_FUZZ_EXAMPLES` raises the number of
examples per property (default 100, so the suite stays fast).
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from runlens.collector.receiver.decode import (
    Decoded,
    DecodeError,
    DecodeLimits,
    decode_logs,
    decode_traces,
    parse_logs,
    parse_traces,
)
from runlens.collector.receiver.utf8_repair import length_delimited as wire
from runlens.semconv import keys
from runlens.semconv.events import apply_log_events, map_log
from runlens.semconv.mapping import map_span
from runlens.semconv.pricing import PriceTable
from runlens.semconv.records import (
    AttrValue,
    CostSource,
    LogRecord,
    RawEvent,
    RawLog,
    RawSpan,
    SpanKind,
    SpanRecord,
    SpanStatus,
)
from runlens.storage.clickhouse.rows import logs_to_rows, to_rows

EXAMPLES = int(os.environ.get("RUNLENS_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # a loaded CI machine must not turn a slow example into a failure
    database=None,  # nothing written into the tree; failures print a reproduction blob
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PRICES = PriceTable.load(None)
LIMITS = DecodeLimits(max_attribute_bytes=512)
PROJECT = "fuzz"
NOW_US = 1_795_383_109_000_000
REAL_CLIENTS = Path(__file__).resolve().parents[1] / "fixtures" / "real-clients"
CAPTURES = sorted(p for p in REAL_CLIENTS.glob("*/*.json") if not p.name.endswith("metrics.json"))
TRACE_CAPTURES = [p for p in CAPTURES if not p.name.endswith(".logs.json")]
LOG_CAPTURES = [p for p in CAPTURES if p.name.endswith(".logs.json")]

# Keys the mappers read, and flattened message keys the dialect scanners collect.
KNOWN_KEYS = sorted(
    {value for name, value in vars(keys).items() if name.isupper() and isinstance(value, str)}
    | {
        "llm.input_messages.0.message.role",
        "llm.input_messages.0.message.content",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments",
        "llm.input_messages.1.message.contents.0.message_content.text",
        "gen_ai.prompt.0.content",
        "gen_ai.prompt.0.role",
        "gen_ai.completion.0.tool_calls.0.arguments",
        "gen_ai.completion.0.finish_reason",
        "traceloop.association.properties.session_id",
        "gen_ai.aggregated_usage.input_tokens",
    }
)

# ---------------------------------------------------------------------------------------------
# Values: plain Python attribute values (what the mappers see)

odd_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40
) | st.sampled_from(
    [
        "",
        "null",
        "[]",
        "{}",
        "[{",
        "\u202e\u0000\ufeff",
        "\U0001d518\U0001d52b\U0001d526",  # mathematical fraktur
        "1e400",
        "-1e400",
        "NaN",
        "-Infinity",
        "9" * 40,
        "-5",
        "tool_calls",
        "started",
        "pending_span",
        "stdout",
        "model",
        "true",
        "chat",
        "invoke_agent",
        "execute_tool",
        '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]',
        '[{"role":"assistant","parts":[{"type":"tool_call","id":1,"name":null}]}]',
        '{"role": "assistant", "content": null, "tool_calls": [{"id": 3}]}',
        '{"messages": [{"role": 5}], "finish_reason": ["x"]}',
        '[{"role":"system","content":[{"type":"text","text":7}]}]',
    ]
)
odd_numbers = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, -1, 2**63 - 1, -(2**63), 2**31, 2**32 - 1, 2**64, -(2**64)]),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars: st.SearchStrategy[AttrValue] = st.one_of(st.none(), st.booleans(), odd_numbers, odd_text)
attr_values: st.SearchStrategy[AttrValue] = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "role",
                    "content",
                    "parts",
                    "type",
                    "id",
                    "name",
                    "arguments",
                    "text",
                    "tool_calls",
                    "message",
                    "index",
                    "finish_reason",
                    "function",
                    "x",
                ]
            )
            | odd_text,
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
attr_keys = st.sampled_from(KNOWN_KEYS) | odd_text
attributes = st.dictionaries(attr_keys, attr_values, max_size=12)
hex_id16 = st.binary(min_size=16, max_size=16).map(bytes.hex)
hex_id8 = st.binary(min_size=8, max_size=8).map(bytes.hex)
u64 = st.integers(min_value=0, max_value=2**64 - 1)
times = st.integers(min_value=0, max_value=2**63 - 1)  # what the decoder lets through


@st.composite
def raw_spans(draw: st.DrawFn) -> RawSpan:
    attrs = draw(attributes)
    if draw(st.booleans()):  # a Logfire pending span: exercises the parent-id rewrite
        attrs[keys.LOGFIRE_SPAN_TYPE] = keys.LOGFIRE_PENDING_SPAN
        attrs[keys.LOGFIRE_PENDING_PARENT_ID] = draw(attr_values)
    return RawSpan(
        trace_id=draw(hex_id16),
        span_id=draw(hex_id8),
        parent_span_id=draw(st.just("") | hex_id8),
        name=draw(odd_text),
        kind=draw(st.integers(min_value=-(2**31), max_value=2**31 - 1)),
        start_time_unix_nano=draw(times),
        end_time_unix_nano=draw(times),
        status_code=draw(st.integers(min_value=-(2**31), max_value=2**31 - 1)),
        status_message=draw(odd_text),
        attributes=attrs,
        events=tuple(
            draw(
                st.lists(
                    st.builds(
                        RawEvent,
                        name=st.sampled_from(["exception", "gen_ai.choice", "x"]) | odd_text,
                        time_unix_nano=u64,
                        attributes=attributes,
                    ),
                    max_size=3,
                )
            )
        ),
        resource=draw(attributes),
        scope_name=draw(
            st.sampled_from(
                [
                    "pydantic-ai",
                    "openinference.instrumentation.openai",
                    "opentelemetry.instrumentation.openai.v1",
                    "logfire",
                ]
            )
            | odd_text
        ),
        scope_version=draw(odd_text),
        truncated_keys=tuple(draw(st.lists(odd_text, max_size=2))),
        binary_keys=tuple(draw(st.lists(odd_text, max_size=2))),
    )


@st.composite
def raw_logs(draw: st.DrawFn, span: RawSpan | None = None) -> RawLog:
    event_name = draw(
        st.sampled_from(
            [
                keys.GEN_AI_INFERENCE_DETAILS_EVENT,
                keys.GEN_AI_CHOICE_EVENT,
                "gen_ai.user.message",
                "gen_ai.system.message",
                "gen_ai.assistant.message",
                "gen_ai.tool.message",
                "",
            ]
        )
        | odd_text
    )
    return RawLog(
        trace_id=span.trace_id if span else draw(st.just("") | hex_id16),
        span_id=span.span_id if span else draw(st.just("") | hex_id8),
        time_unix_nano=draw(times),
        severity_number=draw(st.integers(min_value=-(2**31), max_value=2**31 - 1)),
        severity_text=draw(odd_text),
        event_name=event_name,
        body=draw(attr_values),
        attributes=draw(attributes),
        resource=draw(attributes),
        scope_name=draw(odd_text),
    )


# ---------------------------------------------------------------------------------------------
# OTLP/JSON documents: structurally valid, hostile in every field

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=20),  # lone surrogates too
)
json_junk = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
json_ids = st.one_of(
    hex_id16,
    hex_id8,
    st.text(alphabet="0123456789abcdefABCDEF", max_size=40),
    st.text(max_size=20),
    json_junk,
)
json_numbers = st.one_of(
    u64.map(str),
    u64,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from(["-1", "1e30", "NaN", "", "0x10", " 12", "18446744073709551616"]),
    st.sampled_from([float("inf"), float("-inf"), 1e300, -0.5]),  # JSON Infinity, 1e300
    json_junk,
)


def json_any_values() -> st.SearchStrategy[Any]:
    leaf = st.one_of(
        st.fixed_dictionaries({"stringValue": odd_text | json_junk}),
        st.fixed_dictionaries({"stringValue": st.just("\ud800"), "\udfff": json_junk}),
        st.fixed_dictionaries({"intValue": json_numbers}),
        st.fixed_dictionaries(
            {"doubleValue": st.floats() | st.sampled_from(["NaN", "Infinity", "-0", "x"])}
        ),
        st.fixed_dictionaries({"boolValue": st.booleans() | json_junk}),
        st.fixed_dictionaries(
            {
                "bytesValue": st.binary(max_size=30).map(lambda b: base64.b64encode(b).decode())
                | st.text(max_size=10)
            }
        ),
        st.just({}),
        json_junk,
    )
    return st.recursive(
        leaf,
        lambda inner: (
            st.fixed_dictionaries(
                {"arrayValue": st.fixed_dictionaries({"values": st.lists(inner, max_size=3)})}
            )
            | st.fixed_dictionaries(
                {
                    "kvlistValue": st.fixed_dictionaries(
                        {
                            "values": st.lists(
                                st.fixed_dictionaries({"key": attr_keys, "value": inner}),
                                max_size=3,
                            )
                        }
                    )
                }
            )
        ),
        max_leaves=10,
    )


json_key_values = st.lists(
    st.fixed_dictionaries({"key": attr_keys | json_junk, "value": json_any_values()}), max_size=8
)


@st.composite
def json_spans(draw: st.DrawFn) -> dict[str, Any]:
    span: dict[str, Any] = {
        "traceId": draw(json_ids),
        "spanId": draw(json_ids),
        "name": draw(odd_text | json_junk),
        "kind": draw(st.integers(min_value=-5, max_value=2**40) | json_junk),
        "startTimeUnixNano": draw(json_numbers),
        "endTimeUnixNano": draw(json_numbers),
        "attributes": draw(json_key_values),
        "events": draw(
            st.lists(
                st.fixed_dictionaries(
                    {"name": odd_text, "timeUnixNano": json_numbers, "attributes": json_key_values}
                ),
                max_size=2,
            )
        ),
        "links": draw(
            st.lists(st.fixed_dictionaries({"traceId": json_ids, "spanId": json_ids}), max_size=2)
        ),
        "status": draw(
            st.fixed_dictionaries({"code": st.integers(-3, 5) | json_junk, "message": odd_text})
        ),
    }
    if draw(st.booleans()):
        span["parentSpanId"] = draw(json_ids)
    drop = draw(st.sets(st.sampled_from(sorted(span)), max_size=3))
    return {k: v for k, v in span.items() if k not in drop}


@st.composite
def json_trace_documents(draw: st.DrawFn) -> Any:
    document = {
        "resourceSpans": [
            {
                "resource": {"attributes": draw(json_key_values)},
                "scopeSpans": [
                    {
                        "scope": {"name": draw(odd_text), "version": draw(odd_text)},
                        "spans": draw(st.lists(json_spans(), max_size=3)),
                    }
                ],
            }
        ]
    }
    return draw(st.just(document) | nested(document))


@st.composite
def json_log_documents(draw: st.DrawFn) -> Any:
    record = {
        "timeUnixNano": draw(json_numbers),
        "observedTimeUnixNano": draw(json_numbers),
        "severityNumber": draw(st.integers(-3, 30) | json_junk),
        "severityText": draw(odd_text),
        "eventName": draw(
            st.sampled_from([keys.GEN_AI_CHOICE_EVENT, "gen_ai.user.message"]) | odd_text
        ),
        "body": draw(json_any_values()),
        "attributes": draw(json_key_values),
        "traceId": draw(json_ids),
        "spanId": draw(json_ids),
    }
    document = {
        "resourceLogs": [
            {
                "resource": {"attributes": draw(json_key_values)},
                "scopeLogs": [{"scope": {"name": draw(odd_text)}, "logRecords": [record]}],
            }
        ]
    }
    return draw(st.just(document) | nested(document))


def nested(document: dict[str, Any]) -> st.SearchStrategy[Any]:
    """The document with a deeply nested value somewhere a message or a list is expected."""

    def deepen(depth: int) -> Any:
        value: Any = {"arrayValue": {"values": []}}
        for _ in range(depth):
            value = {"arrayValue": {"values": [value]}}
        doc = json.loads(json.dumps(document))
        for group in doc.get("resourceSpans", doc.get("resourceLogs", [])):
            group["resource"]["attributes"].append({"key": "deep", "value": value})
        return doc

    return st.integers(min_value=5, max_value=120).map(deepen)


# ---------------------------------------------------------------------------------------------
# Invariants


def check_span(record: SpanRecord, raw: RawSpan) -> None:
    assert record.project_id == PROJECT
    assert record.trace_id == raw.trace_id
    assert record.run_id
    assert record.span_id in (raw.span_id, raw.parent_span_id)
    assert isinstance(record.kind, SpanKind) and isinstance(record.status, SpanStatus)
    if record.status is SpanStatus.RUNNING:
        assert record.end_time_unix_nano == 0
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in record.attributes.items())
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in record.resource.items())
    for count in vars_of_usage(record):
        assert isinstance(count, int) and not isinstance(count, bool) and 0 <= count < 2**64
    if record.cost_source in (CostSource.NONE, CostSource.UNPRICED):
        assert record.cost_usd is None
    if record.events:
        assert isinstance(json.loads(record.events), list)
    assert record.truncated == bool(raw.truncated_keys)
    assert record.binary == bool(raw.binary_keys)


def vars_of_usage(record: SpanRecord) -> list[int]:
    u = record.usage
    return [u.input, u.cached_input, u.cache_write, u.output, u.reasoning]


def check_log(record: LogRecord, raw: RawLog) -> None:
    assert record.project_id == PROJECT
    assert record.trace_id == raw.trace_id and record.span_id == raw.span_id
    assert record.stream in ("", "stdout", "stderr", "model")
    assert record.body == "" or isinstance(record.body, str)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in record.attributes.items())


def map_all(spans: Decoded[RawSpan] | None, logs: Decoded[RawLog] | None) -> None:
    """Map everything decoded, check it and encode it as the store would."""
    span_records = []
    for raw in spans.items if spans else []:
        record = map_span(raw, project_id=PROJECT, prices=PRICES)
        check_span(record, raw)
        span_records.append(record)
    log_records = []
    for raw_log in logs.items if logs else []:
        log_record = map_log(raw_log, project_id=PROJECT)
        check_log(log_record, raw_log)
        log_records.append(log_record)
    for record in span_records:
        merged = apply_log_events(record, log_records)
        assert merged.span_id == record.span_id and merged.kind is record.kind
    if span_records:
        assert to_rows(span_records, NOW_US).num_rows == len(span_records)
    if log_records:
        assert logs_to_rows(log_records, NOW_US).num_rows == len(log_records)


def decode_body(body: bytes, *, json_encoded: bool, logs: bool) -> None:
    """Parse (only `DecodeError` may come out), then decode and map what parsed."""
    try:
        if logs:
            log_request = parse_logs(body, json_encoded=json_encoded)
        else:
            trace_request = parse_traces(body, json_encoded=json_encoded)
    except DecodeError:
        return
    if logs:
        decoded_logs = decode_logs(log_request, LIMITS)
        assert decoded_logs.rejected == len(decoded_logs.errors) or len(decoded_logs.errors) == 5
        map_all(None, decoded_logs)
    else:
        decoded = decode_traces(trace_request, LIMITS)
        for raw in decoded.items:
            assert len(raw.trace_id) == 32 and raw.trace_id != "0" * 32
            assert len(raw.span_id) == 16 and raw.span_id != "0" * 16
            assert len(raw.parent_span_id) in (0, 16)
        map_all(decoded, None)


# ---------------------------------------------------------------------------------------------
# Properties


@FUZZ
@given(body=st.binary(max_size=512), json_encoded=st.booleans(), logs=st.booleans())
def test_random_bytes_decode_or_raise_decode_error(
    body: bytes, json_encoded: bool, logs: bool
) -> None:
    decode_body(body, json_encoded=json_encoded, logs=logs)


def capture_bodies() -> list[tuple[bytes, bool, bool]]:
    """Every capture as OTLP/JSON and as protobuf: (body, json_encoded, logs)."""
    bodies: list[tuple[bytes, bool, bool]] = []
    for path in CAPTURES:
        is_logs = path.name.endswith(".logs.json")
        text = path.read_bytes()
        message = (
            parse_logs(text, json_encoded=True)
            if is_logs
            else parse_traces(text, json_encoded=True)
        )
        bodies.append((text, True, is_logs))
        bodies.append((message.SerializeToString(), False, is_logs))
    return bodies


CAPTURE_BODIES = capture_bodies()


@st.composite
def mutated_captures(draw: st.DrawFn) -> tuple[bytes, bool, bool]:
    body, json_encoded, is_logs = draw(st.sampled_from(CAPTURE_BODIES))
    data = bytearray(body)
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        if not data:
            break
        at = draw(st.integers(min_value=0, max_value=len(data) - 1))
        how = draw(st.sampled_from(["flip", "byte", "cut", "insert", "dup"]))
        if how == "flip":
            data[at] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        elif how == "byte":
            data[at] = draw(st.integers(min_value=0, max_value=255))
        elif how == "cut":
            del data[at : at + draw(st.integers(min_value=1, max_value=64))]
        elif how == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            data[at:at] = data[at : at + draw(st.integers(min_value=1, max_value=64))]
    return bytes(data), json_encoded, is_logs


@FUZZ
@given(case=mutated_captures())
def test_mutated_captures_decode_or_raise_decode_error(case: tuple[bytes, bool, bool]) -> None:
    body, json_encoded, is_logs = case
    decode_body(body, json_encoded=json_encoded, logs=is_logs)


@FUZZ
@given(document=json_trace_documents())
def test_hostile_otlp_json_traces(document: Any) -> None:
    decode_body(json.dumps(document).encode(), json_encoded=True, logs=False)


@FUZZ
@given(document=json_log_documents())
def test_hostile_otlp_json_logs(document: Any) -> None:
    decode_body(json.dumps(document).encode(), json_encoded=True, logs=True)


def any_value(value: AttrValue, depth: int = 0) -> AnyValue:
    out = AnyValue()
    if value is None:
        pass
    elif isinstance(value, bool):
        out.bool_value = value
    elif isinstance(value, int):
        if -(2**63) <= value < 2**63:
            out.int_value = value
        else:
            out.double_value = float(value)
    elif isinstance(value, float):
        out.double_value = value
    elif isinstance(value, str):
        out.string_value = value
    elif isinstance(value, list):
        out.array_value.values.extend(any_value(item, depth + 1) for item in value)
    else:
        out.kvlist_value.values.extend(
            KeyValue(key=k, value=any_value(v, depth + 1)) for k, v in value.items()
        )
    return out


def key_values(attrs: dict[str, AttrValue]) -> list[KeyValue]:
    return [KeyValue(key=k, value=any_value(v)) for k, v in attrs.items()]


@st.composite
def protobuf_traces(draw: st.DrawFn) -> bytes:
    request = ExportTraceServiceRequest()
    group = request.resource_spans.add()
    group.resource.attributes.extend(key_values(draw(attributes)))
    scoped = group.scope_spans.add()
    scoped.scope.name = draw(odd_text)
    ids = st.binary(max_size=20) | st.binary(min_size=16, max_size=16)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        span = scoped.spans.add()
        span.trace_id = draw(ids)
        span.span_id = draw(st.binary(max_size=10) | st.binary(min_size=8, max_size=8))
        span.parent_span_id = draw(st.just(b"") | st.binary(max_size=10))
        span.name = draw(odd_text)
        span.kind = draw(st.integers(min_value=0, max_value=2**31 - 1))  # open enum
        span.start_time_unix_nano = draw(u64)
        span.end_time_unix_nano = draw(u64)
        span.status.code = draw(st.integers(min_value=0, max_value=2**31 - 1))
        span.attributes.extend(key_values(draw(attributes)))
        if draw(st.booleans()):
            blob = span.attributes.add(key=draw(attr_keys))
            blob.value.bytes_value = draw(st.binary(max_size=2048))
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            event = span.events.add(name=draw(odd_text), time_unix_nano=draw(u64))
            event.attributes.extend(key_values(draw(attributes)))
    return bytes(request.SerializeToString())


@FUZZ
@given(body=protobuf_traces())
def test_hostile_protobuf_traces(body: bytes) -> None:
    decode_body(body, json_encoded=False, logs=False)


@st.composite
def protobuf_logs(draw: st.DrawFn) -> bytes:
    request = ExportLogsServiceRequest()
    group = request.resource_logs.add()
    group.resource.attributes.extend(key_values(draw(attributes)))
    records = group.scope_logs.add().log_records
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        record = records.add()
        record.trace_id = draw(st.binary(max_size=20))
        record.span_id = draw(st.binary(max_size=10))
        record.time_unix_nano = draw(u64)
        record.severity_number = draw(st.integers(min_value=0, max_value=2**31 - 1))
        record.event_name = draw(odd_text)
        if draw(st.booleans()):
            record.body.CopyFrom(any_value(draw(attr_values)))
        record.attributes.extend(key_values(draw(attributes)))
    return bytes(request.SerializeToString())


@FUZZ
@given(body=protobuf_logs())
def test_hostile_protobuf_logs(body: bytes) -> None:
    decode_body(body, json_encoded=False, logs=True)


@FUZZ
@given(data=st.data(), span=raw_spans())
def test_mappers_never_raise_and_records_encode(data: st.DataObject, span: RawSpan) -> None:
    logs = data.draw(st.lists(raw_logs(span) | raw_logs(), max_size=4))
    record = map_span(span, project_id=PROJECT, prices=PRICES)
    check_span(record, span)
    log_records = [map_log(raw, project_id=PROJECT) for raw in logs]
    for log_record, raw in zip(log_records, logs, strict=True):
        check_log(log_record, raw)
    merged = apply_log_events(record, log_records)
    assert (merged.span_id, merged.kind, merged.usage) == (
        record.span_id,
        record.kind,
        record.usage,
    )
    assert to_rows([record, merged], NOW_US).num_rows == 2
    if log_records:
        assert logs_to_rows(log_records, NOW_US).num_rows == len(log_records)


def test_the_fuzz_corpus_is_the_real_captures() -> None:
    """The mutation corpus is not empty, and every capture decodes cleanly to begin with."""
    assert len(TRACE_CAPTURES) >= 10 and len(LOG_CAPTURES) >= 3
    for body, json_encoded, is_logs in CAPTURE_BODIES:
        if is_logs:
            assert decode_logs(parse_logs(body, json_encoded=json_encoded), LIMITS).items
        else:
            decoded = decode_traces(parse_traces(body, json_encoded=json_encoded), LIMITS)
            assert decoded.items and not decoded.rejected


@FUZZ
@given(
    depth=st.integers(min_value=1, max_value=60_000),
    opener=st.sampled_from(["[", '{"a":', '{"resourceSpans":[{"resource":{"attributes":[']),
    logs=st.booleans(),
)
def test_deeply_nested_json_is_a_decode_error(depth: int, opener: str, logs: bool) -> None:
    body = b'{"resourceSpans":' + (opener * depth).encode() + b"]" * depth + b"}"
    decode_body(body, json_encoded=True, logs=logs)


def test_values_the_fuzzer_found_are_stored_not_refused() -> None:
    """Once each a reason for a whole export to be refused (400) or to escape as a 500."""
    span = RawSpan(
        trace_id="ab" * 16,
        span_id="cd" * 8,
        parent_span_id="",
        name="chat",
        kind=3,
        start_time_unix_nano=1,
        end_time_unix_nano=2,
        status_code=0,
        status_message="",
        attributes={
            keys.GEN_AI_OPERATION_NAME: "chat",
            keys.GEN_AI_USAGE_INPUT_TOKENS: -5,
            keys.GEN_AI_USAGE_OUTPUT_TOKENS: float("inf"),
            keys.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: "1e400",
            keys.GEN_AI_REQUEST_MAX_TOKENS: "1e30",
            keys.CODE_LINENO: 2**40,
        },
    )
    record = map_span(span, project_id=PROJECT, prices=PRICES)
    assert (record.usage.input, record.usage.output, record.usage.cached_input) == (0, 0, 0)
    assert record.max_tokens is None and record.code_lineno == 0
    log = RawLog("", "", 1, 300, "", "", None, {keys.RUNLENS_OUTPUT_STREAM: "stdout",
                                                 keys.RUNLENS_OUTPUT_SEQ: -1})  # fmt: skip
    log_record = map_log(log, project_id=PROJECT)
    assert (log_record.severity_number, log_record.seq) == (0, 0)
    assert to_rows([record], NOW_US).num_rows == 1
    assert logs_to_rows([log_record], NOW_US).num_rows == 1
    refused = (
        b"[" * 5000,
        b'{"resourceSpans":[{"\\udfff":1}]}',
        b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":1e400}]}]}]}',
    )
    for body in refused:
        try:
            parse_traces(body, json_encoded=True)
        except DecodeError:
            continue
        raise AssertionError(f"{body[:40]!r} was accepted")
    too_late = ExportTraceServiceRequest()
    late = too_late.resource_spans.add().scope_spans.add().spans.add()
    late.trace_id, late.span_id, late.start_time_unix_nano = b"\x01" * 16, b"\x02" * 8, 2**63
    assert decode_traces(too_late, LIMITS).rejected == 1


@FUZZ
@given(depth=st.integers(min_value=1, max_value=5_000), logs=st.booleans())
def test_deeply_nested_protobuf_is_a_decode_error(depth: int, logs: bool) -> None:
    """A well-formed body whose attribute value nests `depth` arrays (upb refuses past 100
    messages; explaining the refusal must not recurse past Python's limit either)."""
    value = AnyValue(string_value="leaf").SerializeToString()
    for _ in range(depth):
        value = wire(5, wire(1, value))  # AnyValue.array_value → ArrayValue.values
    attribute = wire(1, b"deep") + wire(2, value)
    if logs:  # LogRecord.attributes in ScopeLogs.log_records in ResourceLogs in the request
        body = wire(1, wire(2, wire(2, wire(6, attribute))))
    else:
        span = wire(1, b"\x01" * 16) + wire(2, b"\x02" * 8) + wire(9, attribute)
        body = wire(1, wire(2, wire(2, span)))
    decode_body(body, json_encoded=False, logs=logs)
