"""A pydantic-ai agent recorded through runlens and replayed without calling its model."""

from __future__ import annotations

import pytest

from runlens.sdk.replay import Policy
from runlens.serve import Endpoints
from tests.sdk.replay import harness
from tests.sdk.replay.fake_openai import FakeOpenAI
from tests.sdk.replay.pydantic_agent import ScriptedModel, run_agent, run_openai_agent

PROMPT = "How is the weather in Oslo?"


def test_identical_agent_replays_from_the_recording(server: Endpoints) -> None:
    recorded_model = ScriptedModel()
    original = harness.record(server, lambda p: run_agent(recorded_model, p, PROMPT))
    assert len(recorded_model.calls) == 2

    replay_model = ScriptedModel()
    replaying = harness.session(server, original)
    replay_id = harness.replay(server, replaying, lambda p: run_agent(replay_model, p, PROMPT))

    assert replay_model.calls == []  # the model was never asked
    assert (replaying.counts.served, replaying.counts.diverged) == (3, 0)
    result = harness.compare(server, original, replay_id)
    assert result["matchRate"] == 1.0
    names = [a["key"]["name"] for a in result["actions"]]
    assert names == [
        "chat gpt-4o-mini",
        "execute_tool weather",
        "execute_tool fetch_weather",
        "chat gpt-4o-mini",
    ]
    assert result["originalCostUsd"] > 0
    assert result["replayCostUsd"] == 0


def test_changed_prompt_is_an_input_mismatch_at_the_first_llm_call(server: Endpoints) -> None:
    original = harness.record(server, lambda p: run_agent(ScriptedModel(), p, PROMPT))
    replay_model = ScriptedModel()
    replaying = harness.session(server, original, Policy.LENIENT)
    changed = "What is the weather like in Oslo?"
    replay_id = harness.replay(server, replaying, lambda p: run_agent(replay_model, p, changed))

    assert replay_model.calls == []
    assert replaying.counts.drift == 2  # both calls carry the changed prompt
    result = harness.compare(server, original, replay_id)
    first = result["firstDivergence"]
    assert (first["step"], first["verdict"]) == (0, "INPUT_MISMATCH")
    assert first["key"]["name"] == "chat gpt-4o-mini"


@pytest.mark.parametrize("policy", [Policy.STRICT, Policy.LENIENT])
def test_a_served_model_response_drives_the_real_tool(server: Endpoints, policy: Policy) -> None:
    original = harness.record(server, lambda p: run_agent(ScriptedModel(), p, PROMPT))
    replaying = harness.session(server, original, policy)
    harness.replay(server, replaying, lambda p: run_agent(ScriptedModel(), p, PROMPT))
    assert replaying.counts.drift == 0
    assert replaying.counts.served == 3


def test_openai_provider_replays_with_no_request(
    server: Endpoints, openai_server: FakeOpenAI
) -> None:
    prompt = "What is the weather in Paris?"
    original = harness.record(server, lambda p: run_openai_agent(openai_server.url, p, prompt))
    assert openai_server.count == 2

    replaying = harness.session(server, original)
    replay_id = harness.replay(
        server, replaying, lambda p: run_openai_agent(openai_server.url, p, prompt)
    )
    assert openai_server.count == 2  # nothing sent during the replay
    result = harness.compare(server, original, replay_id)
    assert result["matchRate"] == 1.0
    names = [a["key"]["name"] for a in result["actions"]]
    assert names == ["chat gpt-4o-mini", "execute_tool get_forecast", "chat gpt-4o-mini"]
    assert (result["originalCostUsd"] > 0, result["replayCostUsd"]) == (True, 0)
