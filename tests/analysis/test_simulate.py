from __future__ import annotations

from dataclasses import replace

from runlens.analysis.replay.simulate import REPLAY_POLICY, ServeReason, Unavailable, simulate
from runlens.semconv.records import SpanStatus
from tests.analysis.runs import RunBuilder, standard_run


def test_a_complete_recording_is_served_entirely() -> None:
    sim = simulate(standard_run("a").spans)
    assert sim.available and sim.served_count == 4
    assert sim.original_cost_usd == 0.02 and sim.replay_cost_usd == 0
    assert sim.savings_usd == 0.02


def test_reasons_for_re_executing() -> None:
    run = RunBuilder("a")
    run.llm("hi", "", cost=0.5)
    run.tool("pay", {"amount": 3}, {"ok": True}, attributes={REPLAY_POLICY: "never"})
    run.tool("fetch", {"url": "x"}, {"body": "cut"}, truncated=True)
    run.tool(
        "fetch", {"url": "y"}, {"body": "cut"}, truncated=True, attributes={REPLAY_POLICY: "always"}
    )
    run.tool("noop", "", {"ok": True})
    run.spans[1] = replace(run.spans[1], output="")
    sim = simulate(run.spans)
    assert [a.reason for a in sim.actions] == [
        ServeReason.MISSING_OUTPUT,
        ServeReason.POLICY_NEVER,
        ServeReason.TRUNCATED,
        ServeReason.POLICY_ALWAYS,
        ServeReason.MISSING_INPUT,
    ]
    assert sim.served_count == 1
    assert sim.replay_cost_usd == 0.5


def test_unavailable_replays() -> None:
    assert simulate([]).unavailable is Unavailable.RUN_NOT_FOUND
    run = standard_run("a")
    assert simulate(run.spans, running=True).unavailable is Unavailable.RUN_RUNNING
    marker = [replace(run.spans[0], status=SpanStatus.RUNNING), *run.spans[1:]]
    assert simulate(marker).unavailable is Unavailable.RUN_RUNNING
    silent = [replace(s, output="") for s in run.spans]
    sim = simulate(silent)
    assert sim.unavailable is Unavailable.OUTPUTS_NOT_STORED
    assert sim.replay_cost_usd == sim.original_cost_usd == 0.02
