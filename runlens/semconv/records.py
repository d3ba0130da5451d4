"""The records everything after the receiver works on.

`RawSpan` / `RawLog` are OTLP data as decoded at the edge (no protobuf types, ids as lowercase
hex). `SpanRecord` / `LogRecord` are runlens' canonical records, produced by the pure mapping
functions of this package and written as-is by the storage layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

AttrValue = str | bool | int | float | list["AttrValue"] | dict[str, "AttrValue"] | None
"""An OTLP AnyValue as plain Python; bytes arrive base64-encoded and are listed in `binary_keys`."""

Attributes = dict[str, AttrValue]


class SpanKind(StrEnum):
    """What a span did, whatever dialect described it (docs/semconv.md, "Kinds")."""

    AGENT = "agent"
    LLM_CALL = "llm_call"
    TOOL_EXECUTION = "tool_execution"
    SUMMARIZATION = "summarization"
    MESSAGE = "message"
    RETRIEVAL = "retrieval"
    EMBEDDING = "embedding"
    OTHER = "other"


class SpanStatus(StrEnum):
    """`running` for a start marker; `ok` for a span that ended without error (OTLP UNSET or OK)."""

    RUNNING = "running"
    OK = "ok"
    ERROR = "error"


class CostSource(StrEnum):
    """Where `SpanRecord.cost_usd` came from."""

    NONE = "none"  # not an LLM call and no producer cost: nothing to price
    PRODUCER = "producer"  # a cost attribute sent by the instrumentation wins
    PRICE_TABLE = "price_table"  # computed from the bundled (or configured) price table
    UNPRICED = "unpriced"  # an LLM call whose model has no price: never shown as $0


@dataclass(frozen=True, slots=True)
class RawEvent:
    name: str
    time_unix_nano: int
    attributes: Attributes


@dataclass(frozen=True, slots=True)
class RawSpan:
    """One OTLP span, decoded.

    `binary_keys`/`truncated_keys` name attributes the decoder altered; `dropped_*` count what
    it left out past its limits.
    """

    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    # OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer
    kind: int
    start_time_unix_nano: int
    end_time_unix_nano: int
    status_code: int  # OTLP StatusCode: 0 unset, 1 ok, 2 error
    status_message: str
    attributes: Attributes
    events: tuple[RawEvent, ...] = ()
    resource: Attributes = field(default_factory=dict)
    scope_name: str = ""
    scope_version: str = ""
    truncated_keys: tuple[str, ...] = ()
    binary_keys: tuple[str, ...] = ()
    dropped_attributes: int = 0  # past the decoder's per-span / per-event limit
    dropped_events: int = 0


@dataclass(frozen=True, slots=True)
class RawLog:
    """One OTLP log record, decoded.

    `event_name` is the OTLP `eventName` or the `event.name` attribute.
    """

    trace_id: str
    span_id: str
    time_unix_nano: int
    severity_number: int
    severity_text: str
    event_name: str
    body: AttrValue
    attributes: Attributes
    resource: Attributes = field(default_factory=dict)
    scope_name: str = ""
    truncated_keys: tuple[str, ...] = ()
    binary_keys: tuple[str, ...] = ()
    dropped_attributes: int = 0  # past the decoder's per-record limit


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """Token counts of one LLM call, OTel rule: `input` includes cached and cache-write tokens,
    `output` includes reasoning tokens."""

    input: int = 0
    cached_input: int = 0
    cache_write: int = 0
    output: int = 0
    reasoning: int = 0

    @property
    def total(self) -> int:
        return self.input + self.output


@dataclass(frozen=True, slots=True)
class ToolCallRequest:
    """A tool call the model asked for; `arguments` is JSON text."""

    id: str
    name: str
    arguments: str = ""


@dataclass(frozen=True, slots=True)
class SpanRecord:
    """A span in runlens' semantic conventions (docs/semconv.md). JSON fields hold JSON text.

    `input`/`output` hold, per kind: LLM calls the canonical message lists
    (`[{"role", "parts": [...]}]`, system instructions first), tool executions the arguments
    and the result, other kinds whatever input/output the dialect recorded.
    """

    project_id: str
    run_id: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: SpanKind
    name: str
    status: SpanStatus
    start_time_unix_nano: int
    end_time_unix_nano: int  # 0 while running
    service_name: str = ""
    agent_id: str = ""
    agent_name: str = ""
    conversation_id: str = ""
    provider: str = ""
    request_model: str = ""
    response_model: str = ""
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop_reason: str = ""
    response_id: str = ""
    usage: TokenUsage = field(default_factory=TokenUsage)
    cost_usd: float | None = None
    cost_source: CostSource = CostSource.NONE
    price_version: str = ""
    input: str = ""
    output: str = ""
    tool_name: str = ""
    tool_call_id: str = ""
    tool_calls: tuple[ToolCallRequest, ...] = ()
    error_type: str = ""
    error_message: str = ""
    outcome: str = ""  # runlens.action.outcome when sent (blocked, replayed); else derived on read
    replay_of: str = ""
    code_filepath: str = ""
    code_function: str = ""
    code_lineno: int = 0
    dialects: tuple[str, ...] = ()
    # raw attributes, values as text (JSON when not a string)
    attributes: dict[str, str] = field(default_factory=dict)
    resource: dict[str, str] = field(default_factory=dict)
    events: str = ""  # span events as a JSON array of {name, time_unix_nano, attributes}
    scope_name: str = ""
    truncated: bool = False
    binary: bool = False

    @property
    def model(self) -> str:
        return self.response_model or self.request_model


@dataclass(frozen=True, slots=True)
class LogRecord:
    """A log record in runlens' conventions: GenAI events, terminal output chunks, plain logs.

    `stream` is `stdout`/`stderr` for terminal output chunks (runlens.output.stream) and empty
    otherwise; `seq` orders chunks of one (span, stream); `body` is JSON text.
    """

    project_id: str
    run_id: str
    trace_id: str
    span_id: str
    time_unix_nano: int
    event_name: str
    severity_number: int
    body: str
    attributes: dict[str, str] = field(default_factory=dict)
    stream: str = ""
    seq: int = 0
    end_of_stream: bool = False
    truncated: bool = False
    binary: bool = False
