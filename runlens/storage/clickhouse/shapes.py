"""The counting rules (`semconv.counting`) applied to stored runs.

Which LLM calls a run does not count depends on how its spans nest, and spans arrive in any
order and in separate writes: so a read of a page of actions reads the shapes of the whole runs
it shows (`SHAPE_COLUMNS`: a few narrow columns, one row per run). Run summaries resolve the
same rules from their facts (`runlens.storage.summarize`).
"""

from __future__ import annotations

import pyarrow as pa

from runlens.semconv.counting import RunShape


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
