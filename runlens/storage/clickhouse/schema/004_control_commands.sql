-- Commands sent to a running agent (terminate, steer, ...). One row per state change of a
-- command; FINAL gives its current state. updated_at is the version and must increase
-- strictly per command (a single writer, max(previous + 1 µs, now)).
CREATE TABLE IF NOT EXISTS runlens.control_commands
(
    project_id          LowCardinality(String),
    run_id              String,
    command_id          String,
    seq                 UInt32,                 -- order of the commands of one run
    kind                LowCardinality(String), -- terminate, steer, retrigger, ...
    payload             String                 CODEC(ZSTD(3)),  -- JSON text
    state               LowCardinality(String), -- requested, delivered, applied, failed, ...
    issued_by           LowCardinality(String),
    created_at          DateTime64(6, 'UTC'),
    updated_at          DateTime64(6, 'UTC'),
    detail              String                 CODEC(ZSTD(1)),
    INDEX idx_run_id run_id TYPE bloom_filter(0.001) GRANULARITY 1
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (project_id, run_id, command_id)
TTL toDateTime(created_at) + INTERVAL {retention_days} DAY;
