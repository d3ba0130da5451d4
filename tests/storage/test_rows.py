"""Pure record <-> column conversions (no database)."""

from __future__ import annotations

import dataclasses

from runlens.semconv.records import SpanRecord, SpanStatus
from runlens.storage.clickhouse.rows import (
    ENDED_BIT,
    LOG_SCHEMA,
    SPAN_SCHEMA,
    logs_to_rows,
    span_version,
    to_rows,
)

from .builders import full_span, log, root

NOW_US = 1_800_000_000_000_000


def test_ended_spans_outrank_start_markers_whatever_the_ingest_time() -> None:
    marker_later = span_version(SpanStatus.RUNNING, NOW_US + 10**9)
    ended_earlier = span_version(SpanStatus.OK, NOW_US)

    assert ended_earlier > marker_later
    assert span_version(SpanStatus.ERROR, NOW_US + 1) > ended_earlier
    assert ended_earlier == ENDED_BIT | NOW_US


def test_span_columns_cover_every_record_field() -> None:
    columns = set(SPAN_SCHEMA.names)
    fields = {f.name for f in dataclasses.fields(SpanRecord)}
    # Fields stored under another name or spread over several columns.
    renamed = {
        "start_time_unix_nano": "start_time",
        "end_time_unix_nano": "end_time",
        "usage": "input_tokens",
    }

    missing = {renamed.get(name, name) for name in fields} - columns

    assert missing == set()


def test_to_rows_builds_one_column_per_table_column() -> None:
    marker = root("p", "r", status=SpanStatus.RUNNING, end_time_unix_nano=0)

    table = to_rows([full_span("p", "r"), marker], NOW_US)

    assert table.schema == SPAN_SCHEMA
    assert table.num_rows == 2
    assert table.column("version").to_pylist() == [ENDED_BIT | NOW_US, NOW_US]
    assert table.column("tool_calls").to_pylist()[0][1] == {
        "id": "call_2",
        "name": "fetch",
        "arguments": "",
    }
    assert table.column("attributes").to_pylist()[0][0] == ("gen_ai.system", "openai")


def test_logs_to_rows() -> None:
    table = logs_to_rows([log("p", "r", stream="stderr", seq=3)], NOW_US)

    assert table.schema == LOG_SCHEMA
    assert table.to_pylist()[0]["seq"] == 3
