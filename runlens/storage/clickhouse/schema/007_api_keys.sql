-- API keys. A key is `rlk_<key_id>_<secret>`; only the SHA-256 of the secret is stored. One
-- row per state change (created, revoked); FINAL gives the current state. Keys do not expire
-- with the data retention, so this table has no TTL.
CREATE TABLE IF NOT EXISTS runlens.api_keys
(
    key_id          String,                  -- public part of the key, shown in listings
    project_id      LowCardinality(String),
    name            String,
    secret_sha256   String,                  -- hex digest of the secret part
    created_at      DateTime64(6, 'UTC'),
    revoked_at      Nullable(DateTime64(6, 'UTC')),
    updated_at      DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY key_id;
