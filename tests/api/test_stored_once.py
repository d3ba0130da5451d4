"""A dual-instrumented span (GenAI and OpenInference attributes carrying the same content) is
stored with each payload once, and the API still shows its attributes as sent."""

from __future__ import annotations

import json

from tests.api.conftest import GraphQL
from tests.api.workload import SYSTEM, Recorder, assistant, chat, span_id, tool, user

EVENTS = """query ($id: ID!) { run(id: $id) { events { edges { node {
  spanId input output attributes ... on LlmCall { rawResponse } } } } } }"""


def test_dual_instrumented_attributes_as_sent(gql: GraphQL, recorder: Recorder, agent: str) -> None:
    question = user("What will the weather be like in Paris this week? " * 6)
    genai = chat([SYSTEM, question], assistant("Sunny all week, 21 degrees. " * 8))
    arguments = json.dumps({"city": "Paris", "days": 7, "query": "weekly forecast " * 6})
    result = "sunny all week, highs of 21 degrees"
    root = recorder.root(agent)
    llm = recorder.child(
        root,
        "chat gpt-4o-mini",
        {
            **genai,
            "openinference.span.kind": "LLM",
            "input.value": genai["gen_ai.input.messages"],
            "output.value": genai["gen_ai.output.messages"],
        },
    )
    forecast = recorder.child(
        root,
        "execute_tool forecast",
        {
            **tool("forecast", "call_f", json.loads(arguments), None),
            "gen_ai.tool.call.arguments": arguments,
            "gen_ai.tool.call.result": result,
            "openinference.span.kind": "TOOL",
            "input.value": arguments,
            "output.value": result,
        },
    )
    run = recorder.end(root)
    recorder.send()

    edges = gql(EVENTS, id=run)["run"]["events"]["edges"]
    by_id = {edge["node"]["spanId"]: edge["node"] for edge in edges}
    call, execution = by_id[span_id(llm)], by_id[span_id(forecast)]
    assert call["attributes"]["input.value"] == genai["gen_ai.input.messages"]
    assert call["attributes"]["output.value"] == genai["gen_ai.output.messages"]
    assert "runlens.payload.copies" not in call["attributes"]
    assert call["rawResponse"] == json.loads(genai["gen_ai.output.messages"])
    assert call["input"] == json.loads(genai["gen_ai.input.messages"])
    assert execution["attributes"]["input.value"] == arguments
    assert execution["attributes"]["output.value"] == result
    assert execution["output"] == result
