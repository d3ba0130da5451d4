"""Run summaries stay exact when one run's spans reach two independent writers sharing the store.

Two `ClickHouseStore`s on one database, each behind its own `IngestPipeline` (their own
queues, writer threads, summary threads and memory of the runs they wrote), stand for two
collectors: each batch of a run goes to either one, a span may be delivered again (to the same
or the other collector), and a span's start marker may come before or after its ended version.
Once both pipelines are stopped, each run's stored summary must equal the one a third store
computes from scratch after receiving every span at once.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace

import pytest

from runlens.collector.pipeline import IngestPipeline
from runlens.semconv.records import CostSource, SpanKind, SpanRecord, SpanStatus, TokenUsage
from runlens.storage.clickhouse.store import ClickHouseStore
from runlens.storage.contract import RunKey, RunSummary
from tests.storage.builders import SECOND, T0, llm, root, span, tool


def _run(rng: random.Random, project_id: str, run_id: str) -> list[SpanRecord]:
    """An agent root over turns of chains; some chains wrap one LLM call in another (stacked
    instrumentation, where only one of the two reported usage), some calls repeat a response
    id, some tools fail, and a sub-agent may fail."""
    spans = [root(project_id, run_id, start_time_unix_nano=T0, end_time_unix_nano=T0 + 90 * SECOND)]
    for turn in range(rng.randint(2, 6)):
        at = T0 + (turn + 1) * SECOND
        chain = f"chain{turn}"
        spans.append(span(project_id, run_id, chain, start_time_unix_nano=at))
        call = f"llm{turn}"
        response = f"resp{rng.randint(0, 3)}" if rng.random() < 0.4 else ""
        spans.append(
            llm(
                project_id,
                run_id,
                call,
                parent_span_id=chain,
                start_time_unix_nano=at + 1,
                response_id=response,
            )
        )
        if rng.random() < 0.4:  # a wrapper's inner call, with or without usage
            inner = TokenUsage(input=7, output=3) if rng.random() < 0.5 else TokenUsage()
            spans.append(
                llm(
                    project_id,
                    run_id,
                    f"inner{turn}",
                    parent_span_id=call,
                    usage=inner,
                    start_time_unix_nano=at + 2,
                    cost_source=CostSource.UNPRICED,
                    cost_usd=None,
                )
            )
        failed = rng.random() < 0.3
        spans.append(
            tool(
                project_id,
                run_id,
                f"tool{turn}",
                parent_span_id=chain,
                start_time_unix_nano=at + 3,
                status=SpanStatus.ERROR if failed else SpanStatus.OK,
                error_type="ToolError" if failed else "",
                error_message="boom" if failed else "",
            )
        )
    if rng.random() < 0.3:
        spans.append(
            span(
                project_id,
                run_id,
                "sub",
                kind=SpanKind.AGENT,
                status=SpanStatus.ERROR,
                start_time_unix_nano=T0 + 60 * SECOND,
                error_type="AgentError",
            )
        )
    return spans  # fmt: skip


def _marker(s: SpanRecord) -> SpanRecord:
    return replace(s, status=SpanStatus.RUNNING, end_time_unix_nano=0, usage=TokenUsage(),
                   cost_usd=None, error_type="", error_message="")  # fmt: skip


def _deliveries(rng: random.Random, spans: list[SpanRecord]) -> list[SpanRecord]:
    """Every span once, plus start markers (before or after the span) and re-deliveries."""
    sent: list[SpanRecord] = []
    for s in spans:
        sent.append(s)
        if rng.random() < 0.5:
            sent.insert(rng.randint(0, len(sent)), _marker(s))
        if rng.random() < 0.3:
            sent.append(s)
    return sent


def _pipeline(store: ClickHouseStore) -> IngestPipeline:
    return IngestPipeline(
        store, max_queued=100_000, max_batch=7, run_timeout_s=3600, sweep_interval_s=3600,
        refresh_gap_s=0.01,
    )  # fmt: skip


@pytest.fixture
def collectors(chdb_dsn: str) -> Iterator[tuple[ClickHouseStore, ClickHouseStore]]:
    first, second = ClickHouseStore.open(chdb_dsn), ClickHouseStore.open(chdb_dsn)
    yield first, second
    first.close()
    second.close()


def test_a_run_written_through_two_collectors_has_the_summary_computed_from_scratch(
    collectors: tuple[ClickHouseStore, ClickHouseStore], chdb_dsn: str, project_id: str
) -> None:
    rng = random.Random(20261207)
    runs = {f"run-{n}": _run(rng, project_id, f"run-{n}") for n in range(12)}
    pipelines = [_pipeline(store) for store in collectors]
    for pipeline in pipelines:
        pipeline.start()
    try:
        deliveries = [
            (run_id, s) for run_id, spans in runs.items() for s in _deliveries(rng, spans)
        ]
        rng.shuffle(deliveries)  # runs interleaved, the spans of each out of order
        futures = []
        while deliveries:
            size = rng.randint(1, 9)
            batch, deliveries = deliveries[:size], deliveries[size:]
            target = pipelines[rng.randrange(2)]
            futures.append(target.submit([s for _, s in batch], []))
        for future in futures:
            future.result(timeout=60)
    finally:
        for pipeline in pipelines:
            pipeline.stop()

    scratch_project = f"{project_id}-scratch"
    from_scratch = ClickHouseStore.open(chdb_dsn)
    try:
        every = [replace(s, project_id=scratch_project) for spans in runs.values() for s in spans]
        from_scratch.write(every, [])
        from_scratch.refresh_runs(RunKey(scratch_project, run_id) for run_id in runs)
        for run_id in runs:
            stored = collectors[0].run_summary(project_id, run_id)
            expected = from_scratch.run_summary(scratch_project, run_id)
            assert stored is not None and expected is not None
            assert _comparable(stored) == _comparable(expected), run_id
    finally:
        from_scratch.close()


def _comparable(summary: RunSummary) -> RunSummary:
    """Everything but the project and the time of the last ingest."""
    return replace(summary, project_id="", last_activity_unix_nano=0)
