"""The replay engine's decisions on a given recording, and its configuration."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from runlens.analysis.replay.canonical import canonical
from runlens.sdk.replay import (
    OnDivergence,
    Policy,
    ReplayConfig,
    ReplayDivergence,
    ReplaySession,
    SideEffects,
)
from runlens.sdk.replay.api_client import GraphQLClient, GraphQLFailure
from runlens.sdk.replay.progress import ProgressEvent, Step
from runlens.sdk.replay.recording import Channel, RecordedAction, Recording

LLM, ACTION = Channel.LLM, Channel.ACTION


def entry(
    index: int, channel: Channel, name: str, value: Any, servable: bool = True
) -> RecordedAction:
    return RecordedAction(
        index=index, span_id=f"s{index}", channel=channel, name=name, input=value,
        output={"out": index}, model="", attributes={}, servable=servable,
        reason="SERVED" if servable else "TRUNCATED",
    )  # fmt: skip


def session(*actions: RecordedAction, policy: Policy = Policy.STRICT,
            on_divergence: OnDivergence = OnDivergence.STOP, fd: int | None = None
            ) -> ReplaySession:  # fmt: skip
    config = ReplayConfig("orig", policy, on_divergence, progress_fd=fd)
    return ReplaySession(config, Recording("orig", actions))


RECORDED = (
    entry(0, LLM, "chat m", [1]),
    entry(1, ACTION, "a", {"x": 1}),
    entry(2, ACTION, "b", {}),
)


def test_strict_serves_in_order_and_stops_at_another_name() -> None:
    replaying = session(*RECORDED)
    assert replaying.decide(LLM, "chat m", canonical([1])) is RECORDED[0]
    with pytest.raises(ReplayDivergence, match="expected action 'a' next"):
        replaying.decide(ACTION, "b", canonical({}))
    assert (replaying.counts.served, replaying.counts.diverged) == (1, 1)


def test_strict_live_runs_everything_live_after_a_divergence() -> None:
    replaying = session(*RECORDED, on_divergence=OnDivergence.LIVE)
    assert replaying.decide(LLM, "chat m", canonical([2])) is None  # other input
    assert replaying.decide(ACTION, "a", canonical({"x": 1})) is None
    assert (replaying.counts.served, replaying.counts.diverged, replaying.counts.live) == (0, 1, 2)


def test_lenient_serves_by_name_out_of_order_and_reports_drift() -> None:
    replaying = session(*RECORDED, policy=Policy.LENIENT)
    assert replaying.decide(ACTION, "b", canonical({})) is RECORDED[2]
    assert replaying.decide(ACTION, "a", canonical({"x": 9})) is RECORDED[1]
    assert replaying.counts.drift == 2
    with pytest.raises(ReplayDivergence, match="no further action 'a'"):
        replaying.decide(ACTION, "a", canonical({"x": 1}))


def test_side_effects_and_unservable_actions() -> None:
    truncated = entry(1, ACTION, "a", {"x": 1}, servable=False)
    replaying = session(RECORDED[0], truncated, RECORDED[2])
    assert replaying.decide(LLM, "chat m", "[1]", SideEffects.NEVER_REPLAY) is None
    assert replaying.decide(ACTION, "a", canonical({"x": 1})) is None  # truncated: live
    always = replaying.decide(ACTION, "b", canonical({"other": 1}), SideEffects.ALWAYS_REPLAY)
    assert always is RECORDED[2]
    assert (replaying.counts.served, replaying.counts.live, replaying.counts.diverged) == (1, 2, 0)


def test_progress_lines_go_to_the_descriptor() -> None:
    read_fd, write_fd = os.pipe()
    replaying = session(*RECORDED, policy=Policy.LENIENT, fd=write_fd)
    replaying.decide(LLM, "chat m", canonical([1]))
    replaying.decide(ACTION, "b", canonical({}))
    os.close(write_fd)
    with os.fdopen(read_fd) as lines:
        events = [ProgressEvent.parse(line) for line in lines]
    assert [(e.step, e.name) for e in events] == [
        (Step.SERVED, "chat m"), (Step.DRIFT, "b"), (Step.SERVED, "b"),
    ]  # fmt: skip


def test_config_round_trips_through_the_environment() -> None:
    config = ReplayConfig("orig", Policy.LENIENT, OnDivergence.LIVE, "http://h:1", "k", "r1", 7)
    env = {**config.environment(), "RUNLENS_API_KEY": "k"}
    assert ReplayConfig.from_env(env) == config
    assert ReplayConfig.from_env({}) is None


@pytest.fixture
def header_server() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(dict(self.headers))
            self.rfile.read(int(self.headers.get("content-length", "0")))
            data = json.dumps({"data": None, "errors": [
                {"message": "no run", "extensions": {"code": "NOT_FOUND"}}]}).encode()  # fmt: skip
            self.send_response(200)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_api_key_is_sent_as_a_bearer_token(
    header_server: tuple[str, list[dict[str, str]]],
) -> None:
    url, seen = header_server
    with pytest.raises(GraphQLFailure) as failure:
        GraphQLClient(url, "secret-key").query("{ __typename }")
    assert failure.value.code == "NOT_FOUND"
    with pytest.raises(GraphQLFailure):
        GraphQLClient(url).query("{ __typename }")
    headers = [{k.lower(): v for k, v in h.items()} for h in seen]
    assert headers[0]["authorization"] == "Bearer secret-key"
    assert "authorization" not in headers[1]
