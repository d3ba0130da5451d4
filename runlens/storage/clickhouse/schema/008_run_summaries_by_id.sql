-- The run summaries again, keyed by run: a read of some runs by id (a run's page, its timeline
-- bounds) finds them by primary key instead of a bloom filter over every granule of
-- `run_summaries`, whose key starts with the day a run was first seen. Compact parts (every
-- column in one file) and small granules: such a read opens one file and decompresses 256 rows,
-- not one file per column and ~8,000 rows. Kept by a materialized view: every insert into
-- `run_summaries` (recompute, lost-run sweep) inserts the same rows here; the INSERT below
-- copies the summaries stored before this migration. Same versions: read with FINAL.
CREATE TABLE IF NOT EXISTS runlens.run_summaries_by_id
(
    project_id          LowCardinality(String),
    run_id              String,
    first_seen_at       DateTime64(6, 'UTC'),
    agent_id            LowCardinality(String),
    agent_name          LowCardinality(String),
    name                LowCardinality(String),
    status              LowCardinality(String),
    status_reason       LowCardinality(String),
    started_at          DateTime64(9, 'UTC')   CODEC(Delta, ZSTD(1)),
    ended_at            DateTime64(9, 'UTC')   CODEC(Delta, ZSTD(1)),
    last_activity_at    DateTime64(9, 'UTC')   CODEC(Delta, ZSTD(1)),
    duration_ms         UInt64,
    span_count          UInt32,
    action_count        UInt32,
    action_ok_count     UInt32,
    error_count         UInt32,
    turns               UInt32,
    success_rate        Float32,
    input_tokens        UInt64,
    cached_tokens       UInt64,
    cache_write_tokens  UInt64,
    output_tokens       UInt64,
    reasoning_tokens    UInt64,
    cost_usd            Float64,
    unpriced_count      UInt32,
    models              Array(LowCardinality(String)),
    error_type          LowCardinality(String),
    error_message       String                 CODEC(ZSTD(3)),
    version             UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, run_id)
TTL toDateTime(first_seen_at) + INTERVAL {retention_days} DAY
SETTINGS index_granularity = 256,
         min_bytes_for_wide_part = 1099511627776,
         min_rows_for_wide_part = 4294967295;

CREATE MATERIALIZED VIEW IF NOT EXISTS runlens.run_summaries_by_id_mv
TO runlens.run_summaries_by_id
AS SELECT project_id, run_id, first_seen_at, agent_id, agent_name, name, status, status_reason,
    started_at, ended_at, last_activity_at, duration_ms, span_count, action_count,
    action_ok_count, error_count, turns, success_rate, input_tokens, cached_tokens,
    cache_write_tokens, output_tokens, reasoning_tokens, cost_usd, unpriced_count, models,
    error_type, error_message, version
FROM runlens.run_summaries;

INSERT INTO runlens.run_summaries_by_id
SELECT project_id, run_id, first_seen_at, agent_id, agent_name, name, status, status_reason,
    started_at, ended_at, last_activity_at, duration_ms, span_count, action_count,
    action_ok_count, error_count, turns, success_rate, input_tokens, cached_tokens,
    cache_write_tokens, output_tokens, reasoning_tokens, cost_usd, unpriced_count, models,
    error_type, error_message, version
FROM runlens.run_summaries;
