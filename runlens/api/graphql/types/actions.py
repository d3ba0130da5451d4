# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(description=...) is typed as returning Any)
"""LLM calls and tool executions, linked both ways, and `event_of`, which picks the type of
an event from its kind."""

from __future__ import annotations

from urllib.parse import quote

import strawberry
from strawberry.scalars import JSON

from runlens.api.graphql.context import Context
from runlens.api.graphql.pagination import PageInfo, decode_cursor, encode_cursor, page_size
from runlens.api.graphql.types.common import Tokens, tokens
from runlens.api.graphql.types.events import (
    Event,
    GenericEvent,
    Message,
    Summarization,
)
from runlens.runs.context import content_captured, context_of, reasoning_text, response_text
from runlens.runs.events import json_value
from runlens.runs.output import streamed_text, terminal_output
from runlens.runs.view import RunView
from runlens.semconv.copies import sent_attributes
from runlens.semconv.records import SpanKind, SpanRecord

RAW_RESPONSE_KEYS = ("output.value",)
"""Attributes holding the provider's response as received (OpenInference `output.value`)."""


@strawberry.type(description="One item of what the model saw, in order.")
class ContextItem:
    role: str
    kind: str = strawberry.field(
        description="system_prompt, message, tool_call, tool_result or summary."
    )
    content: str
    parts: JSON
    is_new: bool = strawberry.field(
        description="Not among the messages of the previous LLM call of the run."
    )


@strawberry.type
class ContextItemEdge:
    node: ContextItem
    cursor: str


@strawberry.type
class ContextItemConnection:
    edges: list[ContextItemEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type(description="A tool call the model requested, and the execution that ran it.")
class ToolCall:
    id: str
    name: str
    arguments: JSON
    view: strawberry.Private[RunView]
    llm_span_id: strawberry.Private[str]

    @strawberry.field(description="Null when no tool execution of the run answered the call.")
    def execution(self) -> ToolExecution | None:
        span_id = self.view.links.get((self.llm_span_id, self.id))
        if span_id is None:
            return None
        return ToolExecution(span=self.view.by_id[span_id], view=self.view)


@strawberry.type
class LlmCall(Event):
    @strawberry.field
    def model(self) -> str | None:
        return self.span.model or None

    @strawberry.field
    def provider(self) -> str | None:
        return self.span.provider or None

    @strawberry.field
    def temperature(self) -> float | None:
        return self.span.temperature

    @strawberry.field
    def top_p(self) -> float | None:
        return self.span.top_p

    @strawberry.field
    def max_tokens(self) -> int | None:
        return self.span.max_tokens

    @strawberry.field
    def stop_reason(self) -> str | None:
        return self.span.stop_reason or None

    @strawberry.field
    def tokens(self) -> Tokens:
        u = self.span.usage
        return tokens(u.input, u.cached_input, u.cache_write, u.output, u.reasoning)

    @strawberry.field(
        description="False when the call arrived without any of its content (no prompt, no "
        "answer): the instrumentation was not set to capture message content (docs/api.md)."
    )
    def content_captured(self) -> bool:
        return content_captured(self.span)

    @strawberry.field(
        description="Whether the run's totals count this call: false for a call with another "
        "LLM call below it (stacked instrumentation) or a repeat of a response "
        '(docs/semconv.md, "What a run counts").'
    )
    def counted(self) -> bool:
        return self.span.span_id in self.view.counted

    @strawberry.field(description="The text of the model's output (without its reasoning).")
    def response(self) -> str | None:
        return response_text(self.span) or None

    @strawberry.field(
        description="The model's reasoning (thinking) as the instrumentation captured it: the "
        "`reasoning` parts of its output messages (docs/semconv.md); null when there is none."
    )
    def reasoning(self) -> str | None:
        return reasoning_text(self.span) or None

    @strawberry.field(
        description="The text the model streamed so far (`runlens.output.stream` = `model` "
        "chunks, in order): grows while the call runs; null when nothing was streamed."
    )
    def streamed_text(self) -> str | None:
        return streamed_text(self.view, self.span)

    @strawberry.field(description="The provider's response as captured, when it was.")
    def raw_response(self) -> JSON | None:
        attributes = sent_attributes(self.span)
        for key in RAW_RESPONSE_KEYS:
            if key in attributes:
                return JSON(json_value(attributes[key]))
        return None

    @strawberry.field
    def tool_calls(self) -> list[ToolCall]:
        return [
            ToolCall(
                id=call.id,
                name=call.name,
                arguments=JSON(json_value(call.arguments)),
                view=self.view,
                llm_span_id=self.span.span_id,
            )
            for call in self.span.tool_calls
        ]

    @strawberry.field(description="What the model saw, in order (its input messages).")
    def context(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
    ) -> ContextItemConnection:
        size = page_size(first, info.context.options.max_page_size)
        start = int(decode_cursor(after, "ctx")[0]) + 1 if after else 0
        entries = context_of(self.view, self.span)
        page = entries[start : start + size]
        edges = [
            ContextItemEdge(
                node=ContextItem(
                    role=e.role,
                    kind=e.kind,
                    content=e.content,
                    parts=JSON(e.parts),
                    is_new=e.is_new,
                ),
                cursor=encode_cursor("ctx", start + i),
            )
            for i, e in enumerate(page)
        ]
        return ContextItemConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=start + size < len(entries),
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=len(entries),
        )


