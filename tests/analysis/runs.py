"""Runs as span lists for the analysis tests: an agent root and its actions in order."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from runlens.semconv.records import CostSource, SpanKind, SpanRecord, SpanStatus, TokenUsage

SECOND = 1_000_000_000
T0 = time.time_ns()


@dataclass
class RunBuilder:
    run_id: str
    agent: str = "agent"
    spans: list[SpanRecord] = field(default_factory=list)
    root_input: str = ""
    replay_of: str = ""

    def __post_init__(self) -> None:
        self._root = SpanRecord(
            project_id="p", run_id=self.run_id, trace_id=self.run_id, span_id=f"{self.run_id}-root",
            parent_span_id="", kind=SpanKind.AGENT, name=f"invoke_agent {self.agent}",
            status=SpanStatus.OK, start_time_unix_nano=T0, end_time_unix_nano=T0 + 100 * SECOND,
            agent_id=self.agent, input=self.root_input, replay_of=self.replay_of,
        )  # fmt: skip
        self.spans.append(self._root)

    def _add(self, **fields: Any) -> SpanRecord:
        n = len(self.spans)
        start = T0 + n * SECOND
        values: dict[str, Any] = {
            "project_id": "p", "run_id": self.run_id, "trace_id": self.run_id,
            "span_id": f"{self.run_id}-{n}", "parent_span_id": self._root.span_id,
            "status": SpanStatus.OK, "start_time_unix_nano": start,
            "end_time_unix_nano": start + SECOND // 2, "replay_of": self.replay_of,
        }  # fmt: skip
        values.update(fields)
        record = SpanRecord(**values)
        self.spans.append(record)
        return record

    def llm(self, prompt: str, answer: str, cost: float = 0.01, **fields: Any) -> SpanRecord:
        return self._add(
            kind=SpanKind.LLM_CALL,
            name="chat gpt-4o-mini",
            request_model="gpt-4o-mini",
            usage=TokenUsage(input=1000, output=100),
            cost_usd=cost,
            cost_source=CostSource.PRICE_TABLE,
            price_version="2026-01-01",
            input=json.dumps([{"role": "user", "parts": [{"type": "text", "content": prompt}]}]),
            output=json.dumps(
                [{"role": "assistant", "parts": [{"type": "text", "content": answer}]}]
            ),
            **fields,
        )

    def tool(self, name: str, args: Any, result: Any, **fields: Any) -> SpanRecord:
        return self._add(
            kind=SpanKind.TOOL_EXECUTION,
            name=f"execute_tool {name}",
            tool_name=name,
            input=json.dumps(args),
            output=result if isinstance(result, str) else json.dumps(result),
            **fields,
        )


def standard_run(
    run_id: str,
    *,
    prompt: str = "book a table",
    ticket: str = "T-1",
    replay_of: str = "",
    order: tuple[str, str] = ("menu", "book"),
) -> RunBuilder:
    run = RunBuilder(run_id, replay_of=replay_of)
    run.llm(prompt, "calling tools")
    for name in order:
        if name == "menu":
            run.tool("menu", {"q": "pizza"}, {"results": ["a", "b"]})
        else:
            run.tool("book", {"place": "a"}, {"ticket": ticket})
    run.llm("summarise", "booked")
    return run
