"""Pure pieces of the API: cursors and page sizes, event status/outcome, context items."""

from __future__ import annotations

import json

import pytest

from runlens.api.graphql.errors import ApiError, ErrorCode
from runlens.api.graphql.pagination import decode_cursor, encode_cursor, page_size
from runlens.runs.context import context_of, message_key
from runlens.runs.events import event_id, event_outcome, event_status
from runlens.runs.view import view_of
from runlens.semconv.records import SpanKind, SpanRecord, SpanStatus
from runlens.storage.contract import RunTimeline


def span(span_id: str, start: int, **fields: object) -> SpanRecord:
    values: dict[str, object] = {
        "project_id": "p", "run_id": "r", "trace_id": "t", "span_id": span_id,
        "parent_span_id": "root", "kind": SpanKind.LLM_CALL, "name": "chat",
        "status": SpanStatus.OK, "start_time_unix_nano": start, "end_time_unix_nano": start + 5,
    }  # fmt: skip
    values.update(fields)
    return SpanRecord(**values)  # type: ignore[arg-type]


def test_cursor_round_trip_and_kind_check() -> None:
    cursor = encode_cursor("runs:cost:desc", 0.125, "run-1")
    assert decode_cursor(cursor, "runs:cost:desc") == [0.125, "run-1"]
    with pytest.raises(ApiError) as raised:
        decode_cursor(cursor, "runs:started_at:desc")
    assert raised.value.code is ErrorCode.BAD_REQUEST


@pytest.mark.parametrize(("first", "size"), [(None, 50), (0, 0), (200, 200)])
def test_page_size(first: int | None, size: int) -> None:
    assert page_size(first, 200) == size


def test_page_size_default_never_exceeds_the_maximum() -> None:
    assert page_size(None, 10) == 10
    with pytest.raises(ApiError, match="between 0 and 10"):
        page_size(11, 10)


def test_event_id_rule() -> None:
    assert event_id("8c3a1f0e9b2d4c6a") == "00000000-0000-0000-8c3a-1f0e9b2d4c6a"


def test_status_and_outcome() -> None:
    running = span("a", 1, status=SpanStatus.RUNNING, end_time_unix_nano=0)
    assert (event_status(running, None), event_outcome(running)) == ("running", None)
    blocked = span("b", 2, outcome="blocked")
    assert (event_status(blocked, None), event_outcome(blocked)) == ("finished", "blocked")
    failed = span("c", 3, status=SpanStatus.ERROR)
    assert (event_status(failed, None), event_outcome(failed)) == ("failed", "error")


def test_is_new_compares_canonical_messages() -> None:
    system = {"role": "system", "parts": [{"type": "text", "content": "S"}]}
    question = {"role": "user", "parts": [{"content": "Q", "type": "text"}]}  # key order differs
    answer = {"role": "assistant", "parts": [{"type": "text", "content": "A"}]}
    first = span("1", 10, input=json.dumps([system, question]),
                 output=json.dumps([{**answer, "finish_reason": "stop"}]))  # fmt: skip
    second = span("2", 20, input=json.dumps([system, question, answer, {"role": "user",
                  "parts": [{"type": "text", "content": "more"}]}]))  # fmt: skip
    view = view_of(RunTimeline(spans=(first, second), logs=()), None)
    assert [e.is_new for e in context_of(view, first)] == [True, True]
    entries = context_of(view, second)
    assert [(e.kind, e.is_new) for e in entries] == [
        ("system_prompt", False), ("message", False), ("message", False), ("message", True),
    ]  # fmt: skip
    reordered = {"parts": [{"type": "text", "content": "Q"}], "role": "user"}
    assert message_key(question) == message_key(reordered)
    assert message_key(question) != message_key({**reordered, "role": "assistant"})
