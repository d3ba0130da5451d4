"""Scale-out by role, inside one process (embedded chDB is single-process): two collector
servers and two API servers, each with its own live bus, sharing nothing but the store.

An agent sends three runs: one to each collector, and one whose spans reach both (start markers
to one collector, the ended spans to the other, alternating; the run id by `runlens.run.id`).
Every run is followed with `runEvents` over a real WebSocket on each API server; each stream is
cut mid-run and resumed on the other API server from the last sequence it received, while the
agent goes on. Each stream, joined across the resume, must be in sequence order, hold no
duplicate and miss nothing: its last word on every span is the span as stored, at the commit
sequence it was stored with. `runUpdates` on each API server announces every run once, and its
completion."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Span, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from runlens.sdk.markers import start_marker
from runlens.semconv.keys import RUNLENS_RUN_ID
from runlens.serve import Endpoints
from runlens.storage.clickhouse.store import ClickHouseStore
from tests.api.conftest import GraphQL
from tests.conftest import running_server
from tests.live.graphql_ws import TransportWs

RUN_EVENTS = """subscription ($runId: ID!, $after: Long) {
  runEvents(runId: $runId, afterSequence: $after) { type sequence event { spanId status } }
}"""
RUN_UPDATES = "subscription { runUpdates { type run { id status } } }"
STORED = """query ($id: ID!) { run(id: $id) { status
  events(first: 100) { totalCount edges { node { spanId status } } } } }"""

Message = dict[str, Any]
PROJECT = f"topology-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def roles(chdb_dsn: str) -> Iterator[tuple[list[Endpoints], list[Endpoints]]]:
    """(collectors, APIs): four servers over one store, each with its own bus."""
    with ExitStack() as stack:
        collectors, apis = (
            [
                stack.enter_context(running_server(chdb_dsn, role=role, project=PROJECT))
                for _ in range(2)
            ]
            for role in ("collector", "api")
        )
        yield collectors, apis


class Agent:
    """Sends spans to either collector (one tracer provider and exporter each); a span's start
    marker may go to the other collector than its end."""

    def __init__(self, collectors: list[Endpoints]) -> None:
        self.exporters = [OTLPSpanExporter(c.otlp_grpc_url) for c in collectors]
        self.providers = []
        for collector in collectors:
            provider = TracerProvider(resource=Resource.create({"service.name": "topology"}))
            provider.add_span_processor(
                SimpleSpanProcessor(OTLPSpanExporter(collector.otlp_grpc_url))
            )
            self.providers.append(provider)
        self.tracers = [p.get_tracer("topology") for p in self.providers]

    def start(self, run_id: str, ends_at: int, marker_at: int, parent: Span | None = None) -> Span:
        """A span of `run_id` that ends through collector `ends_at`, its start marker sent
        now to collector `marker_at`."""
        attributes = {RUNLENS_RUN_ID: run_id, "gen_ai.agent.name": "topology_agent"}
        if parent is None:
            name, operation = "invoke_agent topology_agent", "invoke_agent"
        else:
            name, operation = "execute_tool step", "execute_tool"
            attributes["gen_ai.tool.name"] = "step"
        span = self.tracers[ends_at].start_span(
            name,
            context=None if parent is None else trace.set_span_in_context(parent),
            attributes={**attributes, "gen_ai.operation.name": operation},
        )
        assert isinstance(span, Span)
        self.exporters[marker_at].export([start_marker(span)])
        return span

    def one_span_run(self) -> str:
        """A run of one span through collector 0; its id."""
        run_id = f"topology-warm-up-{uuid.uuid4().hex[:8]}"
        self.start(run_id, 0, 0).end()
        return run_id

    def close(self) -> None:
        for provider in self.providers:
            provider.shutdown()
        for exporter in self.exporters:
            exporter.shutdown()


class Runs:
    """The three runs: `a` through collector 0, `b` through collector 1, `ab` through both."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.ids = {name: f"topology-{name}-{uuid.uuid4().hex[:8]}" for name in ("a", "b", "ab")}
        self.roots: dict[str, Span] = {}
        self.children: dict[str, list[str]] = {name: [] for name in self.ids}

    def _route(self, name: str, n: int) -> tuple[int, int]:
        """(collector of the end, collector of the start marker) of the run's span number n."""
        if name == "ab":
            return n % 2, (n + 1) % 2
        return (0, 0) if name == "a" else (1, 1)

    def begin(self) -> None:
        for name, run_id in self.ids.items():
            ends_at, marker_at = self._route(name, 0)
            self.roots[name] = self.agent.start(run_id, ends_at, marker_at)

    def steps(self, count: int) -> None:
        """`count` more ended child spans in every run, round robin."""
        for _ in range(count):
            for name, run_id in self.ids.items():
                n = len(self.children[name]) + 1
                ends_at, marker_at = self._route(name, n)
                span = self.agent.start(run_id, ends_at, marker_at, self.roots[name])
                span.end()
                self.children[name].append(format(span.get_span_context().span_id, "016x"))

    def end(self) -> None:
        for root in self.roots.values():
            root.end()


