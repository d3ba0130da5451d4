"""The OpenAI-client weather agent recorded through runlens, replayed with no request."""

from __future__ import annotations

import pytest

from runlens.sdk.replay import OnDivergence, Policy, ReplayDivergence, activate
from runlens.serve import Endpoints
from tests.sdk.replay import harness, weather_agent
from tests.sdk.replay.fake_openai import FakeOpenAI
from tests.sdk.replay.weather_agent import Variant, client, run_agent

SAME = Variant()


def _record(endpoints: Endpoints, fake: FakeOpenAI, variant: Variant = SAME) -> str:
    llm = client(fake.url)
    run_id = harness.record(endpoints, lambda provider: run_agent(llm, provider, variant))
    assert fake.count == 2
    return run_id


def _replay(
    endpoints: Endpoints,
    fake: FakeOpenAI,
    original: str,
    variant: Variant = SAME,
    policy: Policy = Policy.STRICT,
) -> str:
    replaying = harness.session(endpoints, original, policy)
    llm = client(fake.url)
    before = fake.count
    replay_id = harness.replay(endpoints, replaying, lambda p: run_agent(llm, p, variant))
    assert fake.count == before, "the replay sent a request to the model"
    return replay_id


def test_identical_logic_matches_fully_at_no_cost(
    server: Endpoints, openai_server: FakeOpenAI
) -> None:
    original = _record(server, openai_server)
    replay_id = _replay(server, openai_server, original)

    result = harness.compare(server, original, replay_id)
    assert result["matchRate"] == 1.0
    assert result["divergenceCount"] == 0
    assert [a["key"]["name"] for a in result["actions"]] == [
        "chat gpt-4o-mini",
        "execute_tool get_forecast",
        "execute_tool get_air_quality",
        "chat gpt-4o-mini",
    ]
    assert result["originalCostUsd"] > 0
    assert result["replayCostUsd"] == 0
    assert result["savingsUsd"] == pytest.approx(result["originalCostUsd"])

    run = harness.graphql(
        server,
        "query($id: ID!) { run(id: $id) { costUsd events(kinds: [LLM_CALL, TOOL_EXECUTION]) "
        "{ edges { node { outcome attributes } } } } }",
        id=replay_id,
    )["run"]
    nodes = [e["node"] for e in run["events"]["edges"]]
    assert {n["outcome"] for n in nodes} == {"REPLAYED"}
    assert {n["attributes"]["runlens.replay.of"] for n in nodes} == {original}
    assert run["costUsd"] == 0


@pytest.mark.parametrize(
    ("extra", "action", "issue_type"),
    [("uuid", "open_ticket", "RANDOM_VALUE"), ("clock", "stamp_request", "TIMESTAMP")],
)
def test_fresh_value_in_a_reexecuted_action_is_an_output_mismatch(
    server: Endpoints, openai_server: FakeOpenAI, extra: str, action: str, issue_type: str
) -> None:
    variant = Variant(extra=extra)  # type: ignore[arg-type]
    original = _record(server, openai_server, variant)
    replay_id = _replay(server, openai_server, original, variant)

    result = harness.compare(server, original, replay_id)
    first = result["firstDivergence"]
    assert first["verdict"] == "OUTPUT_MISMATCH"
    assert first["key"]["name"] == f"execute_tool {action}"
    assert result["divergenceCount"] == 1
    assert [d["path"] for d in first["diff"]] == ["$.ticket" if extra == "uuid" else "$.at"]

    report = harness.graphql(server, harness.DETERMINISM, id=original)["determinismReport"]
    assert replay_id in report["replaysCompared"]
    observed = [
        i
        for i in report["issues"]
        if i["actionName"] == f"execute_tool {action}" and i["evidenceSource"] == "REPLAY"
    ]
    assert [(i["type"], i["severity"]) for i in observed] == [(issue_type, "CRITICAL")]


def test_changed_prompt_is_an_input_mismatch_at_the_first_llm_call(
    server: Endpoints, openai_server: FakeOpenAI
) -> None:
    original = _record(server, openai_server)
    changed = Variant(prompt="What is the weather in Paris today?")
    replay_id = _replay(server, openai_server, original, changed, Policy.LENIENT)

    result = harness.compare(server, original, replay_id)
    first = result["firstDivergence"]
    assert (first["step"], first["verdict"]) == (0, "INPUT_MISMATCH")
    assert first["key"]["name"] == "chat gpt-4o-mini"
    assert any("today" in (d["replay"] or "") for d in first["diff"])


def test_reordered_tool_call_is_an_action_name_mismatch(
    server: Endpoints, openai_server: FakeOpenAI
) -> None:
    original = _record(server, openai_server)
    replay_id = _replay(server, openai_server, original, Variant(reorder=True), Policy.LENIENT)

    result = harness.compare(server, original, replay_id)
    verdicts = [(a["step"], a["verdict"]) for a in result["actions"]]
    assert verdicts == [
        (0, "MATCH"),
        (1, "ACTION_NAME_MISMATCH"),
        (2, "ACTION_NAME_MISMATCH"),
        (3, "MATCH"),
    ]
    assert result["firstDivergence"]["key"]["name"] == "execute_tool get_forecast"


def test_strict_replay_stops_at_a_changed_prompt(
    server: Endpoints, openai_server: FakeOpenAI
) -> None:
    original = _record(server, openai_server)
    replaying = harness.session(server, original)
    llm = client(openai_server.url)
    with activate(replaying), pytest.raises(ReplayDivergence) as raised:
        provider = weather_agent.provider(server.otlp_grpc_url)
        try:
            run_agent(llm, provider, Variant(prompt="Weather in Lyon?"))
        finally:
            provider.shutdown()
    assert raised.value.name == "chat gpt-4o-mini"
    assert "input differs" in raised.value.detail
    assert openai_server.count == 2  # only the recording's calls


def test_strict_replay_goes_live_at_a_divergence_when_asked(
    server: Endpoints, openai_server: FakeOpenAI
) -> None:
    original = _record(server, openai_server)
    replaying = harness.session(server, original, Policy.STRICT, OnDivergence.LIVE)
    llm = client(openai_server.url)
    changed = Variant(prompt="Weather in Lyon?")
    harness.replay(server, replaying, lambda p: run_agent(llm, p, changed))

    assert openai_server.count == 4  # both calls of the replay went to the model
    assert openai_server.requests[2]["messages"][1]["content"] == "Weather in Lyon?"
    counts = replaying.counts
    assert (counts.served, counts.diverged, counts.live) == (0, 1, 4)
