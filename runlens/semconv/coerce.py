"""Turn attribute values (AnyValue as Python) into the plain types records hold."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

from runlens.semconv import keys
from runlens.semconv.records import AttrValue

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def dumps(value: Any) -> str:
    """Compact JSON text, non-ASCII kept as is."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return str(value)
    if type(value) is float and math.isfinite(value):
        return repr(value)
    return _ENCODER.encode(value)


def as_text(value: AttrValue) -> str:
    """A raw attribute value as stored text: strings as is, anything else as compact JSON."""
    return value if isinstance(value, str) else dumps(value)


def as_str(value: AttrValue) -> str:
    """A scalar as a string ("" for None, lists/maps as JSON)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return dumps(value)


def as_int(value: object) -> int | None:
    """An integer from an int, an integral float or a numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            return int(float(value))
        except (ValueError, OverflowError):  # not a number, or "1e400" (infinite)
            return None
    return None


def in_range(value: int | None, low: int, high: int, default: int | None) -> int | None:
    """`value` when within [low, high] (what the stored column holds), else `default`."""
    return value if value is not None and low <= value <= high else default


def as_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def loads(value: object) -> Any:
    """Structured data from a JSON string (or the value itself when already structured).

    Returns None for a string that is not JSON.
    """
    if isinstance(value, str):
        text = value.strip()
        if not text or text[0] not in '[{"0123456789-tfn':
            return None
        try:
            return json.loads(text)
        except ValueError:
            return None
    return value


def as_json_text(value: AttrValue) -> str:
    """JSON text for a value that may be a JSON string, structured, or plain text.

    A string that parses as JSON is re-encoded compactly; any other string becomes a JSON string.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        parsed = loads(value)
        if parsed is None and value.strip() != "null":
            return dumps(value)
        if value == value.strip() and is_compact_json(value):
            return value  # already compact: writing it out again would give the same JSON
        return dumps(parsed)
    return dumps(value)


_LOOSE = ("\n", "\r", "\t")
"""Whitespace that JSON text holds only between tokens (inside strings it is escaped)."""


def is_compact_json(text: str) -> bool:
    """Cheap test that JSON text is compact enough to store as sent: not pretty-printed. Spaces
    after `,` / `:` (json.dumps' defaults) are allowed: they add a few percent to a payload of
    text and compress away, and finding them costs more than writing the text out again."""
    return not any(loose in text for loose in _LOOSE)


def with_dropped(
    attributes: dict[str, str], dropped_attributes: int, dropped_events: int = 0
) -> dict[str, str]:
    """`attributes` with the decoder's drop counts (`runlens.limits.*`), when there are any."""
    if dropped_attributes:
        attributes[keys.RUNLENS_LIMITS_DROPPED_ATTRIBUTES] = str(dropped_attributes)
    if dropped_events:
        attributes[keys.RUNLENS_LIMITS_DROPPED_EVENTS] = str(dropped_events)
    return attributes


def attributes_text(
    attributes: dict[str, AttrValue], payload: Iterable[str] = ()
) -> dict[str, str]:
    """Raw attributes as text: strings as is, anything else as compact JSON; without the
    `payload` keys (see `keys.PAYLOAD_KEYS`; a family prefix drops only its message fields)."""
    exact: set[str] = set()
    families: list[str] = []
    for source in payload:
        if source in keys.PAYLOAD_FAMILIES:
            families.append(source)
        elif source:
            exact.add(source)
    if not exact and not families:
        return {key: as_text(value) for key, value in attributes.items()}
    prefixes = tuple(families)
    out: dict[str, str] = {}
    for key, value in attributes.items():
        if key in exact or (prefixes and key.startswith(prefixes) and _message_field(key)):
            continue
        out[key] = as_text(value)
    return out


_MESSAGE_FIELD = re.compile(
    r"(?:llm\.(?:input|output)_messages\.\d+\.message\.(?:role|content|tool_call_id|name"
    r"|contents\.\d+\.message_content\.text"
    r"|tool_calls\.\d+\.tool_call\.(?:id|function\.name|function\.arguments))"
    r"|gen_ai\.(?:prompt|completion)\.\d+\.(?:role|content|tool_call_id|finish_reason"
    r"|tool_calls\.\d+\.(?:id|name|arguments)))"
)


def _message_field(key: str) -> bool:
    """A field of a flattened message that the message mappers carry into input / output."""
    return _MESSAGE_FIELD.fullmatch(key) is not None
