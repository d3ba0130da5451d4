"""Parts and merges benchmark: what inserting agent spans in batches of a given size costs,
background merges included, in CPU time of this process (chDB and its merge threads run in it).

`python -m bench.merges --spans 20000 --batch 50` writes `--spans` spans (runs of 25, ~6 KB of
prompt and answer text each) to a fresh `chdb://` directory through `ClickHouseStore.write`, one
insert per `--batch` spans, then waits until the merges have settled, and prints the inserts,
the parts they made (`spans` and `run_span_facts`), the parts left, the CPU time of the inserts
and of the whole (inserts + merges) per span. `--setting name=value` (repeatable) applies a
MergeTree setting to both tables first, to compare table settings on the same load.
`--rate N` sends the batches through the ingest pipeline instead (`IngestPipeline`, as
`runlens serve` does), N requests a second, so its group commit decides how many inserts
they become.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import Future
from typing import cast

from runlens.collector.pipeline import IngestPipeline
from runlens.semconv.records import SpanKind, SpanRecord, SpanStatus, TokenUsage
from runlens.storage.clickhouse.store import ClickHouseStore
from runlens.storage.contract import EncodedBatch, WriteResult

_SECOND = 1_000_000_000
_TABLES = ("runlens.spans", "runlens.run_span_facts")
_WORDS = [f"w{n}" for n in range(5000)]


def _text(rng: random.Random, size: int) -> str:
    words: list[str] = []
    length = 0
    while length < size:
        word = _WORDS[int(rng.paretovariate(1.2)) % len(_WORDS)]
        words.append(word)
        length += len(word) + 1
    return " ".join(words)


def _spans(count: int, start: int) -> list[SpanRecord]:
    rng = random.Random(7)
    records = []
    for n in range(count):
        run, turn = divmod(n, 25)
        records.append(
            SpanRecord(
                project_id="bench",
                run_id=f"run-{run:07d}",
                trace_id=f"run-{run:07d}",
                span_id=f"s{turn}",
                parent_span_id="" if turn == 0 else "s0",
                kind=SpanKind.AGENT if turn == 0 else SpanKind.LLM_CALL,
                name="chat",
                status=SpanStatus.OK,
                start_time_unix_nano=start + n * 1000,
                end_time_unix_nano=start + n * 1000 + _SECOND,
                request_model="gpt-4o",
                usage=TokenUsage(input=300, output=80),
                input=_text(rng, 5000),
                output=_text(rng, 1500),
            )
        )
    return records


def _settled(store: ClickHouseStore, quiet_s: float = 3.0, max_s: float = 600.0) -> None:
    client = store._client()
    deadline, quiet, last = time.monotonic() + max_s, 0.0, -1
    while time.monotonic() < deadline and quiet < quiet_s:
        merging = client.query("SELECT count() FROM system.merges").result_rows[0][0]
        parts = _active(store)
        quiet = quiet + 0.5 if not merging and parts == last else 0.0
        last = parts
        time.sleep(0.5)


def _active(store: ClickHouseStore) -> int:
    rows = store._client().query(
        "SELECT count() FROM system.parts WHERE active AND database = 'runlens' "
        "AND table IN ('spans', 'run_span_facts')"
    )
    return int(rows.result_rows[0][0])


class _CountingStore(ClickHouseStore):
    inserts = 0

    def write_encoded(self, batches: Sequence[EncodedBatch], seq: int | None = None) -> WriteResult:
        self.inserts += 1
        return super().write_encoded(batches, seq)


def _through_pipeline(
    store: _CountingStore, records: list[SpanRecord], batch: int, rate: float
) -> int:
    pipeline = IngestPipeline(
        store, max_queued=1_000_000, max_batch=10_000, run_timeout_s=3600, sweep_interval_s=3600
    )
    pipeline.start()
    futures: list[Future[WriteResult]] = []
    began = time.monotonic()
    for n, i in enumerate(range(0, len(records), batch)):
        time.sleep(max(0.0, began + n / rate - time.monotonic()))
        futures.append(pipeline.submit(records[i : i + batch], []))
    for future in futures:
        future.result(timeout=600)
    pipeline.stop()
    return store.inserts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=50, help="spans per insert")
    parser.add_argument("--setting", action="append", default=[], help="name=value")
    parser.add_argument("--rate", type=float, help="requests/s through the ingest pipeline")
    args = parser.parse_args()
    store = cast(
        _CountingStore,
        _CountingStore.open(f"chdb://{tempfile.mkdtemp(prefix='runlens-merges-')}/data"),
    )
    try:
        client = store._client()
        for table in _TABLES:
            for setting in args.setting:
                client.command(f"ALTER TABLE {table} MODIFY SETTING {setting}")
        records = _spans(args.spans, time.time_ns() - 3600 * _SECOND)
        began = time.process_time()
        if args.rate:
            inserts = _through_pipeline(store, records, args.batch, args.rate)
        else:
            for i in range(0, len(records), args.batch):
                store.write(records[i : i + args.batch], [])
            inserts = store.inserts
        inserted = time.process_time() - began
        _settled(store)
        total = time.process_time() - began
        how = f"requests of {args.batch} at {args.rate:g}/s" if args.rate else f"of {args.batch}"
        print(
            f"{args.spans:,} spans in {inserts:,} inserts ({how}) "
            f"({', '.join(args.setting) or 'default settings'}): {2 * inserts:,} parts made, "
            f"{_active(store)} left; CPU while storing {inserted / args.spans * 1e6:.0f} µs/span, "
            f"with merges {total / args.spans * 1e6:.0f} µs/span"
        )
    finally:
        store.close()


if __name__ == "__main__":
    main()
