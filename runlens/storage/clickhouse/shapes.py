"""The counting rules (`semconv.counting`) applied to stored runs.

Which LLM calls a run does not count and whether its agent failed depend on how its spans
nest, and spans arrive in any order and in separate writes: so every summary recompute reads
the shapes of the whole runs it rewrites (`queries.RUN_SHAPES`: a few narrow columns, one row
per run, the same scan bounds) and hands the outcome to `RECOMPUTE_SUMMARIES` as parameters;
an export reads them for its page of runs.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from clickhouse_connect.driver.client import Client

from runlens.semconv.counting import RunShape, has_failing_agent, uncounted_calls
from runlens.storage.clickhouse.queries import RUN_SHAPES


def shapes_by_run(table: pa.Table) -> dict[tuple[str, str], RunShape]:
    """A read of `queries.SHAPE_COLUMNS` (one row per run), by (project, run)."""
    c = {name: table.column(name).to_pylist() for name in table.column_names}
    return {
        (project_id, c["run_id"][i]): RunShape(
            c["span_ids"][i],
            c["parent_ids"][i],
            c["kinds"][i],
            c["statuses"][i],
            c["cost_sources"][i],
            c["response_ids"][i],
            c["starts"][i],
            [bool(u) for u in c["used"][i]],
        )
        for i, project_id in enumerate(c["project_id"])
    }


def counting_params(client: Client, params: dict[str, Any]) -> dict[str, Any]:
    """`uncounted` (project, run, span) and `failing` (project, run) for the recompute;
    `params` binds the run keys and `lower_ns` as for the recompute itself."""
    runs = shapes_by_run(client.query_arrow(RUN_SHAPES, parameters=params))
    uncounted: list[tuple[str, str, str]] = []
    failing: list[tuple[str, str]] = []
    for (project_id, run_id), shape in runs.items():
        uncounted.extend((project_id, run_id, s) for s in sorted(uncounted_calls(shape)))
        if has_failing_agent(shape):
            failing.append((project_id, run_id))
    return {"uncounted": uncounted, "failing": failing}