def test_every_api_server_streams_every_collectors_writes_through_a_resume(
    roles: tuple[list[Endpoints], list[Endpoints]], store: ClickHouseStore
) -> None:
    collectors, apis = roles
    agent = Agent(collectors)
    try:
        runs = Runs(agent)
        streams, cuts, updates = asyncio.run(_follow(runs, apis))
    finally:
        agent.close()

    gql = GraphQL(apis[0].api_url)
    for name, run_id in runs.ids.items():
        changes = store.run_changes(PROJECT, run_id, 0, 2**63 - 1)
        stored_seq = {span.span_id: seq for seq, span in changes.spans}
        stored = gql(STORED, id=run_id)["run"]
        assert stored["status"] == "COMPLETED", (name, stored)
        stored_status = {
            e["node"]["spanId"]: e["node"]["status"] for e in stored["events"]["edges"]
        }
        assert stored["events"]["totalCount"] == len(runs.children[name]) + 1
        assert set(stored_status) == {*runs.children[name], _span_id(runs.roots[name])}
        assert set(stored_seq) == set(stored_status)
        for start in range(2):
            messages = streams[name, start]
            sequences = [int(m["sequence"]) for m in messages]
            assert sequences == sorted(sequences), (name, start, sequences)
            events = [m for m in messages if m["event"] is not None]
            keys = [(m["sequence"], m["event"]["spanId"], m["event"]["status"]) for m in events]
            assert len(keys) == len(set(keys)), (name, start, "a duplicate", keys)
            # A span is new to each connection once (a resumed one starts knowing none).
            for part in (messages[: cuts[name, start]], messages[cuts[name, start] :]):
                created = [m["event"]["spanId"] for m in part if m["type"] == "EVENT_CREATED"]
                assert len(created) == len(set(created)), (name, start, "created twice", part)
                seen = {m["event"]["spanId"] for m in part if m["event"] is not None}
                assert set(created) == seen, (name, start, "updated before created", part)
            last = {m["event"]["spanId"]: m for m in events}
            assert {s: m["event"]["status"] for s, m in last.items()} == stored_status
            assert {s: int(m["sequence"]) for s, m in last.items()} == stored_seq
            assert messages[-1]["type"] == "TOTALS"
    for api in range(2):
        for run_id in runs.ids.values():
            told = [u["type"] for u in updates[api] if u["run"]["id"] == run_id]
            assert told.count("CREATED") == 1 and told[0] == "CREATED", (api, run_id, told)
            # each refresh of the run is told (two collectors may each refresh it after its end)
            assert "COMPLETED" in told, (api, run_id, told)


