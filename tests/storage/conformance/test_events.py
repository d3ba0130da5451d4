"""Every backend reads records across runs the same way: by commit sequence range (live
delivery and its catch-up), the actions of runs as an export reads them, and the activity
ledger's pages."""

from __future__ import annotations

import dataclasses

from runlens.semconv.records import CostSource, SpanKind, SpanRecord, SpanStatus
from runlens.storage.activity import ActionOutcome, ActionPosition, ActionQuery
from runlens.storage.contract import RunKey, Store

from ..builders import SECOND, T0, llm, log, root, span, tool
from .support import write


def test_each_write_gets_a_higher_sequence(store: Store, project_id: str) -> None:
    first = store.write([root(project_id, "r1", status=SpanStatus.RUNNING)], [])
    second = store.write([], [log(project_id, "r1", stream="stdout")])
    given = store.next_seq()
    third = store.write([span(project_id, "r1", "a")], [])

    assert 0 < first.seq < second.seq < given < third.seq
    assert store.write([], []).seq == 0


def test_changes_are_read_by_sequence_range(store: Store, project_id: str) -> None:
    marker = root(project_id, "r1", status=SpanStatus.RUNNING)
    w1 = store.write([marker], [])
    w2 = store.write([span(project_id, "r1", "a")], [log(project_id, "r1", stream="stdout")])
    w3 = store.write([dataclasses.replace(marker, status=SpanStatus.OK)], [])
    store.write([span(project_id, "other", "b")], [])
    late_marker = store.write([marker], [])  # after the ended version: no change

    everything = store.run_changes(project_id, "r1", 0, late_marker.seq)
    # The root is one span, in its ended version, at the sequence that stored that version.
    assert [(seq, s.span_id, s.status) for seq, s in everything.spans] == [
        (w2.seq, "a", SpanStatus.OK),
        (w3.seq, "root", SpanStatus.OK),
    ]
    assert [(seq, g.stream) for seq, g in everything.logs] == [(w2.seq, "stdout")]

    middle = store.run_changes(project_id, "r1", w1.seq, w2.seq)
    assert [s.span_id for _, s in middle.spans] == ["a"]
    assert store.run_changes(project_id, "r1", w3.seq, w3.seq + 10**9).spans == ()
    assert store.run_changes(project_id, "r1", w2.seq, w1.seq).spans == ()


def test_changes_of_several_runs_answer_every_run_asked(store: Store, project_id: str) -> None:
    w1 = store.write([span(project_id, "r1", "a"), span(project_id, "r2", "b")], [])
    w2 = store.write([span(project_id, "r2", "c")], [])

    found = store.runs_changes(project_id, ["r1", "r2", "r3"], w1.seq, w2.seq)

    assert set(found) == {"r1", "r2", "r3"}
    assert found["r1"].spans == () and found["r3"].spans == ()
    assert [(seq, s.span_id) for seq, s in found["r2"].spans] == [(w2.seq, "c")]
    assert store.runs_changes(project_id + "-other", ["r2"], 0, w2.seq)["r2"].spans == ()


def test_a_refresh_tells_which_runs_are_new(store: Store, project_id: str) -> None:
    store.write([root(project_id, "r1", status=SpanStatus.RUNNING)], [])
    key, other = RunKey(project_id, "r1"), RunKey(project_id, "r2")
    assert store.refresh_runs([key]) == {key}
    store.write([root(project_id, "r1")], [])
    store.write([root(project_id, "r2")], [])
    assert store.refresh_runs([key, other]) == {other}
    assert store.refresh_runs([key, other]) == frozenset()


def _actions_run(project_id: str) -> list[SpanRecord]:
    """A run whose first LLM call wraps a second one (stacked instrumentation), a tool, an
    agent and a log event of the inner call."""
    return [
        root(project_id, "r1", end_time_unix_nano=T0 + 9 * SECOND),
        llm(project_id, "r1", "outer", start_time_unix_nano=T0 + SECOND, input='"in"'),
        span(project_id, "r1", "http", parent_span_id="outer",
             start_time_unix_nano=T0 + SECOND + 2),
        llm(project_id, "r1", "inner", parent_span_id="http", start_time_unix_nano=T0 + SECOND + 3,
            output='"out"', attributes={"k": "v"}, events="[]"),
        tool(project_id, "r1", "t1", start_time_unix_nano=T0 + 4 * SECOND),
        span(project_id, "r1", "sum", kind=SpanKind.SUMMARIZATION,
             cost_source=CostSource.NONE, start_time_unix_nano=T0 + 5 * SECOND),
    ]  # fmt: skip


