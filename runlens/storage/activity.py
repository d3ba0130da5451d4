"""The activity ledger's values in the storage contract (`EventReader.actions_page`): actions
(LLM calls and tool executions) across the runs of a project, newest first, filtered, in keyset
pages."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from runlens.semconv.records import SpanKind, SpanStatus


class ActionOutcome(StrEnum):
    """As `Event.outcome`: blocked / replayed when recorded so, else error or success."""

    SUCCESS = "success"
    ERROR = "error"
    BLOCKED = "blocked"
    REPLAYED = "replayed"


ACTION_KINDS = (SpanKind.LLM_CALL, SpanKind.TOOL_EXECUTION)


@dataclass(frozen=True, slots=True)
class ActionPosition:
    """A keyset position in the ledger: start time (ns), run id, span id."""

    start_unix_nano: int
    run_id: str
    span_id: str


@dataclass(frozen=True, slots=True)
class ActionQuery:
    project_id: str
    limit: int
    outcomes: tuple[ActionOutcome, ...] = ()  # finished actions only when given
    kinds: tuple[SpanKind, ...] = ACTION_KINDS
    agent_id: str | None = None
    started_after_unix_nano: int | None = None  # the time window
    search: str | None = None  # case-insensitive: name, tool, model, error, input or output
    after: ActionPosition | None = None  # strictly older than this position


@dataclass(frozen=True, slots=True)
class ActionEntry:
    """One action as the ledger lists it (no payloads)."""

    run_id: str
    span_id: str
    kind: SpanKind
    name: str
    status: SpanStatus
    outcome: str  # as stored: '' unless blocked / replayed
    start_unix_nano: int
    end_unix_nano: int
    cost_usd: float | None
    model: str
    tool_name: str
    error_type: str
    error_message: str
