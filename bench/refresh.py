"""Summary refresh benchmark: how long `refresh_runs` takes to refresh the summaries of runs of
a given size, in wall time and in CPU time of this process (chDB runs inside it).

`python -m bench.refresh --runs 20 --spans 3000 --repeat 7` writes the runs to a fresh
`chdb://` directory (an agent root, then per turn a chain holding an LLM call and a tool), then
refreshes all of them `--repeat` times and prints the median and minimum. With `--grow N`, N
more turns (3N spans) are written to every run before each refresh, as while runs are live.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from runlens.semconv.records import CostSource, SpanKind, SpanRecord, SpanStatus, TokenUsage
from runlens.storage.clickhouse.store import ClickHouseStore
from runlens.storage.contract import RunKey

_PROJECT = "bench"
_SECOND = 1_000_000_000


def _span(run: str, span_id: str, parent: str, kind: SpanKind, start: int) -> SpanRecord:
    llm = kind is SpanKind.LLM_CALL
    return SpanRecord(
        project_id=_PROJECT,
        run_id=run,
        trace_id=run,
        span_id=span_id,
        parent_span_id=parent,
        kind=kind,
        name=span_id,
        status=SpanStatus.OK,
        start_time_unix_nano=start,
        end_time_unix_nano=start + _SECOND,
        request_model="gpt-4o" if llm else "",
        response_id=f"{run}-{span_id}" if llm else "",
        usage=TokenUsage(input=100, output=50) if llm else TokenUsage(),
        cost_usd=0.001 if llm else None,
        cost_source=CostSource.PRICE_TABLE if llm else CostSource.NONE,
    )


def build(runs: int, spans: int, start: int) -> list[SpanRecord]:
    records: list[SpanRecord] = []
    for r in range(runs):
        run = f"run-{r:06d}"
        records.append(_span(run, "root", "", SpanKind.AGENT, start))
        for turn in range(max(spans // 3, 1)):
            at = start + turn * 1000
            records.append(_span(run, f"turn{turn}", "root", SpanKind.OTHER, at))
            records.append(_span(run, f"llm{turn}", f"turn{turn}", SpanKind.LLM_CALL, at + 1))
            records.append(
                _span(run, f"tool{turn}", f"turn{turn}", SpanKind.TOOL_EXECUTION, at + 2)
            )
    return records


def _more(runs: int, spans: int, turns: int, round_: int) -> list[SpanRecord]:
    """`turns` more turns for every run, after the ones `build` wrote."""
    start = time.time_ns() - 3600 * _SECOND
    records: list[SpanRecord] = []
    for r in range(runs):
        run = f"run-{r:06d}"
        for t in range(turns):
            turn = spans // 3 + round_ * turns + t
            at = start + turn * 1000
            records.append(_span(run, f"turn{turn}", "root", SpanKind.OTHER, at))
            records.append(_span(run, f"llm{turn}", f"turn{turn}", SpanKind.LLM_CALL, at + 1))
            records.append(
                _span(run, f"tool{turn}", f"turn{turn}", SpanKind.TOOL_EXECUTION, at + 2)
            )
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--spans", type=int, default=3000, help="spans per run (about)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--grow", type=int, default=0, help="turns added to each run per refresh")
    args = parser.parse_args()
    store = ClickHouseStore.open(f"chdb://{tempfile.mkdtemp(prefix='runlens-refresh-')}/data")
    try:
        records = build(args.runs, args.spans, time.time_ns() - 3600 * _SECOND)
        for i in range(0, len(records), 20_000):
            store.write(records[i : i + 20_000], [])
        keys = [RunKey(_PROJECT, f"run-{r:06d}") for r in range(args.runs)]
        store.refresh_runs(keys)
        took, cpu = [], []
        for n in range(args.repeat):
            if args.grow:
                store.write(_more(args.runs, args.spans, args.grow, n), [])
            began, began_cpu = time.perf_counter(), time.process_time()
            store.refresh_runs(keys)
            took.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
        grown = f", {3 * args.grow} spans more per run before each" if args.grow else ""
        print(
            f"refresh of {args.runs} runs x {len(records) // args.runs} spans "
            f"({len(records):,} spans{grown}): median {statistics.median(took) * 1000:.0f} ms, "
            f"min {min(took) * 1000:.0f} ms, CPU median {statistics.median(cpu) * 1000:.0f} ms "
            f"over {args.repeat}"
        )
    finally:
        store.close()


if __name__ == "__main__":
    main()