@strawberry.type(description="Where a tool's whole terminal output is stored.")
class OutputLocation:
    table: str = strawberry.field(description="`runlens.logs`: one row per chunk.")
    run_id: str
    span_id: str
    sql: str = strawberry.field(
        description="A query that reads the whole output in order (`runlens sql`, `/clickhouse`)."
    )
    download_url: str = strawberry.field(
        description="The whole output as text/plain on this server (same API key)."
    )


def output_location(span: SpanRecord) -> OutputLocation:
    def quoted(value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    sql = (
        "SELECT time, stream, seq, body FROM runlens.logs FINAL "
        f"WHERE project_id = {quoted(span.project_id)} AND run_id = {quoted(span.run_id)} "
        f"AND span_id = {quoted(span.span_id)} AND stream IN ('stdout', 'stderr') "
        "ORDER BY time, stream, seq"
    )
    return OutputLocation(
        table="runlens.logs",
        run_id=span.run_id,
        span_id=span.span_id,
        sql=sql,
        download_url=f"/export/runs/{quote(span.run_id, safe='')}/output/{span.span_id}",
    )


@strawberry.type(description="Terminal output of a tool (runlens.output.* log records).")
class TerminalOutput:
    location: OutputLocation = strawberry.field(
        description="Where the whole output is stored (the store keeps every chunk)."
    )
    text: str
    stdout: str
    stderr: str
    exit_code: int | None
    bytes: int
    chunk_count: int
    truncated: bool


@strawberry.type
class ToolExecution(Event):
    @strawberry.field
    def tool_name(self) -> str:
        return self.span.tool_name

    @strawberry.field
    def call_id(self) -> str | None:
        return self.span.tool_call_id or None

    @strawberry.field(description="The LLM call that requested this execution, when linked.")
    def requested_by(self) -> LlmCall | None:
        llm = self.view.requested_by.get(self.span.span_id)
        return None if llm is None else LlmCall(span=self.view.by_id[llm], view=self.view)

    @strawberry.field(description="Null when the tool sent no terminal output.")
    def terminal_output(self) -> TerminalOutput | None:
        found = terminal_output(self.view, self.span)
        if found is None:
            return None
        return TerminalOutput(
            location=output_location(self.span),
            text=found.text,
            stdout=found.stdout,
            stderr=found.stderr,
            exit_code=found.exit_code,
            bytes=found.bytes,
            chunk_count=found.chunk_count,
            truncated=found.truncated,
        )


_TYPES: dict[SpanKind, type[Event]] = {
    SpanKind.LLM_CALL: LlmCall,
    SpanKind.TOOL_EXECUTION: ToolExecution,
    SpanKind.SUMMARIZATION: Summarization,
    SpanKind.MESSAGE: Message,
}

EVENT_TYPES: tuple[type[Event], ...] = (
    LlmCall,
    ToolExecution,
    Summarization,
    Message,
    GenericEvent,
)


def event_of(span: SpanRecord, view: RunView) -> Event:
    return _TYPES.get(span.kind, GenericEvent)(span=span, view=view)


__all__ = ["EVENT_TYPES", "ContextItem", "LlmCall", "ToolExecution", "event_of"]
