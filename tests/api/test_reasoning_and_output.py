"""An LLM call's reasoning apart from its response, and where a tool's whole terminal output is
stored: the SQL that reads it and the URL that downloads it."""

from __future__ import annotations

import httpx

from runlens.serve import Endpoints
from tests.api.conftest import GraphQL
from tests.api.workload import Recorder, chat, span_id, tool, user
from tests.eventually import eventually

QUERY = """query ($id: ID!) { run(id: $id) { events { edges { node {
  spanId ... on LlmCall { response reasoning }
  ... on ToolExecution { terminalOutput { text
    location { table runId spanId sql downloadUrl } } } } } } } }"""


def test_reasoning_and_output_location(
    gql: GraphQL, recorder: Recorder, agent: str, server: Endpoints
) -> None:
    answer = {
        "role": "assistant",
        "parts": [
            {"type": "reasoning", "content": "Paris first, then Rome."},
            {"type": "text", "content": "Both are sunny."},
        ],
    }
    root = recorder.root(agent)
    llm = recorder.child(root, "chat", chat([user("Paris and Rome?")], answer, reasoning=7))
    plain = recorder.child(root, "chat", chat([user("thanks")], {"role": "assistant",
                           "parts": [{"type": "text", "content": "You're welcome."}]}))  # fmt: skip
    shell = recorder.child(root, "execute_tool shell", tool("shell", "c1", {"cmd": "ls"}, "ok"))
    run = recorder.end(root)
    recorder.send()
    recorder.send_output(shell, [("stdout", "a.txt\n"), ("stderr", "warn\n"), ("stdout", "b\n")])

    def stored() -> dict[str, dict[str, object]]:
        edges = gql(QUERY, id=run)["run"]["events"]["edges"]
        by_span = {e["node"]["spanId"]: e["node"] for e in edges}
        assert by_span[span_id(shell)]["terminalOutput"], by_span
        return by_span

    by_span = eventually(stored, timeout=30)
    assert by_span[span_id(llm)]["reasoning"] == "Paris first, then Rome."
    assert by_span[span_id(llm)]["response"] == "Both are sunny."
    assert by_span[span_id(plain)]["reasoning"] is None
    output = by_span[span_id(shell)]["terminalOutput"]
    assert isinstance(output, dict)
    location = output["location"]
    assert location["table"] == "runlens.logs"
    assert (location["runId"], location["spanId"]) == (run, span_id(shell))
    assert f"span_id = '{span_id(shell)}'" in location["sql"]
    download = httpx.get(server.api_url + location["downloadUrl"], timeout=30)
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/plain")
    assert download.text == output["text"] == "a.txt\nwarn\nb\n"
    missing = httpx.get(f"{server.api_url}/export/runs/{run}/output/{span_id(llm)}", timeout=30)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"
    unknown = httpx.get(f"{server.api_url}/export/runs/no-such-run/output/0", timeout=30)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "NOT_FOUND"
