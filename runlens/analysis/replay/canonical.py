"""Canonical JSON: one text per meaning, so equal payloads hash equal whatever their spelling.

- object keys are sorted;
- numbers are normalised: a float with an integral value is an int (`1.0 == 1`), other floats
  are rounded to `FLOAT_SIGNIFICANT_DIGITS` significant digits (`0.1 + 0.2 == 0.3`);
- text that is not JSON is kept as a JSON string; empty text is `null`.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

FLOAT_SIGNIFICANT_DIGITS = 12
"""Floats agreeing on this many significant digits are equal after canonicalisation."""


def parse(text: str) -> Any:
    """The JSON value of `text`; the text itself when it is not JSON; None when empty."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def normalise(value: Any) -> Any:
    """`value` with numbers normalised and containers normalised recursively."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    return str(value)


def _number(value: float) -> int | float | str:
    if not math.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 2**63:
        return int(value)
    rounded = float(f"{value:.{FLOAT_SIGNIFICANT_DIGITS}g}")
    return int(rounded) if rounded.is_integer() and abs(rounded) < 2**63 else rounded


def canonical(value: Any) -> str:
    """The canonical JSON text of a Python value."""
    return json.dumps(normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_text(text: str) -> str:
    """The canonical JSON text of JSON (or plain) text."""
    return canonical(parse(text))


def digest(text: str) -> str:
    """A short stable hash of the canonical form of `text` (hex, 16 characters)."""
    return hashlib.blake2b(canonical_text(text).encode(), digest_size=8).hexdigest()
