"""`stale_runs`: the runs whose stored spans are newer than their summary (docs/schema.md,
Rebuilding summaries), found from the tables alone, as after a crash."""

from __future__ import annotations

import time

from runlens.semconv.records import SpanStatus
from runlens.storage.contract import LOST_REASON, RunKey, RunStatus, Store

from ..builders import SECOND, llm, root, span

SLACK_US = 60_000_000


def stale(store: Store, project_id: str) -> set[str]:
    """This test's stale runs (the session's store holds other tests' runs too)."""
    return {run.run_id for run in store.stale_runs(SLACK_US) if run.project_id == project_id}


def test_a_run_written_and_never_refreshed_is_stale_until_refreshed(
    store: Store, project_id: str
) -> None:
    store.write([root(project_id, "r1"), llm(project_id, "r1", "c1")], [])
    written = store.write([root(project_id, "r2")], [])
    assert stale(store, project_id) == {"r1", "r2"}

    store.refresh_runs([RunKey(project_id, "r1")])
    assert stale(store, project_id) == {"r2"}

    store.refresh_runs(written.runs)
    assert stale(store, project_id) == set()
    summary = store.run_summary(project_id, "r1")
    assert summary is not None and summary.input_tokens == 100


def test_a_span_stored_after_the_refresh_makes_the_run_stale_again(
    store: Store, project_id: str
) -> None:
    store.refresh_runs(store.write([root(project_id, "r1")], []).runs)
    assert stale(store, project_id) == set()
    store.write([llm(project_id, "r1", "late")], [])
    assert stale(store, project_id) == {"r1"}


def test_a_refresh_covers_only_the_writes_up_to_its_sequence(store: Store, project_id: str) -> None:
    """The pipeline refreshes up to the last write it published; a write still under way
    (a higher sequence) leaves the run stale."""
    first = store.write([root(project_id, "r1")], [])
    store.write([span(project_id, "r1", "s2")], [])
    store.refresh_runs(first.runs, first.seq)
    assert stale(store, project_id) == {"r1"}


def test_closing_a_lost_run_keeps_what_its_summary_covers(store: Store, project_id: str) -> None:
    running = root(project_id, "r1", status=SpanStatus.RUNNING, end_time_unix_nano=0)
    store.refresh_runs(store.write([running], []).runs)
    assert store.close_lost_runs(1, time.time_ns() + 3600 * SECOND) >= 1
    summary = store.run_summary(project_id, "r1")
    assert summary is not None
    assert (summary.status, summary.status_reason) == (RunStatus.FAILED, LOST_REASON)
    assert stale(store, project_id) == set()  # no refresh would reopen it
