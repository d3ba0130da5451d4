"""`storage.summarize`: a run's summary depends only on the set of its spans' latest versions,
never on how deliveries were batched, repeated or ordered; and its version grows with what a
read saw."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from runlens.semconv.records import SpanRecord, SpanStatus, TokenUsage
from runlens.storage.contract import RunStatus
from runlens.storage.summarize import RunState, Terminated, fact_of, summarize, version_of
from tests.storage.builders import SECOND, T0, llm, root, span, tool

P, R = "p", "r"


def _spans() -> list[SpanRecord]:
    return [
        root(P, R, end_time_unix_nano=T0 + 9 * SECOND),
        span(P, R, "chain"),
        llm(P, R, "wrapper", parent_span_id="chain", response_id="resp-1"),
        llm(P, R, "inner", parent_span_id="wrapper", usage=TokenUsage(), response_id="resp-1"),
        llm(P, R, "again", parent_span_id="chain", response_id="resp-1",
            start_time_unix_nano=T0 + 1),
        llm(P, R, "other", parent_span_id="chain", start_time_unix_nano=T0 + 2),
        tool(P, R, "search", status=SpanStatus.ERROR, error_type="Timeout", error_message="slow"),
    ]  # fmt: skip


def _marker(s: SpanRecord) -> SpanRecord:
    return replace(s, status=SpanStatus.RUNNING, end_time_unix_nano=0, usage=TokenUsage())


def test_a_run_summary_counts_what_the_rules_count() -> None:
    state = RunState()
    state.fold(fact_of(s, 1_000) for s in _spans())
    summary = summarize(P, R, state).summary
    # The wrapper counts in place of its inner call (only it reported usage); "again" repeats
    # resp-1 after the wrapper and is left out; "other" counts.
    assert (summary.turns, summary.input_tokens, summary.action_count) == (2, 200, 3)
    assert (summary.status, summary.error_type, summary.span_count) == (
        RunStatus.COMPLETED,
        "Timeout",
        7,
    )


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(1, 5))
def test_the_summary_does_not_depend_on_batches_repeats_or_order(
    rng: random.Random, batches: int
) -> None:
    spans = _spans()
    deliveries = [(s, 2_000) for s in spans]
    deliveries += [(_marker(s), 1_000 + n) for n, s in enumerate(spans) if rng.random() < 0.6]
    deliveries += [(s, 3_000 + n) for n, s in enumerate(spans) if rng.random() < 0.3]
    rng.shuffle(deliveries)
    state = RunState()
    cuts = sorted(rng.sample(range(len(deliveries) + 1), min(batches, len(deliveries) + 1)))
    for begin, end in zip([0, *cuts], [*cuts, len(deliveries)], strict=True):
        state.fold(fact_of(s, at) for s, at in deliveries[begin:end])
    once = RunState()
    once.fold(fact_of(s, 2_000) for s in spans)
    got, expected = summarize(P, R, state), summarize(P, R, once)
    assert replace(got.summary, last_activity_unix_nano=0) == replace(
        expected.summary, last_activity_unix_nano=0
    )
    assert got.version == expected.version


def test_a_later_read_has_a_higher_version() -> None:
    spans = _spans()
    state = RunState()
    state.fold(fact_of(_marker(s), 1_000) for s in spans)
    versions = [summarize(P, R, state).version]
    state.fold([fact_of(spans[0], 2_000)])  # the root ends
    versions.append(summarize(P, R, state).version)
    state.fold([fact_of(span(P, R, "late"), 2_000)])  # a new span
    versions.append(summarize(P, R, state).version)
    versions.append(summarize(P, R, state, Terminated("budget", T0)).version)
    assert versions == sorted(versions) and len(set(versions)) == 4
    assert version_of(1, 1, False) > version_of(0, 0, True) > 1 << 62  # above time versions