def test_run_actions_are_the_calls_and_tools_with_what_the_run_does_not_count(
    store: Store, project_id: str
) -> None:
    spans = _actions_run(project_id)
    event = log(project_id, "r1", span_id="inner", event_name="gen_ai.choice", body='"hi"')
    chunk = log(project_id, "r1", span_id="t1", stream="stdout", body='"x"')
    write(store, spans, [event, chunk])

    bare = store.run_actions(project_id, ["r1", "nothing"], payloads=False)
    full = store.run_actions(project_id, ["r1"], payloads=True)

    assert set(bare) == {"r1"}
    assert [s.span_id for s in bare["r1"].spans] == ["outer", "inner", "t1"]
    assert bare["r1"].uncounted == {"outer"}
    assert bare["r1"].logs == ()
    assert all(s.input == s.output == "" and not s.attributes for s in bare["r1"].spans)
    inner = full["r1"].spans[1]
    assert (inner.output, inner.attributes, inner.events) == ('"out"', {}, "")
    assert full["r1"].spans[0].input == '"in"'
    assert full["r1"].logs == (event,)


def _ledger(store: Store, project_id: str) -> None:
    write(store, [
        root(project_id, "a1", agent_id="alpha"),
        llm(project_id, "a1", "c1", start_time_unix_nano=T0 + 1 * SECOND, request_model="gpt-x"),
        tool(project_id, "a1", "t1", start_time_unix_nano=T0 + 2 * SECOND,
             status=SpanStatus.ERROR, error_message="Disk FULL"),
        tool(project_id, "a1", "t2", start_time_unix_nano=T0 + 3 * SECOND, outcome="blocked",
             status=SpanStatus.ERROR),
        root(project_id, "b1", agent_id="beta"),
        llm(project_id, "b1", "c2", start_time_unix_nano=T0 + 4 * SECOND, outcome="replayed"),
        tool(project_id, "b1", "t3", start_time_unix_nano=T0 + 5 * SECOND, name="fetch page",
             status=SpanStatus.RUNNING, end_time_unix_nano=0),
    ])  # fmt: skip


def _ids(store: Store, query: ActionQuery) -> list[str]:
    return [entry.span_id for entry in store.actions_page(query)]


def test_the_activity_ledger_lists_actions_newest_first_filtered(
    store: Store, project_id: str
) -> None:
    _ledger(store, project_id)
    q = ActionQuery(project_id=project_id, limit=10)

    assert _ids(store, q) == ["t3", "c2", "t2", "t1", "c1"]
    assert _ids(store, dataclasses.replace(q, kinds=(SpanKind.LLM_CALL,))) == ["c2", "c1"]
    outcomes = {
        ActionOutcome.SUCCESS: ["c1"],
        ActionOutcome.ERROR: ["t1"],
        ActionOutcome.BLOCKED: ["t2"],
        ActionOutcome.REPLAYED: ["c2"],
    }
    for outcome, expected in outcomes.items():
        assert _ids(store, dataclasses.replace(q, outcomes=(outcome,))) == expected, outcome
    assert _ids(store, dataclasses.replace(q, agent_id="alpha")) == ["t2", "t1", "c1"]
    assert _ids(store, dataclasses.replace(q, search="disk full")) == ["t1"]
    assert _ids(store, dataclasses.replace(q, search="GPT-X")) == ["c1"]
    assert _ids(store, dataclasses.replace(q, search="PAGE")) == ["t3"]
    since = dataclasses.replace(q, started_after_unix_nano=T0 + 3 * SECOND)
    assert _ids(store, since) == ["t3", "c2", "t2"]
    assert _ids(store, dataclasses.replace(q, project_id=project_id + "-other")) == []


def test_the_activity_ledger_pages_by_position(store: Store, project_id: str) -> None:
    _ledger(store, project_id)
    q = ActionQuery(project_id=project_id, limit=2)

    pages: list[list[str]] = []
    while True:
        page = store.actions_page(q)
        if not page:
            break
        pages.append([entry.span_id for entry in page])
        last = page[-1]
        q = dataclasses.replace(
            q, after=ActionPosition(last.start_unix_nano, last.run_id, last.span_id)
        )

    assert pages == [["t3", "c2"], ["t2", "t1"], ["c1"]]
    first = store.actions_page(ActionQuery(project_id=project_id, limit=1))[0]
    assert (first.kind, first.status, first.end_unix_nano, first.name) == (
        SpanKind.TOOL_EXECUTION, SpanStatus.RUNNING, 0, "fetch page",
    )  # fmt: skip
    usage = store.actions_page(dataclasses.replace(q, after=None, kinds=(SpanKind.LLM_CALL,)))
    assert [(e.model, e.cost_usd) for e in usage] == [("gpt-4o", 0.01), ("gpt-x", 0.01)]
