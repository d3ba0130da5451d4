-- One row per span. A re-delivered span, or a span first stored as a running start marker and
-- later as ended, has the same key (project_id, run_id, span_id) and collapses to one row:
-- version = (ended ? 1 << 62 : 0) | ingest time in µs, so the ended span wins whatever the
-- arrival order, and among ended copies the latest delivery wins. Always read with FINAL.
CREATE TABLE IF NOT EXISTS runlens.spans
(
    project_id          LowCardinality(String),
    run_id              String,
    trace_id            String                 CODEC(ZSTD(1)),
    span_id             String                 CODEC(ZSTD(1)),
    parent_span_id      String                 CODEC(ZSTD(1)),
    kind                LowCardinality(String),
    name                LowCardinality(String),
    status              LowCardinality(String),
    start_time          DateTime64(9, 'UTC')   CODEC(Delta, ZSTD(1)),
    end_time            DateTime64(9, 'UTC')   CODEC(Delta, ZSTD(1)),
    service_name        LowCardinality(String),
    agent_id            LowCardinality(String),
    agent_name          LowCardinality(String),
    conversation_id     String                 CODEC(ZSTD(1)),
    provider            LowCardinality(String),
    request_model       LowCardinality(String),
    response_model      LowCardinality(String),
    model               LowCardinality(String) MATERIALIZED if(response_model != '', response_model, request_model),
    temperature         Nullable(Float64),
    top_p               Nullable(Float64),
    max_tokens          Nullable(Int64),
    stop_reason         LowCardinality(String),
    response_id         String                 CODEC(ZSTD(1)),
    input_tokens        UInt64                 CODEC(T64, ZSTD(1)),
    cached_tokens       UInt64                 CODEC(T64, ZSTD(1)),
    cache_write_tokens  UInt64                 CODEC(T64, ZSTD(1)),
    output_tokens       UInt64                 CODEC(T64, ZSTD(1)),
    reasoning_tokens    UInt64                 CODEC(T64, ZSTD(1)),
    cost_usd            Nullable(Float64)      CODEC(ZSTD(1)),
    cost_source         LowCardinality(String),
    price_version       LowCardinality(String),
    input               String                 CODEC(ZSTD(3)),
    output              String                 CODEC(ZSTD(3)),
    tool_name           LowCardinality(String),
    tool_call_id        String                 CODEC(ZSTD(1)),
    tool_calls          Array(Tuple(id String, name String, arguments String)) CODEC(ZSTD(3)),
    error_type          LowCardinality(String),
    error_message       String                 CODEC(ZSTD(3)),
    outcome             LowCardinality(String),
    replay_of           String                 CODEC(ZSTD(1)),
    code_filepath       LowCardinality(String),
    code_function       LowCardinality(String),
    code_lineno         UInt32                 CODEC(T64, ZSTD(1)),
    dialects            Array(LowCardinality(String)),
    attributes          Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    resource            Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    events              String                 CODEC(ZSTD(3)),
    scope_name          LowCardinality(String),
    truncated           Bool,
    binary              Bool,
    ingested_at         DateTime64(6, 'UTC')   CODEC(Delta, ZSTD(1)),
    version             UInt64                 CODEC(T64, ZSTD(1)),
    -- run ids are random: without this index every part has one granule whose key range
    -- brackets any run id, and a run lookup under FINAL reads a granule of every part.
    INDEX idx_run_id   run_id   TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.01)  GRANULARITY 4
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMMDD(start_time)
ORDER BY (project_id, run_id, span_id)
TTL toDateTime(start_time) + INTERVAL {retention_days} DAY
SETTINGS ttl_only_drop_parts = 1,
         non_replicated_deduplication_window = 1000;
