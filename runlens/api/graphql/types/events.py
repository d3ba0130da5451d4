# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(description=...) is typed as returning Any)
"""The `Event` interface (one span of a run) and its simple implementations."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from runlens.analysis.error_taxonomy import explain_error
from runlens.api.graphql.types.common import ErrorDetail, timestamp
from runlens.runs.context import message_text, messages_of, output_text
from runlens.runs.events import duration_ms, event_id, event_outcome, event_status, json_value
from runlens.runs.view import RunView
from runlens.semconv import keys
from runlens.semconv.copies import sent_attributes
from runlens.semconv.records import SpanKind, SpanRecord, SpanStatus

# The GraphQL enum is the semconv kind itself, so the two can never drift apart.
strawberry.enum(SpanKind, name="EventKind")


@strawberry.enum
class EventStatus(Enum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    TERMINATED = "terminated"


@strawberry.enum
class EventOutcome(Enum):
    SUCCESS = "success"
    ERROR = "error"
    BLOCKED = "blocked"
    REPLAYED = "replayed"


@strawberry.interface(description="One step of a run (a span), in start order.")
class Event:
    span: strawberry.Private[SpanRecord]
    view: strawberry.Private[RunView]

    @strawberry.field(description="The span id as a UUID-like string (docs/api.md).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(event_id(self.span.span_id))

    @strawberry.field
    def span_id(self) -> str:
        return self.span.span_id

    @strawberry.field
    def parent_id(self) -> str | None:
        return self.span.parent_span_id or None

    @strawberry.field(description="1-based position in the run's start order.")
    def sequence(self) -> int:
        return self.view.sequence[self.span.span_id]

    @strawberry.field
    def kind(self) -> SpanKind:
        return self.span.kind

    @strawberry.field
    def name(self) -> str:
        return self.span.name

    @strawberry.field
    def status(self) -> EventStatus:
        return EventStatus(event_status(self.span, self.view.summary))

    @strawberry.field(description="Null while the event runs.")
    def outcome(self) -> EventOutcome | None:
        outcome = event_outcome(self.span)
        return None if outcome is None else EventOutcome(outcome)

    @strawberry.field
    def started_at(self) -> datetime | None:
        return timestamp(self.span.start_time_unix_nano)

    @strawberry.field(description="Null while the event runs.")
    def ended_at(self) -> datetime | None:
        if self.span.status is SpanStatus.RUNNING:
            return None
        return timestamp(self.span.end_time_unix_nano)

    @strawberry.field
    def duration_ms(self) -> float | None:
        return duration_ms(self.span)

    @strawberry.field(description="Null when nothing was priced (unknown model: never $0).")
    def cost_usd(self) -> float | None:
        return self.span.cost_usd

    @strawberry.field
    def input(self) -> JSON | None:
        return JSON(json_value(self.span.input))

    @strawberry.field
    def output(self) -> JSON | None:
        return JSON(json_value(self.span.output))

    @strawberry.field(description="Raw span attributes, values as text.")
    def attributes(self) -> JSON:
        return JSON(dict(sent_attributes(self.span)))

    @strawberry.field(
        description="Values and matches redacted before storage (runlens.redaction.count)."
    )
    def redactions(self) -> int:
        return _attribute_int(self.span, keys.RUNLENS_REDACTION_COUNT) or 0

    @strawberry.field(
        description="The redaction rules that fired, sorted: `email`, `card`, `api_key`, "
        "`bearer`, `attribute` (a listed key) or a configured pattern's name."
    )
    def redacted_kinds(self) -> list[str]:
        rules = json_value(self.span.attributes.get(keys.RUNLENS_REDACTION_RULES, ""))
        return [str(rule) for rule in rules] if isinstance(rules, list) else []

    @strawberry.field(
        description="Some attribute values arrived as bytes (or as invalid UTF-8): they are "
        "stored base64-encoded, so an `input` or `output` from them is base64 text."
    )
    def binary(self) -> bool:
        return self.span.binary

    @strawberry.field
    def error(self) -> ErrorDetail | None:
        span = self.span
        if span.status is not SpanStatus.ERROR and not span.error_type:
            return None
        return ErrorDetail.of(
            explain_error(span.error_type, span.error_message, kind=span.kind.value)
        )


@strawberry.type(description="Agent, retrieval, embedding and other spans.")
class GenericEvent(Event):
    pass


@strawberry.type
class Message(Event):
    @strawberry.field
    def role(self) -> str:
        messages = messages_of(self.span.output) or messages_of(self.span.input)
        return str(messages[0].get("role", "")) if messages else ""

    @strawberry.field
    def content(self) -> str:
        messages = messages_of(self.span.output) or messages_of(self.span.input)
        if messages:
            return "\n".join(message_text(m) for m in messages)
        return self.span.output or self.span.input


def _attribute_int(span: SpanRecord, key: str) -> int | None:
    try:
        return int(float(span.attributes[key]))
    except (KeyError, ValueError):
        return None


def _difference(span: SpanRecord, before: str, after: str) -> int | None:
    first, second = _attribute_int(span, before), _attribute_int(span, after)
    return None if first is None or second is None else first - second


@strawberry.type(description="Context compaction: history summarized or truncated.")
class Summarization(Event):
    @strawberry.field
    def summary(self) -> str | None:
        return output_text(self.span) or None

    @strawberry.field(description="runlens.compaction.messages_before - messages_after.")
    def items_collapsed(self) -> int | None:
        return _difference(
            self.span,
            keys.RUNLENS_COMPACTION_MESSAGES_BEFORE,
            keys.RUNLENS_COMPACTION_MESSAGES_AFTER,
        )

    @strawberry.field(description="runlens.compaction.tokens_before - tokens_after.")
    def tokens_collapsed(self) -> int | None:
        return _difference(
            self.span,
            keys.RUNLENS_COMPACTION_TOKENS_BEFORE,
            keys.RUNLENS_COMPACTION_TOKENS_AFTER,
        )
