"""`Event.binary`: an action whose payload arrived as bytes says so (its output is base64); payloads
that the JSON encoder of answers refuses come back as sent."""

from __future__ import annotations

import base64

from tests.api.conftest import GraphQL
from tests.api.workload import Recorder, run_id

EVENTS = """query ($id: ID!) { run(id: $id) { events(kinds: [TOOL_EXECUTION]) {
  edges { node { name binary output } } } } }"""


def test_a_bytes_payload_is_flagged_binary(gql: GraphQL, recorder: Recorder, agent: str) -> None:
    root = recorder.root(agent)
    payload = bytes(range(256))
    attrs = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "png"}
    recorder.child(root, "execute_tool png", {**attrs, "gen_ai.tool.call.result": payload})
    recorder.child(root, "execute_tool text", {**attrs, "gen_ai.tool.call.result": "plain"})
    recorder.end(root)
    recorder.send()
    edges = gql(EVENTS, id=run_id(root))["run"]["events"]["edges"]
    nodes = {e["node"]["name"]: e["node"] for e in edges}
    assert nodes["execute_tool png"]["binary"] is True
    assert base64.b64decode(nodes["execute_tool png"]["output"]) == payload
    assert nodes["execute_tool text"]["binary"] is False


def test_payload_json_that_orjson_refuses_is_answered_as_sent(
    gql: GraphQL, recorder: Recorder, agent: str
) -> None:
    """Answers are encoded by orjson, which refuses integers past 64 bits: such a payload is
    answered by the standard encoder instead, unchanged, as is text outside ASCII."""
    root = recorder.root(agent)
    attrs = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "big"}
    result = '{"id": 123456789012345678901234567890, "note": "déjà vu ✓"}'
    recorder.child(root, "execute_tool big", {**attrs, "gen_ai.tool.call.result": result})
    recorder.child(root, "execute_tool small", {**attrs, "gen_ai.tool.call.result": '"ünï"'})
    recorder.end(root)
    recorder.send()
    edges = gql(EVENTS, id=run_id(root))["run"]["events"]["edges"]
    outputs = {e["node"]["name"]: e["node"]["output"] for e in edges}
    assert outputs["execute_tool big"] == {"id": 123456789012345678901234567890,
                                           "note": "déjà vu ✓"}  # fmt: skip
    assert outputs["execute_tool small"] == "ünï"
