"""Where the API's own time goes: the benchmark's GraphQL reads run in-process against the ASGI
app (httpx's ASGITransport, no sockets) on a `bench.api` dataset, with the store's calls timed
apart, so that what is left is the API's cost (routing, middleware, GraphQL parse, validation
and execution, the Python objects of the answer, JSON). Run with
`python -m bench.api_profile --data DIR` on a directory `bench.api` made (the server must not
be running on it: chDB holds one process per data directory); `--cprofile` adds where the
event loop's CPU goes, by function and by package.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import cProfile
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.api import RUNS, TIMELINE_LIGHT, TIMELINE_PAYLOADS
from bench.api_data import STORE_DIR, read_manifest

_STORE_MS: contextvars.ContextVar[list[float]] = contextvars.ContextVar("store_ms")
# Packages the event loop's CPU is attributed to, first match wins (by file path).
PACKAGES = (
    ("runlens/api/graphql", "runlens.api.graphql"),
    ("runlens/api", "runlens.api (middleware, auth)"),
    ("runlens/", "runlens (other)"),
    ("strawberry/", "strawberry"),
    ("graphql/", "graphql-core"),
    ("starlette/", "starlette"),
    ("fastapi/", "fastapi"),
    ("httpx/", "httpx (the client)"),
    ("json/", "json"),
    ("asyncio/", "asyncio"),
    ("concurrent/", "asyncio"),
    ("threading", "asyncio"),
)


class TimedReader:
    """The store, with every call's wall time added to the current request's list (calls
    made in worker threads carry the request's context along: asyncio.to_thread)."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if not callable(target):
            return target

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return target(*args, **kwargs)
            finally:
                spent = _STORE_MS.get(None)
                if spent is not None:
                    spent.append((time.perf_counter() - started) * 1000)

        return timed


@dataclass
class Timings:
    total_ms: list[float] = field(default_factory=list)
    store_ms: list[float] = field(default_factory=list)
    app_cpu_ms: list[float] = field(default_factory=list)  # the app's CPU on the event loop


@dataclass(frozen=True, slots=True)
class Read:
    name: str
    query: str
    variables: Callable[[int], dict[str, Any]]


class CpuTimed:
    """ASGI wrapper: the event loop thread's CPU from a request's start to its last byte (the
    client's own work, in the same thread, is left out; requests are sent one at a time)."""

    def __init__(self, app: Any) -> None:
        self.app, self.last_ms = app, 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        started = time.thread_time()
        await self.app(scope, receive, send)
        self.last_ms = (time.thread_time() - started) * 1000


async def _call(client: httpx.AsyncClient, app: CpuTimed, read: Read, i: int,
                timings: Timings | None) -> None:  # fmt: skip
    spent: list[float] = []
    token = _STORE_MS.set(spent)
    started = time.perf_counter()
    try:
        response = await client.post(
            "/graphql", json={"query": read.query, "variables": read.variables(i)}
        )
    finally:
        _STORE_MS.reset(token)
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(f"{read.name}: {body['errors']}")
    if timings is not None:
        timings.total_ms.append(elapsed)
        # the store's calls of one request run one after the other (summary, then spans)
        timings.store_ms.append(sum(spent))
        timings.app_cpu_ms.append(app.last_ms)


async def _measure(app: Any, reads: list[Read], calls: int, warmup: int,
                   profiler: cProfile.Profile | None) -> dict[str, Timings]:  # fmt: skip
    timed = CpuTimed(app)
    transport = httpx.ASGITransport(app=timed)
    timings = {read.name: Timings() for read in reads}
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        for i in range(warmup):
            for read in reads:
                await _call(client, timed, read, calls + i, None)
        if profiler is not None:
            profiler.enable()
        for i in range(calls):
            for read in reads:
                await _call(client, timed, read, i, timings[read.name])
        if profiler is not None:
            profiler.disable()
    return timings


def by_package(stats: pstats.Stats) -> dict[str, float]:
    """Own CPU seconds of the profiled functions, summed per package (the event loop's
    wait for I/O left out)."""
    totals: dict[str, float] = {}
    for (path, _, function), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "select.epoll" in function:
            continue
        if path == "~":
            name = "builtins and C functions"
        else:
            name = next((label for part, label in PACKAGES if part in path), "other")
        totals[name] = totals.get(name, 0.0) + own
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_profile", description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="a bench.api dataset directory")
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--cprofile", action="store_true", help="profile the event loop")
    parser.add_argument("--top", type=int, default=25, help="functions listed with --cprofile")
    args = parser.parse_args(argv)
    manifest = read_manifest(args.data)
    if manifest is None:
        raise SystemExit(f"no complete dataset in {args.data}: make one with bench.api")

    from runlens.api.app import build_api_app
    from runlens.api.graphql.context import ApiOptions
    from runlens.api.guard import allowed_hosts
    from runlens.auth.authenticator import Authenticator
    from runlens.metrics import Metrics
    from runlens.storage.clickhouse.store import ClickHouseStore

    ids = manifest.sample_run_ids
    if len(ids) < args.calls + args.warmup:
        raise SystemExit(f"the dataset has {len(ids)} sample runs; --calls + --warmup must fit")
    reads = [
        Read("timeline light", TIMELINE_LIGHT, lambda i: {"id": ids[i]}),
        Read("timeline + payloads", TIMELINE_PAYLOADS, lambda i: {"id": ids[-1 - i]}),
        Read("runs newest 50", RUNS, lambda i: {}),
    ]
    retention = int(manifest.spec["days"]) + 30
    store = ClickHouseStore.open(f"chdb://{args.data / STORE_DIR}", retention_days=retention)
    try:
        app = build_api_app(
            TimedReader(store),
            ApiOptions(),
            auth=Authenticator(store, required=False),
            metrics=Metrics(),
            allowed_hosts=allowed_hosts("127.0.0.1"),
        )
        profiler = cProfile.Profile() if args.cprofile else None
        timings = asyncio.run(_measure(app, reads, args.calls, args.warmup, profiler))
    finally:
        store.close()
    print(
        f"\n{manifest.spans:,} spans / {manifest.runs:,} runs; {args.calls} calls per read, "
        "interleaved; in-process ASGI (no sockets); ms, medians (p95 in brackets); API CPU: "
        "the event loop thread's CPU per request, the store's calls left out (other threads)"
    )
    print(f"{'read':22} {'total':>14} {'store':>14} {'API = total - store':>20} {'API CPU':>8}")
    for name, t in timings.items():
        api = [total - store for total, store in zip(t.total_ms, t.store_ms, strict=True)]
        print(f"{name:22} {_p(t.total_ms):>14} {_p(t.store_ms):>14} {_p(api):>20} "
              f"{statistics.median(t.app_cpu_ms):8.2f}")  # fmt: skip
    if profiler is not None:
        stats = pstats.Stats(profiler)
        requests = args.calls * len(reads)
        print(f"\nevent loop CPU by package, ms per request ({requests} requests):")
        for name, seconds in by_package(stats).items():
            print(f"  {name:34} {seconds * 1000 / requests:7.3f}")
        print()
        stats.sort_stats("tottime").print_stats(args.top)
    return 0


def _p(values: list[float]) -> str:
    p95 = statistics.quantiles(values, n=20, method="inclusive")[-1]
    return f"{statistics.median(values):.2f} ({p95:.1f})"


if __name__ == "__main__":
    sys.exit(main())
