"""Each payload stored once: a payload attribute whose value is the span's `input` or `output` as
stored (a dual-instrumented span sends its content as `gen_ai.*` and again as OpenInference's
`input.value` / `output.value`) is left out of `attributes` and named in
`runlens.payload.copies`; `sent_attributes` rebuilds it from the column (docs/semconv.md,
"Raw data kept").

The note maps each key left out to where its value is: `input` / `output` (the column's text),
or `input:text` / `output:text` (the string the column's JSON string holds: plain text sent
as an attribute is stored as a JSON string).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from functools import lru_cache

from runlens.semconv import keys
from runlens.semconv.coerce import dumps
from runlens.semconv.records import Attributes, SpanRecord

_TEXT = ":text"


def find_copies(
    attributes: Attributes, skip: Collection[str], input_text: str, output_text: str
) -> dict[str, str]:
    """The payload keys of `attributes` (other than `skip`, the keys the columns were taken
    from) whose value is `input_text` or `output_text`, exactly: key → where its value is."""
    copies: dict[str, str] = {}
    for side, column, candidates in (
        ("input", input_text, keys.PAYLOAD_INPUT_KEYS),
        ("output", output_text, keys.PAYLOAD_OUTPUT_KEYS),
    ):
        if not column:
            continue
        quoted = column[0] == '"'
        for key in candidates:
            value = attributes.get(key)
            if not isinstance(value, str) or not value or key in skip:
                continue
            if value == column:
                copies[key] = side
            elif quoted and len(column) >= len(value) + 2 and dumps(value) == column:
                copies[key] = side + _TEXT
    return copies


def copies_note(copies: dict[str, str]) -> str:
    """The value of `runlens.payload.copies` for `find_copies`' result."""
    return _note(tuple(copies.items()))


@lru_cache(maxsize=256)
def _note(copies: tuple[tuple[str, str], ...]) -> str:
    return dumps(dict(copies))  # a few combinations of a few keys: written once each


def sent_attributes(span: SpanRecord) -> dict[str, str]:
    """The span's attributes as sent (values as text): the copies left out rebuilt from
    `input` / `output`, without the note."""
    note = span.attributes.get(keys.RUNLENS_PAYLOAD_COPIES)
    if note is None:
        return span.attributes
    out = {
        key: value for key, value in span.attributes.items() if key != keys.RUNLENS_PAYLOAD_COPIES
    }
    try:
        copies = json.loads(note)
    except ValueError:
        return out
    if not isinstance(copies, dict):
        return out
    for key, where in copies.items():
        side, _, form = str(where).partition(":")
        column = span.input if side == "input" else span.output
        out[str(key)] = _text_of(column) if form == "text" else column
    return out


def _text_of(column: str) -> str:
    """The string a JSON string holds (the column itself when it is not one)."""
    try:
        value = json.loads(column)
    except ValueError:
        return column
    return value if isinstance(value, str) else column
