"""What a detector reports."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class IssueType(StrEnum):
    TIMESTAMP = "TIMESTAMP"
    RANDOM_VALUE = "RANDOM_VALUE"  # UUIDs and random tokens
    EXTERNAL_STATE = "EXTERNAL_STATE"
    FLOATING_POINT = "FLOATING_POINT"
    UNORDERED_COLLECTION = "UNORDERED_COLLECTION"
    OUTPUT_VARIES = "OUTPUT_VARIES"  # observed: same input, different output, no known pattern


class Severity(StrEnum):
    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class EvidenceSource(StrEnum):
    PATTERN = "PATTERN"  # a value that looks non-deterministic
    REPEATED_RUNS = "REPEATED_RUNS"  # differed between runs of the agent with equal input
    REPLAY = "REPLAY"  # differed in a replay of this run


MAX_EVIDENCE_CHARS = 160


def quote(text: str, limit: int = MAX_EVIDENCE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class CodeLocation:
    filepath: str
    function: str
    lineno: int


@dataclass(frozen=True, slots=True)
class Issue:
    span_id: str
    action_name: str
    type: IssueType
    severity: Severity
    source: EvidenceSource
    description: str  # quotes the evidence, bounded
    evidence: str  # the value (or values) found, bounded
    code: CodeLocation | None = None

    @property
    def observed(self) -> bool:
        return self.source is not EvidenceSource.PATTERN
