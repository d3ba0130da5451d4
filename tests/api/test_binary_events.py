"""`Event.binary`: an action whose payload arrived as bytes says so (its output is base64)."""

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
