"""The wire-level repair of protobuf bodies whose strings are not valid UTF-8, and the decoding
of what it gives."""

from __future__ import annotations

import base64

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from runlens.collector.receiver.decode import (
    DecodeError,
    DecodeLimits,
    parse_traces,
    read_logs,
    read_traces,
)
from runlens.collector.receiver.utf8_repair import MalformedProtobuf, repair_utf8
from runlens.collector.receiver.utf8_repair import length_delimited as wire

TRACES = ExportTraceServiceRequest.DESCRIPTOR


def request(name: str = "chat", value: str = "fine", key: str = "note") -> bytes:
    """One span with one attribute; placeholders are swapped for invalid bytes of equal length."""
    message = ExportTraceServiceRequest()
    resource_spans = message.resource_spans.add()
    resource_spans.resource.attributes.add(key="service.name", value={"string_value": "svc"})
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = "scope"
    span = scope_spans.spans.add()
    span.trace_id, span.span_id, span.name = b"\x01" * 16, b"\x02" * 8, name
    span.attributes.add(key=key, value={"string_value": value})
    span.attributes.add(key="count", value={"int_value": 3})
    return message.SerializeToString()


def test_a_valid_body_is_returned_as_it_is() -> None:
    body = request()
    repaired = repair_utf8(TRACES, body)
    assert repaired.fields == 0 and repaired.body is body


def test_an_invalid_attribute_value_becomes_bytes_value() -> None:
    body = request(value="VALUE").replace(b"VALUE", b"VA\xffUE")
    repaired = repair_utf8(TRACES, body)
    assert repaired.fields == 1
    assert len(repaired.body) == len(body)  # only the tag changed: 0x0A (1, LEN) → 0x3A (7, LEN)
    assert repaired.body == body.replace(b"\x0a\x05VA\xffUE", b"\x3a\x05VA\xffUE")
    span = ExportTraceServiceRequest.FromString(repaired.body).resource_spans[0].scope_spans[0]
    note, count = span.spans[0].attributes
    assert note.value.WhichOneof("value") == "bytes_value"
    assert note.value.bytes_value == b"VA\xffUE"
    assert (count.key, count.value.int_value) == ("count", 3)


def test_other_strings_get_replacement_characters_and_enclosing_lengths_follow() -> None:
    # 60 invalid bytes grow to 180 (U+FFFD is 3 bytes): the lengths of the name and of the span
    # (118 bytes before) pass 127 and need a 2-byte varint; all enclosing lengths grow.
    name = "N" * 60
    body = request(name=name, key="KEY").replace(name.encode(), b"\xff" * 60)
    body = body.replace(b"KEY", b"K\xc3Y")
    repaired = repair_utf8(TRACES, body)
    assert repaired.fields == 2
    assert len(repaired.body) == len(body) + 2 * 61 + 2  # +2 per U+FFFD, +1 per longer varint
    assert repaired.body == request(name="\ufffd" * 60, key="K\ufffdY")  # as protobuf writes it


def test_unknown_fields_are_kept_as_sent() -> None:
    unknown = wire(99, b"\xff\xfe")  # not a string field: not touched, not counted
    body = request(value="VALUE").replace(b"VALUE", b"VA\xffUE") + unknown
    repaired = repair_utf8(TRACES, body)
    assert repaired.fields == 1 and repaired.body.endswith(unknown)


def nested(depth: int, leaf: bytes) -> bytes:
    """A request whose attribute value nests `depth` arrays around a string leaf."""
    value = wire(1, leaf)  # AnyValue.string_value
    for _ in range(depth):
        value = wire(5, wire(1, value))  # AnyValue.array_value → ArrayValue.values
    span = wire(1, b"\x01" * 16) + wire(2, b"\x02" * 8) + wire(9, wire(1, b"k") + wire(2, value))
    return wire(1, wire(2, wire(2, span)))


