"""Rewrite a protobuf body whose string fields hold invalid UTF-8 so that it parses.

protobuf refuses such a body as a whole, which would lose every other span of the batch. Only
after a strict parse failed, this walks the wire format along the message's descriptor and
rewrites each string field that is not valid UTF-8:
- `AnyValue.string_value` becomes `AnyValue.bytes_value` with the same bytes (only the tag
  changes, both are length-delimited), so the value is stored as binary, not as text;
- any other string (attribute keys, span names, resource and scope fields, ...) gets its bytes
  decoded with U+FFFD replacements;
and re-encodes the length of every message around a rewritten field.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

_MAX_DEPTH = 100  # protobuf refuses deeper messages itself; a walk past it would only recurse

_ANY_VALUE = AnyValue.DESCRIPTOR.full_name
_STRING_VALUE = AnyValue.DESCRIPTOR.fields_by_name["string_value"].number
_BYTES_VALUE = AnyValue.DESCRIPTOR.fields_by_name["bytes_value"].number
_LENGTH_DELIMITED = 2


class MalformedProtobuf(ValueError):
    """The bytes are not well-formed protobuf, or nest deeper than protobuf accepts."""


@dataclass(frozen=True, slots=True)
class Repaired:
    body: bytes
    fields: int  # string fields that held invalid UTF-8; 0: `body` is the input unchanged


def repair_utf8(descriptor: Descriptor, body: bytes) -> Repaired:
    """`body` (a message of `descriptor`'s type) with every invalid UTF-8 string rewritten.

    Raises `MalformedProtobuf` when the wire format cannot be walked.
    """
    rewritten, fields = _message(descriptor, memoryview(body), 0)
    return Repaired(body if rewritten is None else rewritten, fields)


def _message(descriptor: Descriptor, data: memoryview, depth: int) -> tuple[bytes | None, int]:
    """The message rewritten (None when nothing in it needed a rewrite) and the number of
    invalid strings in it."""
    if depth > _MAX_DEPTH:
        raise MalformedProtobuf(f"nested deeper than {_MAX_DEPTH} messages")
    out = bytearray()
    copied = 0  # data[copied:start] is still to be copied unchanged
    fields = 0
    pos, end = 0, len(data)
    while pos < end:
        start = pos
        key, pos = _varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            _, pos = _varint(data, pos)
        elif wire_type == 1:
            pos += 8
        elif wire_type == 5:
            pos += 4
        elif wire_type == _LENGTH_DELIMITED:
            length, pos = _varint(data, pos)
            chunk = data[pos : pos + length]
            pos += length
            if pos <= end:
                field = descriptor.fields_by_number.get(number)
                replacement, invalid = _field(descriptor, field, chunk, depth)
                if replacement is not None:
                    out += data[copied:start]
                    out += replacement
                    copied, fields = pos, fields + invalid
        else:
            raise MalformedProtobuf(f"unsupported wire type {wire_type}")
        if pos > end:
            raise MalformedProtobuf("a field runs past the end of its message")
    if not fields:
        return None, 0
    out += data[copied:]
    return bytes(out), fields


def _field(
    descriptor: Descriptor,
    field: FieldDescriptor | None,
    chunk: memoryview,
    depth: int,
) -> tuple[bytes | None, int]:
    """The whole field (key, length, payload) rewritten, or None to keep it as it is."""
    if field is None:
        return None, 0
    if field.type == FieldDescriptor.TYPE_STRING:
        try:
            str(chunk, "utf-8")
        except UnicodeDecodeError:
            if descriptor.full_name == _ANY_VALUE and field.number == _STRING_VALUE:
                return length_delimited(_BYTES_VALUE, bytes(chunk)), 1
            text = str(chunk, "utf-8", "replace")
            return length_delimited(field.number, text.encode()), 1
        return None, 0
    if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type is not None:
        inner, fields = _message(field.message_type, chunk, depth + 1)
        return None if inner is None else length_delimited(field.number, inner), fields
    return None, 0


def length_delimited(number: int, payload: bytes) -> bytes:
    """Field `number` holding `payload`, as protobuf writes a string, bytes or message field."""
    return encode_varint(number << 3 | _LENGTH_DELIMITED) + encode_varint(len(payload)) + payload


def _varint(data: memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data) and shift < 64:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    raise MalformedProtobuf("a varint is truncated or longer than 10 bytes")


def encode_varint(value: int) -> bytes:
    """`value` as a protobuf varint."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)
