"""The `WriteLog` role of `ClickHouseStore` (runlens/storage/follow.py): what every project
stored in a range of commit sequences, and how far each ingesting process has stored (reported
through `ProgressLog`, in writer.py, with the SQL here). Raw rows, no FINAL: each stored
version once per write. Each insert writes one sequence, so the minmax skip indexes on the
sequences keep these reads to the newest parts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from clickhouse_connect.driver.client import Client

from runlens.storage.clickhouse import queries as q
from runlens.storage.clickhouse.connections import StoreConnections
from runlens.storage.clickhouse.errors import translated
from runlens.storage.follow import StoredBetween, StoredRecord, StoredSummary

WRITER_PROGRESS = "runlens.writer_progress"

STORED_SPANS = f"""SELECT DISTINCT ingest_seq, project_id, run_id, span_id, kind, status
FROM {q.SPANS}
WHERE ingest_seq > {{after_seq:UInt64}} AND ingest_seq <= {{upto_seq:UInt64}}"""

STORED_LOGS = f"""SELECT DISTINCT ingest_seq, project_id, run_id, span_id, stream
FROM {q.LOGS}
WHERE ingest_seq > {{after_seq:UInt64}} AND ingest_seq <= {{upto_seq:UInt64}}"""

STORED_SUMMARIES = f"""SELECT project_id, run_id, version, spans_seq,
    toUnixTimestamp64Micro(first_seen_at), toUnixTimestamp64Micro(refreshed_at) AS refreshed
FROM {q.RUN_SUMMARIES}
WHERE refreshed_at > fromUnixTimestamp64Micro({{summaries_after:Int64}}, 'UTC')
ORDER BY refreshed"""

REPORT_PROGRESS = f"""INSERT INTO {WRITER_PROGRESS} (writer_id, seq, retired)
SELECT {{writer_id:String}}, {{seq:UInt64}}, {{retired:Bool}}"""

# Whether each writer is live: not retired, and reported within the expiry (server's clock).
WRITERS = f"""SELECT max(seq), NOT max(retired)
    AND max(reported_at) > now64(6) - toIntervalMillisecond({{expiry_ms:UInt64}})
FROM {WRITER_PROGRESS}
GROUP BY writer_id"""

_RUN = f"{q.PROJECT_FILTER} AND run_id = {{run_id:String}}"
NEWEST_SEQ = f"""SELECT max(newest) AS newest FROM (
    SELECT max(ingest_seq) AS newest FROM {q.SPANS} WHERE {_RUN}
    UNION ALL
    SELECT max(ingest_seq) AS newest FROM {q.LOGS} WHERE {_RUN}
)"""


def writers_through(client: Client, expiry_s: float) -> int | None:
    """`WriteLog.writers_through` (with expiry 0: the highest progress ever reported)."""
    rows = client.query(WRITERS, parameters={"expiry_ms": int(expiry_s * 1000)}).result_rows
    live = [int(seq) for seq, alive in rows if alive]
    if live:
        return min(live)
    return max((int(seq) for seq, _ in rows), default=None)


class FollowReads(StoreConnections):
    def stored_between(self, after_seq: int, upto_seq: int, summaries_after: int) -> StoredBetween:
        params = {"after_seq": after_seq, "upto_seq": upto_seq}
        with translated():
            client = self._client()
            spans: Sequence[Sequence[Any]] = ()
            logs: Sequence[Sequence[Any]] = ()
            if upto_seq > after_seq:
                spans = client.query(STORED_SPANS, parameters=params).result_rows
                logs = client.query(STORED_LOGS, parameters=params).result_rows
            summaries = client.query(
                STORED_SUMMARIES, parameters={"summaries_after": summaries_after}
            ).result_rows
        records = [
            StoredRecord(int(seq), project, run, span, kind, status, is_log=False)
            for seq, project, run, span, kind, status in spans
        ]
        records.extend(
            StoredRecord(int(seq), project, run, span, stream, "", is_log=True)
            for seq, project, run, span, stream in logs
        )
        records.sort(key=lambda r: (r.seq, r.is_log, r.project_id, r.run_id, r.span_id))
        return StoredBetween(
            records,
            [
                StoredSummary(
                    project, run, int(version), int(spans_seq), int(first_seen), int(refreshed)
                )
                for project, run, version, spans_seq, first_seen, refreshed in summaries
            ],
        )

    def writers_through(self, expiry_s: float) -> int | None:
        with translated():
            return writers_through(self._client(), expiry_s)

    def newest_seq(self, project_id: str, run_id: str) -> int:
        rows = self._scoped(project_id).rows(NEWEST_SEQ, {"run_id": run_id})
        return int(rows[0]["newest"] or 0) if rows else 0
