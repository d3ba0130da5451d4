from __future__ import annotations

from runlens.semconv.links import link_tool_calls
from runlens.semconv.records import SpanKind, SpanRecord, SpanStatus, ToolCallRequest


def record(
    span_id: str,
    kind: SpanKind,
    start: int,
    *,
    parent: str = "root",
    run: str = "r1",
    tool: str = "",
    call_id: str = "",
    calls: tuple[ToolCallRequest, ...] = (),
) -> SpanRecord:
    return SpanRecord(
        project_id="p",
        run_id=run,
        trace_id="t" * 32,
        span_id=span_id,
        parent_span_id=parent,
        kind=kind,
        name=span_id,
        status=SpanStatus.OK,
        start_time_unix_nano=start,
        end_time_unix_nano=start + 5,
        tool_name=tool,
        tool_call_id=call_id,
        tool_calls=calls,
    )


def llm(
    span_id: str, start: int, *calls: tuple[str, str], parent: str = "root", run: str = "r1"
) -> SpanRecord:
    return record(
        span_id,
        SpanKind.LLM_CALL,
        start,
        parent=parent,
        run=run,
        calls=tuple(ToolCallRequest(id=i, name=n) for i, n in calls),
    )


def tool(
    span_id: str, start: int, name: str, call_id: str = "", *, parent: str = "root", run: str = "r1"
) -> SpanRecord:
    return record(
        span_id, SpanKind.TOOL_EXECUTION, start, parent=parent, run=run, tool=name, call_id=call_id
    )


def test_links_by_call_id_regardless_of_order_and_parent() -> None:
    spans = [
        tool("t2", 30, "b", "c2", parent="elsewhere"),
        tool("t1", 20, "a", "c1"),
        llm("l1", 10, ("c1", "a"), ("c2", "b")),
    ]
    assert link_tool_calls(spans) == {("l1", "c1"): "t1", ("l1", "c2"): "t2"}


def test_call_ids_are_scoped_to_the_run() -> None:
    spans = [llm("l1", 10, ("c1", "a"), run="r1"), tool("t1", 20, "a", "c1", run="r2")]
    assert link_tool_calls(spans) == {}


def test_fallback_same_parent_same_name_kth_to_kth() -> None:
    spans = [
        llm("l1", 10, ("x1", "search"), ("x2", "search"), ("x3", "fetch")),
        tool("t_fetch", 25, "fetch"),
        tool("t_search_b", 22, "search"),
        tool("t_search_a", 21, "search"),
        tool("t_other_parent", 23, "search", parent="other"),
        llm("l2", 40, ("y1", "search")),
        tool("t_search_c", 45, "search"),
    ]
    assert link_tool_calls(spans) == {
        ("l1", "x1"): "t_search_a",
        ("l1", "x2"): "t_search_b",
        ("l1", "x3"): "t_fetch",
        ("l2", "y1"): "t_search_c",
    }


def test_fallback_needs_execution_after_the_request() -> None:
    spans = [tool("t_early", 5, "search"), llm("l1", 10, ("x1", "search"))]
    assert link_tool_calls(spans) == {}


def test_mismatched_ids_fall_back_to_position() -> None:
    """OpenLLMetry's Responses spans request `fc_…` ids while executions carry `call_…`."""
    spans = [llm("l1", 10, ("fc_1", "get_weather")), tool("t1", 20, "get_weather", "call_1")]
    assert link_tool_calls(spans) == {("l1", "fc_1"): "t1"}
