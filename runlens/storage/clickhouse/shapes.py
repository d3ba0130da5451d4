"""The counting rules (`semconv.counting`) applied to stored runs.

Which LLM calls a run does not count and whether its agent failed depend on how its spans
nest, and spans arrive in any order and in separate writes: so every summary recompute reads
the shapes of the whole runs it rewrites (a few narrow columns, the same scan bounds) and hands
the outcome to `RECOMPUTE_SUMMARIES` as parameters; an export reads them for its page of runs.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from clickhouse_connect.driver.client import Client

from runlens.semconv.counting import SpanShape, has_failing_agent, uncounted_calls
from runlens.semconv.records import CostSource, SpanKind, SpanStatus
from runlens.storage.clickhouse.queries import RUN_SHAPES


def shapes_by_run(table: pa.Table) -> dict[tuple[str, str], list[SpanShape]]:
    """A read of `queries.SHAPE_COLUMNS`, by (project, run)."""
    c = table.to_pydict()
    runs: dict[tuple[str, str], list[SpanShape]] = {}
    for i, span_id in enumerate(c["span_id"]):
        shape = SpanShape(
            span_id,
            c["parent_span_id"][i],
            SpanKind(c["kind"][i]),
            SpanStatus(c["status"][i]),
            CostSource(c["cost_source"][i]),
            c["response_id"][i],
            c["start_ns"][i],
        )
        runs.setdefault((c["project_id"][i], c["run_id"][i]), []).append(shape)
    return runs


def counting_params(client: Client, params: dict[str, Any]) -> dict[str, Any]:
    """`uncounted` (project, run, span) and `failing` (project, run) for the recompute;
    `params` binds the run keys and `lower_ns` as for the recompute itself."""
    runs = shapes_by_run(client.query_arrow(RUN_SHAPES, parameters=params))
    uncounted: list[tuple[str, str, str]] = []
    failing: list[tuple[str, str]] = []
    for (project_id, run_id), shapes in runs.items():
        uncounted.extend((project_id, run_id, s) for s in sorted(uncounted_calls(shapes)))
        if has_failing_agent(shapes):
            failing.append((project_id, run_id))
    return {"uncounted": uncounted, "failing": failing}
