"""What a request's selection of a run's events needs from storage: which span fields, and
whether the run's log records (they fill an LLM call's content and a tool's terminal output).
Fields not listed here need everything."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

_CONTENT = "logs"  # the field also needs the run's log records
# GraphQL field (of EventConnection, EventEdge or an event type) -> SpanRecord fields it shows.
# The key, kind, status and start time are always read.
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "__typename": (),
    "totalCount": (),
    "offset": (),
    "changeSequence": (),
    "pageInfo": (),
    "edges": (),
    "cursor": (),
    "node": (),
    "id": (),
    "spanId": (),
    "sequence": (),
    "kind": (),
    "status": (),
    "startedAt": (),
    "parentId": ("parent_span_id",),
    "name": ("name",),
    "outcome": ("outcome",),
    "endedAt": ("end_time_unix_nano",),
    "durationMs": ("end_time_unix_nano",),
    "costUsd": ("cost_usd",),
    "redactions": ("attributes",),
    "redactedKinds": ("attributes",),
    "error": ("error_type", "error_message"),
    "input": ("input", "trace_id", _CONTENT),
    "output": ("output", "trace_id", _CONTENT),
    # LlmCall
    "model": ("request_model", "response_model"),
    "provider": ("provider",),
    "temperature": ("temperature",),
    "topP": ("top_p",),
    "maxTokens": ("max_tokens",),
    "tokens": ("usage",),
    "reasoning": ("output", "trace_id", _CONTENT),
    # Message
    "role": ("input", "output", "trace_id", _CONTENT),
    "content": ("input", "output", "trace_id", _CONTENT),
    # ToolExecution
    "toolName": ("tool_name",),
    "callId": ("tool_call_id",),
}
# Their sub-selections are made of the same values.
_LEAF_OBJECTS = frozenset({"pageInfo", "error", "tokens"})


@dataclass(frozen=True, slots=True)
class EventRead:
    """What to read: `fields` of the spans (None: all), and the log records or not."""

    fields: frozenset[str] | None
    logs: bool


FULL_READ = EventRead(fields=None, logs=True)


def event_read(selections: Iterable[Selection], *, search: bool, outcomes: bool) -> EventRead:
    """What the selections under an `events` connection (and its filters) need."""
    if search:  # matches the name, tool, model, error, input and output
        return FULL_READ
    needed: set[str] = {"outcome"} if outcomes else set()
    if not _collect(selections, needed):
        return FULL_READ
    logs = _CONTENT in needed
    needed.discard(_CONTENT)
    return EventRead(fields=frozenset(needed), logs=logs)


def _collect(selections: Iterable[Selection], needed: set[str]) -> bool:
    """Add what the selections need; False when one of them is not known here."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            fields = EVENT_FIELDS.get(selection.name)
            if fields is None:
                return False
            needed.update(fields)
            if selection.name not in _LEAF_OBJECTS and not _collect(selection.selections, needed):
                return False
        elif isinstance(selection, FragmentSpread | InlineFragment):
            if not _collect(selection.selections, needed):
                return False
        else:
            return False
    return True
