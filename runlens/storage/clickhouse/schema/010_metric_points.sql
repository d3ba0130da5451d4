-- OTLP metric data points (MetricsService/Export, POST /v1/metrics), one row per point as sent:
-- gauge and sum points in `value`, histogram, exponential-histogram and summary points in
-- their own columns (docs/schema.md, metric_points). A point delivered again (OTLP clients
-- retry) has the same key and collapses: read with FINAL to count each point once.
CREATE TABLE IF NOT EXISTS runlens.metric_points
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
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMMDD(time)
ORDER BY (project_id, metric_name, time, cityHash64(metric_type, resource, scope_name, attributes))
TTL toDateTime(time) + INTERVAL {retention_days} DAY
SETTINGS ttl_only_drop_parts = 1;
