"""The counting rules on their own: which LLM calls a run counts, when its agent failed."""

from __future__ import annotations

from collections.abc import Callable

from runlens.semconv.counting import RunShape, counted_calls, has_failing_agent, uncounted_calls
from runlens.semconv.mapping import map_span
from runlens.semconv.pricing import PriceTable
from runlens.semconv.records import CostSource, RawSpan, SpanKind, SpanStatus

LLM, AGENT, TOOL, OTHER = SpanKind.LLM_CALL, SpanKind.AGENT, SpanKind.TOOL_EXECUTION, SpanKind.OTHER
Row = tuple[str, str, str, str, str, str, int, bool]


def shape(
    span_id: str,
    parent: str,
    kind: SpanKind,
    *,
    status: SpanStatus = SpanStatus.OK,
    response_id: str = "",
    start: int = 0,
    cost_source: CostSource | None = None,
    used: bool = True,
) -> Row:
    if cost_source is None:
        cost_source = CostSource.PRICE_TABLE if kind is LLM else CostSource.NONE
    return (span_id, parent, kind.value, status.value, cost_source.value, response_id, start, used)


def run(*rows: Row) -> RunShape:
    ids, parents, kinds, statuses, sources, responses, starts, used = zip(*rows, strict=True)
    return RunShape(ids, parents, kinds, statuses, sources, responses, starts, used)


def test_a_wrapper_through_chains_is_not_counted_and_its_leaf_is() -> None:
    shapes = run(
        shape("root", "", AGENT),
        shape("turn", "root", OTHER),
        shape("response", "turn", LLM, start=1),
        shape("chain", "response", OTHER),
        shape("inner", "chain", LLM, response_id="resp_1", start=2),
    )
    assert uncounted_calls(shapes) == {"response"}


def test_a_wrapper_counts_in_place_of_calls_below_it_that_reported_no_usage() -> None:
    """A streamed call whose inner span carries no usage (OpenInference's openai over the
    Agents SDK's `response`): the wrapper's usage is the only one, so the wrapper counts."""
    streamed = run(
        shape("response", "agent", LLM, start=1),
        shape("inner", "response", LLM, start=2, used=False),
    )
    assert uncounted_calls(streamed) == {"inner"}
    neither = run(
        shape("response", "agent", LLM, start=1, used=False),
        shape("inner", "response", LLM, start=2, used=False),
    )
    assert uncounted_calls(neither) == {"response"}


def test_a_call_below_an_agent_or_a_tool_is_a_call_of_its_own() -> None:
    shapes = run(
        shape("chat", "root", LLM),
        shape("summarizer", "chat", SpanKind.SUMMARIZATION),  # a summarizing agent
        shape("summary-chat", "summarizer", LLM),
        shape("tool", "chat-2", TOOL),
        shape("chat-2", "root", LLM),
        shape("tool-chat", "tool", LLM),
    )
    assert uncounted_calls(shapes) == set()


def test_a_response_counts_once_among_the_leaves() -> None:
    shapes = run(
        # the wrapper starts first and shares the response id: the leaf is the one counted
        shape("outer", "agent", LLM, response_id="resp_1", start=1),
        shape("inner", "outer", LLM, response_id="resp_1", start=2),
        shape("again", "agent", LLM, response_id="resp_1", start=3),
        shape("compact", "agent", SpanKind.SUMMARIZATION, cost_source=CostSource.PRICE_TABLE),
    )
    assert uncounted_calls(shapes) == {"outer", "again"}


def test_pydantic_ai_history_summarizer_calls_all_count(
    spans_of: Callable[[str], list[RawSpan]], prices: PriceTable
) -> None:
    """The summarizer agent runs inside the chat span whose history it compacts."""
    records = [
        map_span(raw, project_id="p", prices=prices)
        for raw in spans_of("pydantic-ai/openai_summarize_history.json")
    ]
    chats = {r.span_id for r in records if r.kind is LLM}
    assert len(chats) == 3
    assert counted_calls(records) == chats


def test_the_agent_under_a_workflow_root_decides_but_a_sub_agent_does_not() -> None:
    workflow = [shape("root", "", AGENT), shape("task", "root", OTHER)]
    failed_agent = shape("agent", "task", AGENT, status=SpanStatus.ERROR)
    assert has_failing_agent(run(*workflow, failed_agent))
    recovered = run(
        *workflow,
        shape("agent", "task", AGENT),
        shape("tool", "agent", TOOL, status=SpanStatus.ERROR),
        shape("sub-agent", "tool", AGENT, status=SpanStatus.ERROR),
        shape("chat", "agent", LLM, status=SpanStatus.ERROR),
    )
    assert not has_failing_agent(recovered)
    assert not has_failing_agent(run(shape("root", "", AGENT, status=SpanStatus.ERROR)))
