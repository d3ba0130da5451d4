"""Why a protobuf body did not parse, when the reason is a string field holding invalid UTF-8.

protobuf rejects such a body as a whole without saying where; this walks the wire format along
the message's descriptor (only after parsing failed) to name the field, so the client can be
told exactly what to fix. OTLP strings must be UTF-8; binary data belongs in `bytesValue`.
"""

from __future__ import annotations

from google.protobuf.descriptor import Descriptor, FieldDescriptor

_MAX_DEPTH = 100  # protobuf refuses deeper messages itself; a walk past it would only recurse


def parse_failure(descriptor: Descriptor, body: bytes) -> str:
    """The DecodeError message for a body of `descriptor`'s type that protobuf refused."""
    where = _invalid_utf8(descriptor, memoryview(body))
    if where is None:
        return f"body is not a valid protobuf {descriptor.name}"
    return (
        f"body is not a valid protobuf {descriptor.name}: {where} is not valid UTF-8 "
        "(OTLP strings must be UTF-8; send binary data as bytesValue)"
    )


def _invalid_utf8(descriptor: Descriptor, data: memoryview, depth: int = 0) -> str | None:
    """The path of the first string field with invalid UTF-8; None if there is none, the
    bytes are not well-formed protobuf or nest too deeply."""
    if depth > _MAX_DEPTH:
        return None
    seen: dict[int, int] = {}
    pos, end = 0, len(data)
    while pos < end:
        key, pos = _varint(data, pos)
        if key is None:
            return None
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            _, pos = _varint(data, pos)
        elif wire_type == 1:
            pos += 8
        elif wire_type == 5:
            pos += 4
        elif wire_type == 2:
            length, pos = _varint(data, pos)
            if length is None or pos + length > end:
                return None
            chunk, pos = data[pos : pos + length], pos + length
            field = descriptor.fields_by_number.get(number)
            found = _in_field(field, chunk, seen, number, depth)
            if found is not None:
                return found
        else:
            return None
        if pos < 0:
            return None
    return None


def _in_field(
    field: FieldDescriptor | None,
    chunk: memoryview,
    seen: dict[int, int],
    number: int,
    depth: int,
) -> str | None:
    if field is None:
        return None
    index = seen.get(number, 0)
    seen[number] = index + 1
    label = f"{field.name}[{index}]" if field.is_repeated else field.name
    if field.type == FieldDescriptor.TYPE_STRING:
        try:
            str(chunk, "utf-8")
        except UnicodeDecodeError:
            return label
        return None
    if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type is not None:
        inner = _invalid_utf8(field.message_type, chunk, depth + 1)
        return None if inner is None else f"{label}.{inner}"
    return None


def _varint(data: memoryview, pos: int) -> tuple[int | None, int]:
    value = shift = 0
    while pos < len(data) and shift < 64:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    return None, -1
