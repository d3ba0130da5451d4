-- runlens on a ClickHouse cluster: the single-node schema (runlens/storage/clickhouse/schema/)
-- with Replicated engines for the data and Distributed tables in front, under the names the
-- application uses. Column lists, indexes, sorting keys, partitions and TTLs are those the
-- single-node migrations end with (tests/storage/test_cluster.py runs this file and compares
-- every table with them). Replace 90 with the retention in days. Run it with
-- `clickhouse client --multiquery < cluster.sql` on one node: ON CLUSTER reaches the others.
--
-- Sharding by cityHash64(project_id, run_id) keeps every version of a span, all spans of a run
-- and the run's summary on one shard: FINAL, the summary recompute and timeline reads stay
-- shard-local. Not benchmarked.
--
-- Server settings for the runlens user (profile), besides do_not_merge_across_partitions_select_final = 1
-- which runlens sets itself:
--   distributed_foreground_insert = 1     -- spans are on their shard before the recompute reads them
--   parallel_distributed_insert_select = 2 -- each shard recomputes its own runs' summaries
--   optimize_skip_unused_shards = 1        -- point reads by run go to one shard

CREATE DATABASE IF NOT EXISTS runlens ON CLUSTER '{cluster}';

-- One migrations table shared by every node (same Keeper path on all of them).
CREATE TABLE IF NOT EXISTS runlens.schema_migrations ON CLUSTER '{cluster}'
(
    version     UInt32,
    name        String,
    applied_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/runlens/schema_migrations', '{replica}', applied_at)
ORDER BY version;

CREATE TABLE IF NOT EXISTS runlens.spans_local ON CLUSTER '{cluster}'
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
    ingest_seq          UInt64                 CODEC(T64, ZSTD(1)),   -- 005_ingest_seq.sql
    -- run ids are random: without this index every part has one granule whose key range
    -- brackets any run id, and a run lookup under FINAL reads a granule of every part.
    INDEX idx_run_id   run_id   TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.01)  GRANULARITY 4,
    INDEX idx_ingest_seq ingest_seq TYPE minmax GRANULARITY 1   -- 009_summary_spans_seq.sql
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/runlens/spans', '{replica}', version)
PARTITION BY toYYYYMMDD(start_time)
ORDER BY (project_id, run_id, span_id)
TTL toDateTime(start_time) + INTERVAL 90 DAY
SETTINGS ttl_only_drop_parts = 1,
         vertical_merge_algorithm_min_rows_to_activate = 1;  -- 006_vertical_merges.sql

CREATE TABLE IF NOT EXISTS runlens.spans ON CLUSTER '{cluster}' AS runlens.spans_local
ENGINE = Distributed('{cluster}', 'runlens', 'spans_local', cityHash64(project_id, run_id));

CREATE TABLE IF NOT EXISTS runlens.run_summaries_local ON CLUSTER '{cluster}'
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
    spans_seq           UInt64 DEFAULT version,   -- 009_summary_spans_seq.sql
    refreshed_at        DateTime64(6, 'UTC') DEFAULT now64(6),   -- 012_writer_progress.sql
    INDEX idx_run_id  run_id     TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_started started_at TYPE minmax GRANULARITY 1,
    INDEX idx_refreshed refreshed_at TYPE minmax GRANULARITY 1   -- 012_writer_progress.sql
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/runlens/run_summaries', '{replica}', version)
ORDER BY (project_id, toStartOfDay(first_seen_at), run_id)
TTL toDateTime(first_seen_at) + INTERVAL 90 DAY;

CREATE TABLE IF NOT EXISTS runlens.run_summaries ON CLUSTER '{cluster}' AS runlens.run_summaries_local
ENGINE = Distributed('{cluster}', 'runlens', 'run_summaries_local', cityHash64(project_id, run_id));

CREATE TABLE IF NOT EXISTS runlens.logs_local ON CLUSTER '{cluster}'
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
    ingest_seq          UInt64                 CODEC(T64, ZSTD(1)),   -- 005_ingest_seq.sql
    INDEX idx_run_id run_id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_ingest_seq ingest_seq TYPE minmax GRANULARITY 1   -- 012_writer_progress.sql
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/runlens/logs', '{replica}', ingested_at)
PARTITION BY toYYYYMMDD(time)
ORDER BY (project_id, run_id, span_id, stream, seq, if(stream = '', cityHash64(time, event_name, body), 0))
TTL toDateTime(time) + INTERVAL 90 DAY
SETTINGS ttl_only_drop_parts = 1,
         vertical_merge_algorithm_min_rows_to_activate = 1;  -- 006_vertical_merges.sql