def test_depth_is_bounded_as_protobuf_bounds_it() -> None:
    shallow = repair_utf8(TRACES, nested(40, b"le\xffaf"))
    assert shallow.fields == 1
    leaf = ExportTraceServiceRequest.FromString(shallow.body).resource_spans[0]
    value = leaf.scope_spans[0].spans[0].attributes[0].value
    for _ in range(40):
        value = value.array_value.values[0]
    assert value.bytes_value == b"le\xffaf"
    with pytest.raises(MalformedProtobuf, match="nested deeper"):
        repair_utf8(TRACES, nested(60, b"le\xffaf"))
    with pytest.raises(MalformedProtobuf, match="nested deeper"):
        repair_utf8(TRACES, nested(5000, b"leaf"))  # not past Python's recursion limit either
    with pytest.raises(DecodeError, match=r"not a valid protobuf ExportTraceServiceRequest$"):
        parse_traces(nested(60, b"le\xffaf"), json_encoded=False)


@pytest.mark.parametrize(
    "body",
    [
        b"\x0a",  # a key, no length
        b"\x0a\x05ab",  # a length past the end
        b"\x0a\x80",  # a truncated varint
        b"\x0a" + b"\xff" * 11,  # a varint longer than 10 bytes
        b"\x0b",  # wire type 3 (groups: not in OTLP)
        b"\x0f",  # wire type 7
        b"\x09\x01",  # a fixed64 cut short
    ],
    ids=["no-length", "length-past-end", "cut-varint", "long-varint", "group", "type-7", "fixed"],
)
def test_malformed_wire_data_is_a_clear_decode_error(body: bytes) -> None:
    with pytest.raises(MalformedProtobuf):
        repair_utf8(TRACES, body)
    with pytest.raises(
        DecodeError, match=r"^body is not a valid protobuf ExportTraceServiceRequest$"
    ):
        parse_traces(body, json_encoded=False)


def test_invalid_utf8_next_to_another_fault_is_still_refused() -> None:
    # field number 0 walks as a varint but protobuf refuses it: the repair alone cannot help
    body = request(value="VALUE").replace(b"VALUE", b"VA\xffUE") + b"\x00\x01"
    assert repair_utf8(TRACES, body).fields == 1
    with pytest.raises(DecodeError, match="not a valid protobuf"):
        parse_traces(body, json_encoded=False)


def test_repaired_spans_are_decoded_flagged_and_counted() -> None:
    body = request(name="NAME", value="VALUE").replace(b"VALUE", b"VA\xffUE")
    body = body.replace(b"NAME", b"N\xe2\x82E")
    decoded = read_traces(body, json_encoded=False, limits=DecodeLimits())
    [span] = decoded.items
    assert span.name == "N\ufffdE"
    assert span.attributes["note"] == base64.b64encode(b"VA\xffUE").decode()
    assert span.binary_keys == ("note",)
    assert (decoded.rejected, decoded.error_message, decoded.repaired) == (0, "", 2)
    assert decoded.warning == (
        "2 string values were not valid UTF-8: stored as binary (attribute values, log bodies) "
        "or with U+FFFD replacements"
    )
    clean = read_traces(request(), json_encoded=False, limits=DecodeLimits())
    assert (clean.repaired, clean.warning) == (0, "")


def test_a_log_body_that_is_not_utf8_is_stored_as_binary() -> None:
    message = ExportLogsServiceRequest()
    record = message.resource_logs.add().scope_logs.add().log_records.add()
    record.time_unix_nano, record.body.string_value = 1, "BODY"
    body = message.SerializeToString().replace(b"BODY", b"B\xffDY")
    decoded = read_logs(body, json_encoded=False, limits=DecodeLimits())
    [log] = decoded.items
    assert log.body == base64.b64encode(b"B\xffDY").decode()
    assert log.binary_keys == ("body",)
    assert decoded.warning.startswith("1 string value was not valid UTF-8: stored as binary")
