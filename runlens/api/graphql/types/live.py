# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(description=...) is typed as returning Any)
"""What the live subscriptions send: `RunUpdate` (runUpdates) and `RunEventUpdate`
(runEvents)."""

from __future__ import annotations

from enum import Enum

import strawberry

from runlens.api.graphql.types.common import Long, Tokens
from runlens.api.graphql.types.events import Event
from runlens.api.graphql.types.run import Run


@strawberry.enum(description="What happened to a run.")
class RunUpdateType(Enum):
    CREATED = "created"
    UPDATED = "updated"
    COMPLETED = "completed"
    FAILED = "failed"
    TERMINATED = "terminated"


@strawberry.type(description="A run was created or changed; `run` is its state after the change.")
class RunUpdate:
    type: RunUpdateType
    run: Run


@strawberry.enum(description="What a `runEvents` message carries.")
class RunEventType(Enum):
    EVENT_CREATED = "event_created"
    EVENT_UPDATED = "event_updated"
    OUTPUT_CHUNK = "output_chunk"
    MODEL_TEXT_DELTA = "model_text_delta"
    TOTALS = "totals"
    OVERFLOW = "overflow"


@strawberry.type(
    description="A piece of a tool's terminal output (OUTPUT_CHUNK) or of an LLM call's "
    "streamed text (MODEL_TEXT_DELTA)."
)
class OutputChunk:
    event_id: strawberry.ID
    stream: str = strawberry.field(description="`stdout`, `stderr` or `model`.")
    text: str
    seq: Long = strawberry.field(description="Order of the chunk within its span and stream.")


@strawberry.type(description="One change of a run, in commit-sequence order.")
class RunEventUpdate:
    type: RunEventType
    sequence: Long = strawberry.field(
        description="The commit sequence of the change. Resume with `afterSequence` set to the "
        "last one received; OVERFLOW: the sequence to resume from."
    )
    event: Event | None = strawberry.field(
        default=None, description="EVENT_CREATED / EVENT_UPDATED: the event as now stored."
    )
    chunk: OutputChunk | None = strawberry.field(
        default=None, description="OUTPUT_CHUNK and MODEL_TEXT_DELTA."
    )
    tokens: Tokens | None = strawberry.field(default=None, description="TOTALS: the run's.")
    cost_usd: float | None = strawberry.field(
        default=None, description="TOTALS: the run's cost, null when no call could be priced."
    )


@strawberry.type(description="The updates of one read of a run's changes (`runEventBatches`).")
class RunEventBatch:
    updates: list[RunEventUpdate] = strawberry.field(
        description="In commit-sequence order, as `runEvents` would send them one by one."
    )
    sequence: Long = strawberry.field(
        description="The last update's: resume with `afterSequence` set to it."
    )