CREATE TABLE IF NOT EXISTS runlens.logs ON CLUSTER '{cluster}' AS runlens.logs_local
ENGINE = Distributed('{cluster}', 'runlens', 'logs_local', cityHash64(project_id, run_id));

CREATE TABLE IF NOT EXISTS runlens.control_commands_local ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/runlens/control_commands', '{replica}', updated_at)
ORDER BY (project_id, run_id, command_id)
TTL toDateTime(created_at) + INTERVAL 90 DAY;

CREATE TABLE IF NOT EXISTS runlens.control_commands ON CLUSTER '{cluster}' AS runlens.control_commands_local
ENGINE = Distributed('{cluster}', 'runlens', 'control_commands_local', cityHash64(project_id, run_id));

-- API keys are few and looked up by key id from any node: one replicated table, not sharded.
CREATE TABLE IF NOT EXISTS runlens.api_keys ON CLUSTER '{cluster}'
(
    key_id          String,                  -- public part of the key, shown in listings
    project_id      LowCardinality(String),
    name            String,
    secret_sha256   String,                  -- hex digest of the secret part
    created_at      DateTime64(6, 'UTC'),
    revoked_at      Nullable(DateTime64(6, 'UTC')),
    updated_at      DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/runlens/api_keys', '{replica}', updated_at)
ORDER BY key_id;

-- How far each ingesting process has stored (012_writer_progress.sql): few rows, read by
-- every API process: one replicated table, not sharded.
CREATE TABLE IF NOT EXISTS runlens.writer_progress ON CLUSTER '{cluster}'
(
    writer_id           String,
    seq                 UInt64,
    retired             Bool,                  -- its last report: the process stopped
    reported_at         DateTime64(6, 'UTC')   DEFAULT now64(6)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/runlens/writer_progress', '{replica}', seq)
ORDER BY writer_id
TTL toDateTime(reported_at) + INTERVAL 1 DAY;

-- The run summaries keyed by run (008_run_summaries_by_id.sql), on the same shard as the run.
-- The materialized view watches the local summaries table, where each shard's recompute
-- inserts land (a view on the Distributed table would only see inserts made through it).
CREATE TABLE IF NOT EXISTS runlens.run_summaries_by_id_local ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/runlens/run_summaries_by_id', '{replica}', version)
ORDER BY (project_id, run_id)
TTL toDateTime(first_seen_at) + INTERVAL 90 DAY
SETTINGS index_granularity = 256,
         min_bytes_for_wide_part = 1099511627776,
         min_rows_for_wide_part = 4294967295;

CREATE MATERIALIZED VIEW IF NOT EXISTS runlens.run_summaries_by_id_mv ON CLUSTER '{cluster}'
TO runlens.run_summaries_by_id_local
AS SELECT project_id, run_id, first_seen_at, agent_id, agent_name, name, status, status_reason,
    started_at, ended_at, last_activity_at, duration_ms, span_count, action_count,
    action_ok_count, error_count, turns, success_rate, input_tokens, cached_tokens,
    cache_write_tokens, output_tokens, reasoning_tokens, cost_usd, unpriced_count, models,
    error_type, error_message, version
FROM runlens.run_summaries_local;

CREATE TABLE IF NOT EXISTS runlens.run_summaries_by_id ON CLUSTER '{cluster}' AS runlens.run_summaries_by_id_local
ENGINE = Distributed('{cluster}', 'runlens', 'run_summaries_by_id_local', cityHash64(project_id, run_id));

-- What run summaries are computed from (011_run_span_facts.sql), on the same shard as the run.
-- The materialized view watches the local spans table, where each shard's span inserts land.
CREATE TABLE IF NOT EXISTS runlens.run_span_facts_local ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/runlens/run_span_facts', '{replica}', version)
ORDER BY (project_id, run_id, span_id)
TTL toDateTime(start_time) + INTERVAL 90 DAY
SETTINGS min_bytes_for_wide_part = 1099511627776,
         min_rows_for_wide_part = 4294967295;

CREATE MATERIALIZED VIEW IF NOT EXISTS runlens.run_span_facts_mv ON CLUSTER '{cluster}'
TO runlens.run_span_facts_local
AS SELECT project_id, run_id, span_id, parent_span_id, kind, name, status, start_time,
    end_time, ingested_at, agent_id, agent_name, service_name,
    if(response_model != '', response_model, request_model) AS model, cost_source,
    ifNull(cost_usd, 0) AS cost_usd, input_tokens, cached_tokens, cache_write_tokens,
    output_tokens, reasoning_tokens, response_id, error_type,
    if(status = 'error', error_message, '') AS error_message, ingest_seq, version
FROM runlens.spans_local;

CREATE TABLE IF NOT EXISTS runlens.run_span_facts ON CLUSTER '{cluster}' AS runlens.run_span_facts_local
ENGINE = Distributed('{cluster}', 'runlens', 'run_span_facts_local', cityHash64(project_id, run_id));

-- OTLP metric points (010_metric_points.sql). Every delivery of a point goes to the same shard
-- (sharded by the point's series), so FINAL collapses retried exports there.
CREATE TABLE IF NOT EXISTS runlens.metric_points_local ON CLUSTER '{cluster}'
(
    project_id              LowCardinality(String),
    metric_name             LowCardinality(String),
    metric_type             LowCardinality(String),  -- gauge, sum, histogram, exponential_histogram, summary
    unit                    LowCardinality(String),
    description             LowCardinality(String),
    temporality             LowCardinality(String),  -- delta, cumulative; empty for gauge and summary
    is_monotonic            Bool,
    service_name            LowCardinality(String),
    resource                Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    scope_name              LowCardinality(String),
    scope_version           LowCardinality(String),
    attributes              Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    start_time              DateTime64(9, 'UTC')   CODEC(Delta, ZSTD(1)),
    time                    DateTime64(9, 'UTC')   CODEC(Delta, ZSTD(1)),
    value                   Float64                CODEC(ZSTD(1)),
    count                   UInt64                 CODEC(T64, ZSTD(1)),
    sum                     Nullable(Float64)      CODEC(ZSTD(1)),
    min                     Nullable(Float64)      CODEC(ZSTD(1)),
    max                     Nullable(Float64)      CODEC(ZSTD(1)),
    bucket_counts           Array(UInt64)          CODEC(ZSTD(1)),
    explicit_bounds         Array(Float64)         CODEC(ZSTD(1)),
    scale                   Int32,
    zero_count              UInt64,
    zero_threshold          Float64,
    positive_offset         Int32,
    positive_bucket_counts  Array(UInt64)          CODEC(ZSTD(1)),
    negative_offset         Int32,
    negative_bucket_counts  Array(UInt64)          CODEC(ZSTD(1)),
    quantiles               Array(Tuple(quantile Float64, value Float64)) CODEC(ZSTD(1)),
    flags                   UInt32,
    exemplars               Array(Tuple(time DateTime64(9, 'UTC'), value Float64, trace_id String,
                                        span_id String, attributes Map(String, String))) CODEC(ZSTD(1)),
    ingested_at             DateTime64(6, 'UTC')   CODEC(Delta, ZSTD(1))
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/runlens/metric_points', '{replica}', ingested_at)
PARTITION BY toYYYYMMDD(time)
ORDER BY (project_id, metric_name, time, cityHash64(metric_type, resource, scope_name, attributes))
TTL toDateTime(time) + INTERVAL 90 DAY
SETTINGS ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS runlens.metric_points ON CLUSTER '{cluster}' AS runlens.metric_points_local
ENGINE = Distributed('{cluster}', 'runlens', 'metric_points_local',
                     cityHash64(project_id, metric_name, metric_type, resource, scope_name, attributes));

-- Finally record the versions so runlens' migrator does not try to create single-node tables
-- (or alter the Distributed ones):
INSERT INTO runlens.schema_migrations (version, name) VALUES (1, 'spans'), (2, 'run_summaries'), (3, 'logs'), (4, 'control_commands'), (5, 'ingest_seq'), (6, 'vertical_merges'), (7, 'api_keys'), (8, 'run_summaries_by_id'), (9, 'summary_spans_seq'), (10, 'metric_points'), (11, 'run_span_facts'), (12, 'writer_progress');
