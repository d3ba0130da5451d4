"""Error type and message (`error.type`, the `exception` event, the status description) and the
code location (`code.*`, current and deprecated names)."""

from __future__ import annotations

import re

from runlens.semconv import keys
from runlens.semconv.coerce import as_int, as_str
from runlens.semconv.records import Attributes, RawEvent

_CLASS_REPR = re.compile(r"^<class '([^']+)'>$")
_STATUS_PREFIX = re.compile(
    r"^([A-Za-z_][\w.]*(?:Error|Exception|Exceeded|Timeout|Warning|Exit)\w*): (.*)$", re.S
)


def error_of(
    attributes: Attributes, events: tuple[RawEvent, ...], status_message: str, failed: bool
) -> tuple[str, str]:
    """(type, message). Type: `error.type` (a `<class '...'>` repr is unwrapped), else the
    exception event's type, else a `Type: message` status description. Message: the exception
    event's message, else the status description (without the parsed type)."""
    error_type = _unwrap(as_str(attributes.get(keys.ERROR_TYPE)))
    message = ""
    for event in events:
        if event.name == keys.EXCEPTION_EVENT:
            if not error_type:
                error_type = as_str(event.attributes.get(keys.EXCEPTION_TYPE))
            message = as_str(event.attributes.get(keys.EXCEPTION_MESSAGE))
            break
    if status_message and (failed or error_type):
        parsed = _STATUS_PREFIX.match(status_message)
        if parsed:
            if not error_type:
                error_type = parsed.group(1)
            if not message:
                message = parsed.group(2)
        elif not message:
            message = status_message
    return error_type, message


def _unwrap(error_type: str) -> str:
    if error_type.startswith("<class "):
        match = _CLASS_REPR.match(error_type)
        if match:
            return match.group(1)
    return error_type


def code_location(attributes: Attributes) -> tuple[str, str, int]:
    get = attributes.get
    filepath = as_str(get(keys.CODE_FILE_PATH)) or as_str(get(keys.CODE_FILEPATH))
    function = as_str(get(keys.CODE_FUNCTION_NAME)) or as_str(get(keys.CODE_FUNCTION))
    line = as_int(get(keys.CODE_LINE_NUMBER))
    if line is None:
        line = as_int(get(keys.CODE_LINENO))
    return filepath, function, line or 0
