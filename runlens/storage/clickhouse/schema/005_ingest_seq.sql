-- The commit sequence of each stored row: the single writer gives every stored batch a
-- strictly increasing number (microseconds since the epoch, bumped past the previous batch),
-- so "what changed in run R after sequence N" is `ingest_seq > N`. Rows stored before this
-- migration have 0. Live subscriptions resume from it (docs/api.md, Subscriptions).
ALTER TABLE runlens.spans ADD COLUMN IF NOT EXISTS ingest_seq UInt64 CODEC(T64, ZSTD(1));
ALTER TABLE runlens.logs ADD COLUMN IF NOT EXISTS ingest_seq UInt64 CODEC(T64, ZSTD(1));
