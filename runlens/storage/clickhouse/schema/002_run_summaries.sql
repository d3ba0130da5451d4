-- One row per run, rewritten from `spans FINAL` after every write that touched the run (and by
-- the lost-run sweep). The newest version wins; always read with FINAL. first_seen_at is set
-- once and carried forward, so the sorting key of a run never changes.
CREATE TABLE IF NOT EXISTS runlens.run_summaries
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
    version             UInt64,
    INDEX idx_run_id  run_id     TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_started started_at TYPE minmax GRANULARITY 1
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, toStartOfDay(first_seen_at), run_id)
-- Small table, unpartitioned: row-level TTL (applied during merges) rather than part drops.
TTL toDateTime(first_seen_at) + INTERVAL {retention_days} DAY;