async def _follow(
    runs: Runs, apis: list[Endpoints]
) -> tuple[dict[tuple[str, int], list[Message]], dict[tuple[str, int], int], list[list[Message]]]:
    """Follow every run from each API server, cut and resume on the other one; return every
    stream's messages (by run and the server it began on), how many came before the cut, and
    each server's run updates."""
    watchers = [await TransportWs.open(api.api_url) for api in apis]
    for watcher in watchers:
        await watcher.subscribe("runs", RUN_UPDATES)
    for watcher in watchers:
        await _until_live(watcher, runs.agent)
    updates: list[list[Message]] = [[], []]
    watching = [
        asyncio.create_task(_watch(w, into, runs))
        for w, into in zip(watchers, updates, strict=True)
    ]

    await asyncio.to_thread(runs.begin)
    await asyncio.to_thread(runs.steps, 3)
    streams: dict[tuple[str, int], list[Message]] = {}
    clients: dict[tuple[str, int], TransportWs] = {}
    for name, run_id in runs.ids.items():
        for start in range(2):
            client = clients[name, start] = await TransportWs.open(apis[start].api_url)
            await client.subscribe("1", RUN_EVENTS, runId=run_id, after=None)
            streams[name, start] = []
    # Until every stream has shown the first steps ended, with more coming meanwhile.
    sending = asyncio.create_task(asyncio.to_thread(runs.steps, 2))
    await asyncio.gather(
        *(_until_ended(clients[key], streams[key], runs.children[key[0]][:3]) for key in clients)
    )
    await sending
    for client in clients.values():
        await client.close()  # cut: what follows is stored while nobody listens
    cuts = {key: len(messages) for key, messages in streams.items()}
    await asyncio.to_thread(runs.steps, 2)
    resumed = {}
    for (name, start), messages in streams.items():
        client = resumed[name, start] = await TransportWs.open(apis[1 - start].api_url)
        after = messages[-1]["sequence"]
        await client.subscribe("1", RUN_EVENTS, runId=runs.ids[name], after=after)
    await asyncio.to_thread(runs.steps, 2)
    await asyncio.to_thread(runs.end)
    await asyncio.gather(*(_drain(resumed[key], streams[key]) for key in resumed))
    for client in resumed.values():
        await client.close()
    await asyncio.gather(*watching)
    for watcher in watchers:
        await watcher.close()
    return streams, cuts, updates


async def _until_ended(client: TransportWs, into: list[Message], span_ids: list[str]) -> None:
    """Receive until every span of `span_ids` was shown ended."""
    waiting = set(span_ids)
    while waiting:
        try:
            data = await client.next("1")
        except TimeoutError:
            raise AssertionError(f"still waiting for {waiting}: {into}") from None
        assert data is not None, into
        message: Message = data["runEvents"]
        into.append(message)
        event = message["event"]
        if event is not None and event["status"] != "RUNNING":
            waiting.discard(event["spanId"])


async def _drain(client: TransportWs, into: list[Message]) -> None:
    while (data := await client.next("1")) is not None:
        into.append(data["runEvents"])


async def _until_live(watcher: TransportWs, agent: Agent) -> None:
    """Until the `runUpdates` subscription is live (the server subscribes to its bus some time
    after the client asked): tell it of runs of its own until it hears of one."""
    while True:
        warm_up = await asyncio.to_thread(agent.one_span_run)
        try:
            while (data := await watcher.next("runs", timeout=5)) is not None:
                if data["runUpdates"]["run"]["id"] == warm_up:
                    return
        except TimeoutError:
            continue


async def _watch(client: TransportWs, into: list[Message], runs: Runs) -> None:
    """Run updates until every run was told completed."""
    waiting = set(runs.ids.values())
    while waiting:
        data = await client.next("runs")
        assert data is not None
        update: Message = data["runUpdates"]
        into.append(update)
        if update["type"] == "COMPLETED":
            waiting.discard(update["run"]["id"])


def _span_id(span: Span) -> str:
    return format(span.get_span_context().span_id, "016x")
