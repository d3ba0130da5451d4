"""How much the look for stale run summaries costs (`stale_runs`, docs/schema.md, Rebuilding
summaries): `runlens serve` runs it at start and at every sweep.

Run with `python -m bench.recovery` (`--spans`, `--runs` for the size; default 2M spans in 80k
runs). A fresh embedded store is loaded with the API benchmark's generator (bench/api_data.py),
one write and one summary refresh per batch as the ingest pipeline does; then it prints the
p50/max of `stale_runs` with

- the sweep's margin (two 30 s sweeps and a minute: every span stored in the last 120 s of the
  load is read, which here is much of the dataset, far more than at 2,000 spans/s);
- no margin (what the look reads when every summary is current: the newest parts only);
- after a "crash": a batch of runs written with no refresh, which the look must find, and the
  time to refresh them.

Each figure is the median of `--repeat` calls in a warm process (ClickHouse's caches warm).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bench.api_data import PROJECT, DatasetSpec, LoadFigures, iter_batches, make_runs, make_texts

T = TypeVar("T")


def timed(call: Callable[[], T], repeat: int) -> tuple[str, T]:
    """ "p50 … ms  max … ms" of `repeat` calls, and the last result."""
    times: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return f"p50 {statistics.median(times):7.1f} ms  max {max(times):7.1f} ms", result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spans", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=80_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from runlens.storage.clickhouse.store import ClickHouseStore
    from runlens.storage.clickhouse.writer import _Encoded
    from runlens.storage.contract import EncodedBatch, RunKey

    spec = DatasetSpec(spans=args.spans, runs=args.runs, days=10)
    runs = make_runs(spec, time.time_ns())
    texts = make_texts(spec.seed)
    with tempfile.TemporaryDirectory(prefix="runlens-recovery-") as tmp:
        store = ClickHouseStore.open(f"chdb://{Path(tmp) / 'store'}", spec.retention_days)
        loaded = time.perf_counter()
        crash = None
        for number, total, batch in iter_batches(runs, texts, spec, LoadFigures()):
            if number == total - 1:
                crash = batch  # stored last, never refreshed
                break
            keys = [RunKey(PROJECT, run_id) for run_id in batch.run_ids]
            starts = dict(zip(keys, batch.start_ns, strict=True))
            encoded = _Encoded(batch.table, None, starts, {})
            store.write_encoded([EncodedBatch(batch.table.num_rows, 0, encoded)])
            store.refresh_runs(keys)
        assert crash is not None
        stored = args.spans - crash.table.num_rows
        took = time.perf_counter() - loaded
        print(f"loaded {stored:,} spans in {args.runs - len(crash.run_ids):,} runs in {took:.0f} s")

        margin_us = 120 * 1_000_000
        figure, found = timed(lambda: store.stale_runs(margin_us), args.repeat)
        print(f"stale_runs, 120 s margin, every summary current: {figure}  found {len(found)}")
        figure, found = timed(lambda: store.stale_runs(0), args.repeat)
        print(f"stale_runs, no margin, every summary current:    {figure}  found {len(found)}")

        keys = [RunKey(PROJECT, run_id) for run_id in crash.run_ids]
        starts = dict(zip(keys, crash.start_ns, strict=True))
        encoded = _Encoded(crash.table, None, starts, {})
        store.write_encoded([EncodedBatch(crash.table.num_rows, 0, encoded)])
        figure, found = timed(lambda: store.stale_runs(margin_us), args.repeat)
        if set(found) != set(keys):
            raise SystemExit("the runs left unrefreshed were not all found")
        print(f"stale_runs after a crash left {len(keys):,} runs "
              f"({crash.table.num_rows:,} spans) unrefreshed: {figure}")  # fmt: skip
        started = time.perf_counter()
        store.refresh_runs(found)
        took = time.perf_counter() - started
        print(f"refreshing them: {took * 1000:.0f} ms; stale afterwards: "
              f"{len(store.stale_runs(margin_us))}")  # fmt: skip
        store.close()


if __name__ == "__main__":
    main()
