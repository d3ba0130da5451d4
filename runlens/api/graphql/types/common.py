"""Scalars, enums and small types shared by the run and event types."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from runlens.analysis.error_taxonomy import ErrorCategory, ErrorExplanation

Long = NewType("Long", int)
LONG_SCALAR = strawberry.scalar(
    name="Long",
    serialize=int,
    parse_value=int,
    description="A 64-bit integer (token counts and totals exceed GraphQL's 32-bit Int).",
)
SCALAR_MAP: dict[object, ScalarDefinition] = {Long: LONG_SCALAR}


@strawberry.enum(description="Where a run is in its life.")
class RunStatus(Enum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    TERMINATED = "terminated"


@strawberry.enum(description="Runs started within the window (ALL: no limit).")
class TimeWindow(Enum):
    LAST_24H = "last_24h"
    LAST_7D = "last_7d"
    LAST_30D = "last_30d"
    ALL = "all"


_WINDOW_SECONDS = {"last_24h": 86_400, "last_7d": 7 * 86_400, "last_30d": 30 * 86_400}


def window_start(window: TimeWindow, now_unix_nano: int) -> int | None:
    """The earliest start (ns) a run in the window may have; None for ALL."""
    seconds = _WINDOW_SECONDS.get(window.value)
    return None if seconds is None else now_unix_nano - seconds * 1_000_000_000


@strawberry.enum(description='The error taxonomy (docs/api.md, "Error taxonomy").')
class ErrorType(Enum):
    TOOL_NOT_FOUND = ErrorCategory.TOOL_NOT_FOUND.value
    MODEL_ERROR = ErrorCategory.MODEL_ERROR.value
    RATE_LIMITED = ErrorCategory.RATE_LIMITED.value
    TIMEOUT = ErrorCategory.TIMEOUT.value
    PERMISSION_DENIED = ErrorCategory.PERMISSION_DENIED.value
    AUTHENTICATION = ErrorCategory.AUTHENTICATION.value
    CONTEXT_LENGTH = ErrorCategory.CONTEXT_LENGTH.value
    INVALID_INPUT = ErrorCategory.INVALID_INPUT.value
    LOST = ErrorCategory.LOST.value
    UNKNOWN = ErrorCategory.UNKNOWN.value


@strawberry.type(description="An error explained: taxonomy type, what happened, what to try.")
class ErrorDetail:
    type: ErrorType
    message: str
    remediation: str
    raw_type: str = strawberry.field(description="The error type as recorded.")
    raw_message: str = strawberry.field(description="The error message as recorded.")

    @classmethod
    def of(cls, explanation: ErrorExplanation) -> ErrorDetail:
        return cls(
            type=ErrorType(explanation.category.value),
            message=explanation.message,
            remediation=explanation.remediation,
            raw_type=explanation.error_type,
            raw_message=explanation.detail,
        )


@strawberry.type(
    description="Token usage. `input` includes `cached` (and cache writes), `output` includes "
    "`reasoning`; `total` = input + output."
)
class Tokens:
    input: Long
    cached: Long
    cache_write: Long
    output: Long
    reasoning: Long

    @strawberry.field
    def total(self) -> Long:
        return Long(self.input + self.output)


def tokens(input: int, cached: int, cache_write: int, output: int, reasoning: int) -> Tokens:
    return Tokens(
        input=Long(input),
        cached=Long(cached),
        cache_write=Long(cache_write),
        output=Long(output),
        reasoning=Long(reasoning),
    )


def timestamp(unix_nano: int) -> datetime | None:
    """A UTC datetime (µs precision); None for 0, the "not yet" value of end times."""
    if unix_nano <= 0:
        return None
    seconds, rest = divmod(unix_nano, 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest // 1000)
