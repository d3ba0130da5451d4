-- What a run summary is computed from: one narrow row per span with the fields the summary and
-- the counting rules read, kept by a materialized view from every insert into `spans` (by any
-- writer), deduplicated like `spans` (same key, same version: a re-delivered span or a start
-- marker and its ended version collapse to one row). A summary refresh reads these rows of the
-- runs it rewrites instead of `spans FINAL`: compact parts of ~150 bytes a row, no payloads.
-- The error message is kept for failed spans only (the summary shows the first one's).
-- Rebuildable from `spans` (the INSERT below fills it from the spans stored before this
-- migration). Read with FINAL.
CREATE TABLE IF NOT EXISTS runlens.run_span_facts
(
    project_id          LowCardinality(String),
    run_id              String,
    span_id             String                 CODEC(ZSTD(1)),
    parent_span_id      String                 CODEC(ZSTD(1)),
    kind                LowCardinality(String),
    name                LowCardinality(String),
    status              LowCardinality(String),
    start_time          DateTime64(9, 'UTC')   CODEC(Delta, ZSTD(1)),
    end_time            DateTime64(9, 'UTC')   CODEC(Delta, ZSTD(1)),
    ingested_at         DateTime64(6, 'UTC')   CODEC(Delta, ZSTD(1)),
    agent_id            LowCardinality(String),
    agent_name          LowCardinality(String),
    service_name        LowCardinality(String),
    model               LowCardinality(String),
    cost_source         LowCardinality(String),
    cost_usd            Float64                CODEC(ZSTD(1)),
    input_tokens        UInt64                 CODEC(T64, ZSTD(1)),
    cached_tokens       UInt64                 CODEC(T64, ZSTD(1)),
    cache_write_tokens  UInt64                 CODEC(T64, ZSTD(1)),
    output_tokens       UInt64                 CODEC(T64, ZSTD(1)),
    reasoning_tokens    UInt64                 CODEC(T64, ZSTD(1)),
    response_id         String                 CODEC(ZSTD(1)),
    error_type          LowCardinality(String),
    error_message       String                 CODEC(ZSTD(3)),
    ingest_seq          UInt64                 CODEC(T64, ZSTD(1)),
    version             UInt64                 CODEC(T64, ZSTD(1))
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, run_id, span_id)
TTL toDateTime(start_time) + INTERVAL {retention_days} DAY
SETTINGS min_bytes_for_wide_part = 1099511627776,
         min_rows_for_wide_part = 4294967295;

CREATE MATERIALIZED VIEW IF NOT EXISTS runlens.run_span_facts_mv
TO runlens.run_span_facts
AS SELECT project_id, run_id, span_id, parent_span_id, kind, name, status, start_time,
    end_time, ingested_at, agent_id, agent_name, service_name,
    if(response_model != '', response_model, request_model) AS model, cost_source,
    ifNull(cost_usd, 0) AS cost_usd, input_tokens, cached_tokens, cache_write_tokens,
    output_tokens, reasoning_tokens, response_id, error_type,
    if(status = 'error', error_message, '') AS error_message, ingest_seq, version
FROM runlens.spans;

INSERT INTO runlens.run_span_facts
SELECT project_id, run_id, span_id, parent_span_id, kind, name, status, start_time,
    end_time, ingested_at, agent_id, agent_name, service_name,
    if(response_model != '', response_model, request_model) AS model, cost_source,
    ifNull(cost_usd, 0) AS cost_usd, input_tokens, cached_tokens, cache_write_tokens,
    output_tokens, reasoning_tokens, response_id, error_type,
    if(status = 'error', error_message, '') AS error_message, ingest_seq, version
FROM runlens.spans;
