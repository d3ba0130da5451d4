"""`GET /export/runs`: spans sent with the real OTel SDK into the real server, exported in each
format and compared with what GraphQL answers for the same runs."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from runlens.api.app import build_api_app
from runlens.api.export import export_chunks, parse_export
from runlens.auth.authenticator import Authenticator
from runlens.serve import Endpoints
from runlens.storage.clickhouse.store import ClickHouseStore
from runlens.storage.contract import RetryableStorageError
from tests.api.conftest import GraphQL
from tests.api.test_query_counts import CountingReader
from tests.api.workload import Recorder, assistant, chat, tool, tool_request, user

RUNS = """query ($filter: RunFilter, $sort: RunSort) {
  runs(filter: $filter, sort: $sort, first: 200) { edges { node {
    id status costUsd actionCount tokens { input cached output reasoning total }
    events(kinds: [LLM_CALL, TOOL_EXECUTION], first: 200) {
      totalCount
      edges { node {
        id kind status outcome costUsd startedAt
        ... on LlmCall { model tokens { total } }
        ... on ToolExecution { toolName }
      } }
    }
  } } }
}"""


def record_runs(recorder: Recorder, agent: str) -> dict[str, str]:
    """A completed run (2 LLM calls, 1 tool), a failed one (1 failing LLM call) and one with
    no action; returns their ids by role."""
    root = recorder.root(agent, name=f"{agent} weather in paris")
    request = tool_request("c1", "lookup", {"city": "Paris"})
    recorder.child(root, "chat gpt-4o-mini", chat([user("weather?")], request, finish="tool_call"))
    recorder.child(root, "execute_tool lookup", tool("lookup", "c1", {"city": "Paris"}, "18C"))
    recorder.child(
        root, "chat gpt-4o-mini",
        chat([user("weather?"), request], assistant("18C, sunny"), input_tokens=300, cached=100),
    )  # fmt: skip
    completed = recorder.end(root)
    root = recorder.root(agent)
    recorder.child(root, "chat gpt-4o", chat([user("q")], assistant(""), model="gpt-4o"),
                   error="rate limited")  # fmt: skip
    failed = recorder.end(root, error="rate limited")
    root = recorder.root(agent)
    empty = recorder.end(root)
    recorder.send()
    return {"completed": completed, "failed": failed, "empty": empty}


def export(server: Endpoints, **params: Any) -> httpx.Response:
    return httpx.get(f"{server.api_url}/export/runs", params=params, timeout=30)


def jsonl(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines()]


def test_jsonl_round_trips_what_graphql_answers(
    server: Endpoints, gql: GraphQL, recorder: Recorder, agent: str
) -> None:
    ids = record_runs(recorder, agent)
    response = export(server, format="jsonl", agentId=agent)
    assert response.headers["content-type"] == "application/x-ndjson"
    assert re.fullmatch(
        r"attachment; filename=runs-\d{8}T\d{6}Z\.jsonl", response.headers["content-disposition"]
    )
    assert response.headers["x-total-count"] == "3"
    exported = jsonl(response)
    runs = [e["node"] for e in gql(RUNS, filter={"agentId": agent})["runs"]["edges"]]

    assert [r["id"] for r in exported] == [r["id"] for r in runs]  # same order: newest first
    assert {r["id"] for r in exported} == set(ids.values())
    for mine, theirs in zip(exported, runs, strict=True):
        assert mine["status"] == theirs["status"]
        assert mine["costUsd"] == theirs["costUsd"]
        assert mine["actionCount"] == theirs["actionCount"] == len(mine["actions"])
        assert {k: mine["tokens"][k] for k in theirs["tokens"]} == theirs["tokens"]
        events = [e["node"] for e in theirs["events"]["edges"]]
        assert theirs["events"]["totalCount"] == len(mine["actions"])
        for action, event in zip(mine["actions"], events, strict=True):
            assert action["id"] == event["id"]
            for key in ("kind", "status", "outcome", "costUsd", "startedAt"):
                assert action[key] == event[key], key
            assert action["model"] == event.get("model")
            assert action["toolName"] == event.get("toolName")
            if "tokens" in event:
                assert action["tokens"]["total"] == event["tokens"]["total"]
            assert "input" not in action and "output" not in action  # no payloads by default

    by_id = {r["id"]: r for r in exported}
    done, failed, empty = by_id[ids["completed"]], by_id[ids["failed"]], by_id[ids["empty"]]
    assert [a["kind"] for a in done["actions"]] == ["LLM_CALL", "TOOL_EXECUTION", "LLM_CALL"]
    assert done["tokens"] == {
        "input": 400, "cached": 100, "cacheWrite": 0, "output": 40, "reasoning": 0, "total": 440,
    }  # fmt: skip
    assert done["actions"][1]["toolName"] == "lookup"
    assert failed["status"] == "FAILED"
    assert failed["actions"][0]["outcome"] == "ERROR"
    assert failed["actions"][0]["errorMessage"] == "rate limited"
    assert empty["actions"] == [] and empty["actionCount"] == 0


def test_csv_has_one_row_per_action_and_one_per_empty_run(
    server: Endpoints, recorder: Recorder, agent: str
) -> None:
    ids = record_runs(recorder, agent)
    response = export(server, format="csv", agentId=agent)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 3 + 1 + 1  # 3 actions, 1 action, an empty run
    per_run = Counter(row["run_id"] for row in rows)
    assert per_run == {ids["completed"]: 3, ids["failed"]: 1, ids["empty"]: 1}
    [empty] = [row for row in rows if row["run_id"] == ids["empty"]]
    assert empty["action_id"] == empty["action_kind"] == "" and empty["run_status"] == "COMPLETED"
    tool_row = next(row for row in rows if row["action_kind"] == "TOOL_EXECUTION")
    assert tool_row["action_tool_name"] == "lookup" and tool_row["run_action_count"] == "3"
    assert "action_input" not in rows[0]


def test_json_is_one_array(server: Endpoints, recorder: Recorder, agent: str) -> None:
    ids = record_runs(recorder, agent)
    response = export(server, format="json", agentId=agent)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    runs = json.loads(response.text)
    assert {r["id"] for r in runs} == set(ids.values())
    assert sum(len(r["actions"]) for r in runs) == 4
    nothing = export(server, format="json", agentId=f"{agent}-none")
    assert json.loads(nothing.text) == [] and nothing.headers["x-total-count"] == "0"
    assert export(server, format="jsonl", agentId=f"{agent}-none").text == ""


def test_payloads_only_when_asked(server: Endpoints, recorder: Recorder, agent: str) -> None:
    ids = record_runs(recorder, agent)
    [run] = jsonl(export(server, agentId=agent, search=ids["completed"], include_payloads="true"))
    llm, tool_call, _ = run["actions"]
    assert llm["input"] == [user("weather?")]
    assert llm["output"][0]["parts"][0]["name"] == "lookup"
    assert tool_call["input"] == {"city": "Paris"} and tool_call["output"] == "18C"
    response = export(server, format="csv", agentId=agent, include_payloads="true")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    tool_row = next(row for row in rows if row["action_kind"] == "TOOL_EXECUTION")
    assert json.loads(tool_row["action_input"]) == {"city": "Paris"}


def test_filters_sort_and_limit(
    server: Endpoints, gql: GraphQL, recorder: Recorder, agent: str
) -> None:
    recorder.at(time.time_ns() - 3 * 86_400 * 10**9)
    old = recorder.end(recorder.root(agent))
    recorder.at(time.time_ns())
    ids = record_runs(recorder, agent)

    def run_ids(**params: Any) -> list[str]:
        return [r["id"] for r in jsonl(export(server, **{"agentId": agent, **params}))]

    assert run_ids(status="failed") == [ids["failed"]]
    assert set(run_ids(status=["FAILED", "completed"])) == {*ids.values(), old}
    assert old not in run_ids(window="LAST_24H") and old in run_ids(window="all")
    assert run_ids(search="PARIS") == [ids["completed"]]
    assert set(run_ids(minCostUsd="0.000001")) == {ids["completed"], ids["failed"]}
    assert run_ids(agentId=f"{agent}-other") == []

    sort = {"field": "COST", "direction": "ASC"}
    by_cost = [e["node"]["id"] for e in gql(RUNS, filter={"agentId": agent}, sort=sort)
               ["runs"]["edges"]]  # fmt: skip
    assert run_ids(sort="COST", direction="ASC") == by_cost
    assert run_ids(sort="cost", direction="asc", limit=2) == by_cost[:2]
    assert run_ids(limit=0) == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"format": "xml"}, "unknown format 'xml': use csv, json or jsonl"),
        ({"status": "broken"}, "invalid status 'broken': use one of running, completed"),
        ({"window": "LAST_YEAR"}, "invalid window 'LAST_YEAR': use one of last_24h"),
        ({"limit": "-1"}, "invalid limit -1: use a whole number >= 0"),
        ({"limit": "ten"}, "invalid limit 'ten'"),
        ({"minCostUsd": "-2"}, "invalid minCostUsd '-2'"),
        ({"sort": "NAME"}, "invalid sort 'NAME'"),
        ({"include_payloads": "maybe"}, "invalid include_payloads 'maybe': use true or false"),
        ({"colour": "red"}, "unknown parameter 'colour'"),
    ],
)
def test_bad_params_get_400_with_a_message(
    server: Endpoints, params: dict[str, str], message: str
) -> None:
    response = export(server, **params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "BAD_REQUEST"
    assert message in error["message"]


def test_reads_one_page_at_a_time(
    store: ClickHouseStore, project: str, recorder: Recorder, agent: str
) -> None:
    """Bounded memory: each chunk is produced from one page of runs (one runs query, one spans
    query), before the next page is read."""
    for _ in range(5):
        root = recorder.root(agent)
        recorder.child(root, "chat gpt-4o-mini", chat([user("q")], assistant("a")))
        recorder.end(root)
    recorder.send()
    reader = CountingReader(store)
    request = parse_export([("format", "jsonl"), ("agentId", agent)], project, time.time_ns())
    chunks = export_chunks(reader, request, page_size=2)
    lines_per_chunk = []
    for page, chunk in enumerate(chunks, start=1):
        assert reader.calls == {"runs_page": page, "run_actions": page}
        lines_per_chunk.append(len(chunk.decode().splitlines()))
    assert lines_per_chunk == [2, 2, 1]
    assert reader.calls == {"runs_page": 3, "run_actions": 3}


def test_store_down_before_the_first_byte_is_503(store: ClickHouseStore, project: str) -> None:
    class Down(CountingReader):
        def runs_page(self, query: Any) -> Any:
            raise RetryableStorageError("ClickHouse does not answer")

    app = build_api_app(Down(store), auth=Authenticator.disabled(project))

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            return await client.get("/export/runs", params={"format": "csv"})

    response = asyncio.run(get())
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "UNAVAILABLE"
    assert "ClickHouse does not answer" in response.json()["error"]["message"]
