-- Merge spans and logs column by column ("vertical" merge) whatever the size of the parts.
-- By default ClickHouse merges parts under 131,072 rows "horizontally": it reads a block of
-- every column of every source part at once. Agent spans are wide (a few KB of prompt and
-- answer each), so merging the handful of 15-50 MB parts the ingest writes every few seconds
-- took 250-350 MB for a moment, several times the data being stored. A vertical merge sorts
-- by the key columns first, then streams one column at a time: a merge of those parts peaks
-- at 20-100 MB, and the merged parts are the same (docs/schema.md, Memory).
ALTER TABLE runlens.spans MODIFY SETTING vertical_merge_algorithm_min_rows_to_activate = 1;
ALTER TABLE runlens.logs MODIFY SETTING vertical_merge_algorithm_min_rows_to_activate = 1;
