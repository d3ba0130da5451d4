-- Derived state is rebuildable from the spans. `spans_seq` is the commit sequence a run summary
-- was computed up to: every span of the run stored with `ingest_seq <= spans_seq` had been
-- stored when the recompute that wrote the row read the run. A run with a span stored after
-- its summary (`ingest_seq > spans_seq`), or with no summary, is stale: runlens refreshes such
-- runs at start and periodically (docs/schema.md, Rebuilding summaries), so a crash between an
-- acknowledged write and its summary refresh loses nothing. Rows written before this migration
-- take their version (the time of their recompute, in µs like the sequences).
ALTER TABLE runlens.run_summaries ADD COLUMN IF NOT EXISTS spans_seq UInt64 DEFAULT version;
-- Each insert writes one sequence, so the sequences of a part span a narrow range: the look
-- for stale runs (`ingest_seq > N`) skips the granules of older parts.
ALTER TABLE runlens.spans ADD INDEX IF NOT EXISTS idx_ingest_seq ingest_seq TYPE minmax GRANULARITY 1;
