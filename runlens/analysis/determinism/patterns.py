"""Values that look non-deterministic, found in text: timestamps, UUIDs, random tokens,
float noise and rendered sets. Each finder returns the matched values, first ones first."""

from __future__ import annotations

import math
import re
from collections import Counter

_MAX_FOUND = 5
ISO_8601 = re.compile(
    r"\b\d{4}-[01]\d-[0-3]\d[T ][0-2]\d:[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-][0-2]\d:?\d\d)?"
)
EPOCH = re.compile(r"(?<![\w.])(\d{10}(?:\.\d+)?|\d{13})(?![\w.])")
UUID = re.compile(
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}\b"
)
HEX_TOKEN = re.compile(r"\b[0-9a-f]{16,}\b|\b[0-9A-F]{16,}\b")
B64_TOKEN = re.compile(r"(?<![\w+/-])[A-Za-z0-9+/_-]{22,}={0,2}(?![\w+/-])")
LONG_FLOAT = re.compile(r"(?<![\w.])-?\d+\.\d{12,}(?:[eE][+-]?\d+)?(?![\w.])")
PY_SET = re.compile(r"(?:frozenset\(|set\(\[|\{'[^'{}]*'(?:, '[^'{}]*')+\})")

EPOCH_WINDOW_S = 2 * 86_400
"""An epoch number counts as a timestamp when within two days of the action's start."""
HEX_MIN_ENTROPY = 3.0  # bits per character (random hex: ~4)
B64_MIN_ENTROPY = 4.0  # bits per character (random base64: ~6)


def entropy(text: str) -> float:
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def timestamps(text: str, around_unix_s: float) -> list[str]:
    found = [m.group(0) for m in ISO_8601.finditer(text)]
    for m in EPOCH.finditer(text):
        value = float(m.group(1))
        seconds = value / 1000 if len(m.group(1)) == 13 else value
        if abs(seconds - around_unix_s) <= EPOCH_WINDOW_S:
            found.append(m.group(1))
    return found[:_MAX_FOUND]


def uuids(text: str) -> list[str]:
    return [m.group(0) for m in UUID.finditer(text)][:_MAX_FOUND]


def random_tokens(text: str, known: frozenset[str]) -> list[str]:
    """High-entropy hex and base64 tokens that are not ids the run recorded itself."""
    stripped = UUID.sub(" ", text)
    found: list[str] = []
    for m in HEX_TOKEN.finditer(stripped):
        token = m.group(0)
        if token.lower() not in known and entropy(token) >= HEX_MIN_ENTROPY:
            found.append(token)
    for m in B64_TOKEN.finditer(stripped):
        token = m.group(0)
        mixed = any(c.isupper() for c in token) and any(c.islower() for c in token)
        digits = any(c.isdigit() for c in token)
        if mixed and digits and token not in known and entropy(token) >= B64_MIN_ENTROPY:
            found.append(token)
    return found[:_MAX_FOUND]


def long_floats(text: str) -> list[str]:
    return [m.group(0) for m in LONG_FLOAT.finditer(text)][:_MAX_FOUND]


def rendered_sets(text: str) -> list[str]:
    found = []
    for m in PY_SET.finditer(text):
        end = text.find(")", m.end()) + 1 if m.group(0).endswith("(") else m.end()
        found.append(text[m.start() : end or m.end()][:80])
    return found[:_MAX_FOUND]
