"""The `WriteLog` role of `ClickHouseStore`: what every project stored in a range of commit
sequences (runlens/storage/follow.py). Raw rows, no FINAL: each stored version once per write.
Each insert writes one sequence, so the minmax skip indexes on the sequences keep these reads
to the newest parts."""

from __future__ import annotations

from runlens.storage.clickhouse import queries as q
from runlens.storage.clickhouse.connections import StoreConnections
from runlens.storage.clickhouse.errors import translated
from runlens.storage.follow import StoredBetween, StoredRecord, StoredSummary

STORED_SPANS = f"""SELECT DISTINCT ingest_seq, project_id, run_id, span_id, kind, status
FROM {q.SPANS}
WHERE ingest_seq > {{after_seq:UInt64}} AND ingest_seq <= {{upto_seq:UInt64}}"""

STORED_LOGS = f"""SELECT DISTINCT ingest_seq, project_id, run_id, span_id, stream
FROM {q.LOGS}
WHERE ingest_seq > {{after_seq:UInt64}} AND ingest_seq <= {{upto_seq:UInt64}}"""

STORED_SUMMARIES = f"""SELECT project_id, run_id, max(version) AS newest,
    argMax(spans_seq, version), toUnixTimestamp64Micro(min(first_seen_at))
FROM {q.RUN_SUMMARIES}
WHERE version > {{after_seq:UInt64}} AND version <= {{upto_seq:UInt64}}
GROUP BY project_id, run_id
ORDER BY newest"""


class FollowReads(StoreConnections):
    def stored_between(self, after_seq: int, upto_seq: int) -> StoredBetween:
        if upto_seq <= after_seq:
            return StoredBetween((), ())
        params = {"after_seq": after_seq, "upto_seq": upto_seq}
        with translated():
            client = self._client()
            spans = client.query(STORED_SPANS, parameters=params).result_rows
            logs = client.query(STORED_LOGS, parameters=params).result_rows
            summaries = client.query(STORED_SUMMARIES, parameters=params).result_rows
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
                StoredSummary(project, run, int(version), int(spans_seq), int(first_seen))
                for project, run, version, spans_seq, first_seen in summaries
            ],
        )
