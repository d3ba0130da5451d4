"""GenAI log events merged into their spans at ingest when one write holds both; the events that
come without their span are merged when the run is read (`runs.view.merge_logs`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from runlens.collector.pipeline import IngestPipeline
from runlens.runs.view import view_of
from runlens.semconv import keys
from runlens.semconv.records import LogRecord, SpanRecord
from runlens.storage.clickhouse.store import ClickHouseStore
from tests.storage.builders import T0, llm, log


@pytest.fixture
def pipeline(store: ClickHouseStore) -> Iterator[IngestPipeline]:
    started = IngestPipeline(
        store, max_queued=100, max_batch=100, run_timeout_s=3600, sweep_interval_s=3600
    )
    started.start()
    yield started
    started.stop()


def call_and_events(project_id: str) -> tuple[SpanRecord, list[LogRecord]]:
    run_id = uuid.uuid4().hex
    call = llm(project_id, run_id, "c1", trace_id=run_id)
    question = log(
        project_id,
        run_id,
        span_id="c1",
        event_name="gen_ai.user.message",
        body=json.dumps({"content": "what time is it?"}),
    )
    answer = log(
        project_id,
        run_id,
        span_id="c1",
        time_unix_nano=T0 + 1,
        event_name="gen_ai.choice",
        body=json.dumps({"index": 0, "finish_reason": "stop", "message": {"content": "noon"}}),
    )
    return call, [question, answer]


def stored(store: ClickHouseStore, span: SpanRecord, logs: bool) -> tuple[SpanRecord, ...]:
    found = store.run_timelines(span.project_id, [span.run_id], logs=logs)
    return found[span.run_id].spans if not logs else view_of(found[span.run_id], None).spans


def test_events_written_with_their_span_are_merged_at_ingest(
    pipeline: IngestPipeline, store: ClickHouseStore, project_id: str
) -> None:
    call, events = call_and_events(project_id)
    pipeline.submit([call], events).result(30)

    [span] = stored(store, call, logs=False)  # the span as stored, no event read
    assert "what time is it?" in span.input and "noon" in span.output
    assert span.stop_reason == "stop"
    assert span.attributes[keys.RUNLENS_LOG_EVENTS_MERGED] == "2"
    found = store.run_timelines(project_id, [call.run_id])[call.run_id]
    assert len(found.logs) == 2  # the events are kept
    [read] = view_of(found, None).spans
    assert read is found.spans[0]  # nothing left to merge at read time


def test_events_written_apart_from_their_span_are_merged_when_read(
    pipeline: IngestPipeline, store: ClickHouseStore, project_id: str
) -> None:
    call, events = call_and_events(project_id)
    pipeline.submit([call], []).result(30)
    pipeline.submit([], events[:1]).result(30)

    [span] = stored(store, call, logs=False)
    assert span.input == "" and keys.RUNLENS_LOG_EVENTS_MERGED not in span.attributes
    [read] = stored(store, call, logs=True)
    assert "what time is it?" in read.input

    # a span delivered again with one of its events merges at ingest; the event that came
    # later is still merged when read
    pipeline.submit([call], events[:1]).result(30)
    pipeline.submit([], events[1:]).result(30)
    [span] = stored(store, call, logs=False)
    assert span.attributes[keys.RUNLENS_LOG_EVENTS_MERGED] == "1" and span.output == ""
    [read] = stored(store, call, logs=True)
    assert "what time is it?" in read.input and "noon" in read.output
