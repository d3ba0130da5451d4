"""What the conformance tests share."""

from __future__ import annotations

from collections.abc import Sequence

from runlens.semconv.records import LogRecord, SpanRecord
from runlens.storage.contract import Store, WriteResult


def write(store: Store, spans: Sequence[SpanRecord], logs: Sequence[LogRecord] = ()) -> WriteResult:
    """Write, then refresh the summaries of the runs written, as the ingest pipeline does."""
    result = store.write(spans, logs)
    store.refresh_runs(result.runs)
    return result
