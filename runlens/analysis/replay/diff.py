"""Field-level differences between two JSON values, as JSON paths with both values.

Bounded: at most `MAX_FIELDS` differences per comparison, each value shown as canonical JSON
cut to `MAX_VALUE_CHARS` characters (a cut value ends with `…`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runlens.analysis.replay.canonical import canonical, normalise

MAX_FIELDS = 20
MAX_VALUE_CHARS = 200
_ABSENT = object()


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """`original`/`replay` are canonical JSON (cut), or None when the field is absent."""

    path: str
    original: str | None
    replay: str | None


def shown(value: Any, limit: int = MAX_VALUE_CHARS) -> str | None:
    if value is _ABSENT:
        return None
    text = canonical(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def field_diff(original: Any, replay: Any, limit: int = MAX_FIELDS) -> list[FieldDiff]:
    """Where `original` and `replay` differ, depth first, at most `limit` entries."""
    found: list[FieldDiff] = []
    _walk(normalise(original), normalise(replay), "$", found, limit)
    return found


def _walk(a: Any, b: Any, path: str, found: list[FieldDiff], limit: int) -> None:
    if len(found) >= limit:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            _walk(a.get(key, _ABSENT), b.get(key, _ABSENT), _child(path, key), found, limit)
        return
    if isinstance(a, list) and isinstance(b, list):
        for i in range(max(len(a), len(b))):
            left = a[i] if i < len(a) else _ABSENT
            right = b[i] if i < len(b) else _ABSENT
            _walk(left, right, f"{path}[{i}]", found, limit)
        return
    if a is _ABSENT or b is _ABSENT or type(a) is not type(b) or a != b:
        found.append(FieldDiff(path, shown(a), shown(b)))


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{canonical(key)}]"
