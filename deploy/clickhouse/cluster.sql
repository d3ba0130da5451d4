-- runlens on a ClickHouse cluster: the single-node schema (runlens/storage/clickhouse/schema/)
-- with Replicated engines for the data and Distributed tables in front, under the names the
-- application uses. Column lists, sorting keys, partitions and TTLs are identical to the
-- single-node DDL; copy the column lists from there (kept out of this file so there is one
-- source of truth). Replace 90 with the retention in days.
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
    -- ... every column and INDEX of 001_spans.sql, ingest_seq of 005_ingest_seq.sql and
    --     idx_ingest_seq of 009_summary_spans_seq.sql ...
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
    -- ... every column and INDEX of 002_run_summaries.sql, and spans_seq of 009_summary_spans_seq.sql ...
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/runlens/run_summaries', '{replica}', version)
ORDER BY (project_id, toStartOfDay(first_seen_at), run_id)
TTL toDateTime(first_seen_at) + INTERVAL 90 DAY;

CREATE TABLE IF NOT EXISTS runlens.run_summaries ON CLUSTER '{cluster}' AS runlens.run_summaries_local
ENGINE = Distributed('{cluster}', 'runlens', 'run_summaries_local', cityHash64(project_id, run_id));

CREATE TABLE IF NOT EXISTS runlens.logs_local ON CLUSTER '{cluster}'
(
    -- ... every column and INDEX of 003_logs.sql, and ingest_seq of 005_ingest_seq.sql ...
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
    -- ... every column and INDEX of 004_control_commands.sql ...
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/runlens/control_commands', '{replica}', updated_at)
ORDER BY (project_id, run_id, command_id)
TTL toDateTime(created_at) + INTERVAL 90 DAY;

CREATE TABLE IF NOT EXISTS runlens.control_commands ON CLUSTER '{cluster}' AS runlens.control_commands_local
ENGINE = Distributed('{cluster}', 'runlens', 'control_commands_local', cityHash64(project_id, run_id));

-- API keys are few and looked up by key id from any node: one replicated table, not sharded.
CREATE TABLE IF NOT EXISTS runlens.api_keys ON CLUSTER '{cluster}'
(
    -- ... every column of 007_api_keys.sql ...
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/runlens/api_keys', '{replica}', updated_at)
ORDER BY key_id;

-- The run summaries keyed by run (008_run_summaries_by_id.sql), on the same shard as the run.
-- The materialized view watches the local summaries table, where each shard's recompute
-- inserts land (a view on the Distributed table would only see inserts made through it).
CREATE TABLE IF NOT EXISTS runlens.run_summaries_by_id_local ON CLUSTER '{cluster}'
(
    -- ... every column of 008_run_summaries_by_id.sql ...
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/runlens/run_summaries_by_id', '{replica}', version)
ORDER BY (project_id, run_id)
TTL toDateTime(first_seen_at) + INTERVAL 90 DAY
SETTINGS index_granularity = 256,
         min_bytes_for_wide_part = 1099511627776,
         min_rows_for_wide_part = 4294967295;

CREATE MATERIALIZED VIEW IF NOT EXISTS runlens.run_summaries_by_id_mv ON CLUSTER '{cluster}'
TO runlens.run_summaries_by_id_local
AS SELECT * FROM runlens.run_summaries_local;  -- the column list of 008's view (not spans_seq)

CREATE TABLE IF NOT EXISTS runlens.run_summaries_by_id ON CLUSTER '{cluster}' AS runlens.run_summaries_by_id_local
ENGINE = Distributed('{cluster}', 'runlens', 'run_summaries_by_id_local', cityHash64(project_id, run_id));

-- OTLP metric points (010_metric_points.sql). Every delivery of a point goes to the same shard
-- (sharded by the point's series), so FINAL collapses retried exports there.
CREATE TABLE IF NOT EXISTS runlens.metric_points_local ON CLUSTER '{cluster}'
(
    -- ... every column of 010_metric_points.sql ...
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
INSERT INTO runlens.schema_migrations (version, name) VALUES (1, 'spans'), (2, 'run_summaries'), (3, 'logs'), (4, 'control_commands'), (5, 'ingest_seq'), (6, 'vertical_merges'), (7, 'api_keys'), (8, 'run_summaries_by_id'), (9, 'summary_spans_seq'), (10, 'metric_points');
