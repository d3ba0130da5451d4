"""Runs whose summary is older than their spans: what a refresh must rebuild after a crash.

The ingest pipeline refreshes the summaries of the runs each write touched, from a set it keeps
in memory; a process killed between acknowledging a write and refreshing its runs loses that
set. The spans know better: each row carries the commit sequence of its write (`ingest_seq`)
and each summary the sequence it was computed up to (`spans_seq`, migration 009). A run is
stale when one of its spans has a higher sequence than its newest summary, or when it has
spans and no summary.

The look reads only spans stored after the newest summary's sequence minus `slack_us`: with one
collector every span at or below that sequence was covered by the refresh that wrote it, so the
slack only matters with several collectors (whose clocks differ, or one of which died while
another went on). The `idx_ingest_seq` skip index keeps that read to the newest parts.
"""

from __future__ import annotations

from clickhouse_connect.driver.client import Client

from runlens.storage.clickhouse.errors import translated
from runlens.storage.clickhouse.queries import RUN_SUMMARIES, SPANS
from runlens.storage.contract import RunKey

# Not scoped to a project: the safety net rebuilds every project's runs.
STALE_RUNS = f"""WITH greatest(
    (SELECT toInt64(max(spans_seq)) FROM {RUN_SUMMARIES}) - {{slack_us:Int64}}, 0) AS since
SELECT s.project_id, s.run_id
FROM
(
    SELECT project_id, run_id, max(ingest_seq) AS newest
    FROM {SPANS}
    WHERE ingest_seq > since
    GROUP BY project_id, run_id
) AS s
LEFT JOIN
(
    SELECT project_id, run_id, max(spans_seq) AS covered
    FROM {RUN_SUMMARIES}
    WHERE (project_id, run_id) IN (
        SELECT project_id, run_id FROM {SPANS} WHERE ingest_seq > since)
    GROUP BY project_id, run_id
) AS r ON s.project_id = r.project_id AND s.run_id = r.run_id
WHERE s.newest > r.covered
ORDER BY s.project_id, s.run_id"""


def stale_runs(client: Client, slack_us: int) -> list[RunKey]:
    """Runs with a span stored after their summary was computed, or with no summary."""
    with translated():
        rows = client.query(STALE_RUNS, parameters={"slack_us": slack_us}).result_rows
    return [RunKey(project_id, run_id) for project_id, run_id in rows]
