-- How far each ingesting process has stored (docs/operations.md, "Live updates across
-- processes"): `seq` is a commit sequence up to which every write the process began has ended.
-- A process reports under an id of its own while it runs; `reported_at` is the server's clock,
-- so a process that stopped reporting is told apart without trusting the writers' clocks.
CREATE TABLE IF NOT EXISTS runlens.writer_progress
(
    writer_id           String,
    seq                 UInt64,
    retired             Bool,                  -- its last report: the process stopped
    reported_at         DateTime64(6, 'UTC')   DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(seq)
ORDER BY writer_id
TTL toDateTime(reported_at) + INTERVAL 1 DAY;
-- API processes read what was stored in a range of sequences, and the summaries refreshed in
-- the last seconds (`refreshed_at`, the server's clock: `version` says how much of the run a
-- summary saw, not when): each insert writes one sequence or one refresh time, so a minmax
-- index skips the older parts.
ALTER TABLE runlens.logs ADD INDEX IF NOT EXISTS idx_ingest_seq ingest_seq TYPE minmax GRANULARITY 1;
ALTER TABLE runlens.run_summaries ADD COLUMN IF NOT EXISTS refreshed_at DateTime64(6, 'UTC') DEFAULT now64(6);
ALTER TABLE runlens.run_summaries ADD INDEX IF NOT EXISTS idx_refreshed refreshed_at TYPE minmax GRANULARITY 1;
