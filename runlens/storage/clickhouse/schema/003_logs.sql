-- Log records of a run: GenAI events, plain logs and terminal-output chunks (stream stdout or
-- stderr, ordered by seq within one span and stream). A re-delivered record has the same key
-- and collapses: chunks are identified by (span, stream, seq), other records by their time,
-- event name and body. Read with FINAL.
CREATE TABLE IF NOT EXISTS runlens.logs
(
    project_id          LowCardinality(String),
    run_id              String,
    trace_id            String                 CODEC(ZSTD(1)),
    span_id             String                 CODEC(ZSTD(1)),
    time                DateTime64(9, 'UTC')   CODEC(Delta, ZSTD(1)),
    event_name          LowCardinality(String),
    severity_number     UInt8,
    body                String                 CODEC(ZSTD(3)),
    attributes          Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    stream              LowCardinality(String),
    seq                 UInt64                 CODEC(T64, ZSTD(1)),
    end_of_stream       Bool,
    truncated           Bool,
    binary              Bool,
    ingested_at         DateTime64(6, 'UTC')   CODEC(Delta, ZSTD(1)),
    INDEX idx_run_id run_id TYPE bloom_filter(0.001) GRANULARITY 1
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMMDD(time)
ORDER BY (project_id, run_id, span_id, stream, seq,
          if(stream = '', cityHash64(time, event_name, body), 0))
TTL toDateTime(time) + INTERVAL {retention_days} DAY
SETTINGS ttl_only_drop_parts = 1,
         non_replicated_deduplication_window = 1000;
