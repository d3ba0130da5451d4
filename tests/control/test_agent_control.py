"""The example agent driven end to end through the GraphQL mutations of a real server."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import httpx

from runlens.serve import Endpoints
from tests.api.conftest import GraphQL
from tests.control.conftest import BUDGET_AGENT, AgentFactory, Background
from tests.eventually import eventually
from tests.live.graphql_ws import TransportWs

RUN = """query($id: ID!) {
  run(id: $id) {
    status statusReason interventions spanCount
    commands { id runId kind state payload reason issuedBy detail createdAt updatedAt }
  }
}"""
TERMINATE = """mutation($id: ID!, $reason: String) {
  terminateRun(id: $id, reason: $reason) { id runId kind state reason detail }
}"""
STEER = """mutation($id: ID!, $message: String!, $mode: SteerMode!) {
  steerRun(id: $id, message: $message, mode: $mode) { id kind state payload }
}"""
RETRIGGER = """mutation($id: ID!) { retriggerRun(id: $id) { id kind state payload detail } }"""
UPDATES = """subscription($search: String) {
  runUpdates(filter: {search: $search}) { type run { id status } }
}"""


def assert_status(gql: GraphQL, run_id: str, status: str) -> None:
    run = run_of(gql, run_id)
    assert run["status"] == status, run


def run_of(gql: GraphQL, run_id: str) -> dict[str, Any]:
    run: dict[str, Any] = gql(RUN, id=run_id)["run"]
    return run


def visible(gql: GraphQL, run_id: str) -> None:
    body = gql.post(RUN, id=run_id)
    assert body.get("data") and body["data"]["run"], body


def test_terminate_stops_the_agent_at_its_next_checkpoint(
    server: Endpoints, gql: GraphQL, make_agent: AgentFactory
) -> None:
    running = Background(make_agent(), "count the tickets", steps=500)
    eventually(lambda: visible(gql, running.run_id))
    updates: list[dict[str, Any]] = []

    async def terminate_and_watch() -> dict[str, Any]:
        client = await TransportWs.open(server.api_url)
        try:
            await client.subscribe("1", UPDATES, search=running.run_id)
            await asyncio.sleep(0.2)  # the subscription is registered on the server
            command: dict[str, Any] = await asyncio.to_thread(
                gql, TERMINATE, id=running.run_id, reason="enough"
            )
            while not updates or updates[-1]["type"] != "TERMINATED":
                data = await client.next("1")
                assert data is not None
                updates.append(data["runUpdates"])
            return command
        finally:
            await client.close()

    command = asyncio.run(terminate_and_watch())["terminateRun"]
    assert command["kind"] == "TERMINATE" and command["state"] == "REQUESTED"
    assert command["reason"] == "enough" and command["runId"] == running.run_id
    result = running.join()
    assert result.terminated == "enough"
    assert result.steps_done < 500
    terminated = {"type": "TERMINATED", "run": {"id": running.run_id, "status": "TERMINATED"}}
    assert updates[-1] == terminated

    # The root span and a cleanup span arrive after the acknowledgement: still terminated.
    def settled() -> dict[str, Any]:
        run = run_of(gql, running.run_id)
        assert run["spanCount"] == 2 * result.steps_done + 2, run
        return run

    eventually(settled)
    time.sleep(1.5)  # past the next summary refresh
    run = run_of(gql, running.run_id)
    assert (run["status"], run["statusReason"], run["interventions"]) == (
        "TERMINATED",
        "enough",
        1,
    )
    [listed] = run["commands"]
    assert listed["state"] == "APPLIED" and listed["detail"] == "stopped at a checkpoint"
    assert listed["issuedBy"] == "api" and listed["createdAt"] < listed["updatedAt"]
    again = gql(TERMINATE, id=running.run_id)["terminateRun"]
    assert (again["state"], again["detail"]) == ("REJECTED", "run already terminated")


def test_steering_messages_reach_the_agent(gql: GraphQL, make_agent: AgentFactory) -> None:
    running = Background(make_agent(step_delay_s=0.2), "plan the release", steps=500)
    eventually(lambda: visible(gql, running.run_id))
    queued = gql(STEER, id=running.run_id, message="also check the changelog", mode="QUEUE")
    assert queued["steerRun"]["state"] == "REQUESTED"
    assert json.loads(queued["steerRun"]["payload"]) == {
        "message": "also check the changelog",
        "mode": "queue",
    }

    def first_applied() -> None:
        commands = run_of(gql, running.run_id)["commands"]
        assert commands and commands[0]["state"] == "APPLIED", commands

    eventually(first_applied)
    gql(STEER, id=running.run_id, message="skip the docs", mode="STEER")

    def both_applied() -> None:
        commands = run_of(gql, running.run_id)["commands"]
        assert [c["state"] for c in commands] == ["APPLIED", "APPLIED"], commands

    eventually(both_applied)
    gql(TERMINATE, id=running.run_id)
    result = running.join()
    assert result.steering == [("queue", "also check the changelog"), ("steer", "skip the docs")]
    user_messages = [m["content"] for m in result.messages if m["role"] == "user"]
    assert user_messages == ["plan the release", "also check the changelog", "skip the docs"]
    assert run_of(gql, running.run_id)["interventions"] == 3


def test_retrigger_runs_the_registered_handler_and_links_the_new_run(
    gql: GraphQL, make_agent: AgentFactory
) -> None:
    agent = make_agent()
    original = agent.run("triage the inbox", steps=1)
    eventually(lambda: visible(gql, original.run_id))
    command = gql(RETRIGGER, id=original.run_id)["retriggerRun"]
    assert command["kind"] == "RETRIGGER" and command["state"] == "REQUESTED"
    assert gql(RETRIGGER, id=original.run_id)["retriggerRun"]["id"] == command["id"]
    assert agent.retriggers.poll(wait_s=10) == 1
    rerun = agent.runs[-1]
    assert rerun.run_id != original.run_id
    assert rerun.messages[0] == {"role": "user", "content": "triage the inbox"}

    def linked() -> None:
        body = gql(
            """query($id: ID!) { run(id: $id) { status events(kinds: [AGENT]) {
                 edges { node { attributes } } } } }""",
            id=rerun.run_id,
        )["run"]
        assert body["status"] == "COMPLETED", body
        attributes = body["events"]["edges"][0]["node"]["attributes"]
        assert attributes["runlens.retrigger.of"] == original.run_id

    eventually(linked)
    [done] = run_of(gql, original.run_id)["commands"]
    assert (done["state"], done["detail"]) == ("APPLIED", rerun.run_id)


def test_terminating_a_finished_run_is_a_clear_no_op(
    gql: GraphQL, make_agent: AgentFactory
) -> None:
    finished = make_agent().run("say hello", steps=1)
    eventually(lambda: assert_status(gql, finished.run_id, "COMPLETED"))
    command = gql(TERMINATE, id=finished.run_id, reason="too late")["terminateRun"]
    assert (command["state"], command["detail"]) == ("REJECTED", "run already completed")
    steer = gql(STEER, id=finished.run_id, message="hi", mode="INTERRUPT")["steerRun"]
    assert steer["state"] == "REJECTED"
    run = run_of(gql, finished.run_id)
    assert (run["status"], run["interventions"]) == ("COMPLETED", 0)
    assert [c["state"] for c in run["commands"]] == ["REJECTED", "REJECTED"]


def test_unknown_runs_are_not_found(gql: GraphQL) -> None:
    for query, variables in (
        (TERMINATE, {}),
        (STEER, {"message": "hi", "mode": "QUEUE"}),
        (RETRIGGER, {}),
    ):
        [error] = gql.errors(query, id="no-such-run", **variables)
        assert error["extensions"]["code"] == "NOT_FOUND", error
        assert "no-such-run" in error["message"]


def test_long_poll_answers_when_a_command_arrives_and_times_out_empty(
    server: Endpoints, gql: GraphQL, make_agent: AgentFactory
) -> None:
    agent = make_agent()
    root = agent.tracer.start_span("invoke_agent idle", attributes={"gen_ai.agent.name": "idle"})
    run_id = format(root.get_span_context().trace_id, "032x")
    try:
        eventually(lambda: visible(gql, run_id))
        url = f"{server.api_url}/control/runs/{run_id}/commands"
        started = time.monotonic()
        empty = httpx.get(url, params={"wait": 1}, timeout=10)
        waited = time.monotonic() - started
        assert empty.json() == {"commands": []}
        assert 0.9 <= waited < 5

        answer: dict[str, Any] = {}

        def poll() -> None:
            response = httpx.get(url, params={"wait": 25}, timeout=40)
            answer["elapsed"] = time.monotonic() - started
            answer["body"] = response.json()

        poller = threading.Thread(target=poll)
        started = time.monotonic()
        poller.start()
        time.sleep(0.5)
        first = gql(TERMINATE, id=run_id, reason="stop")["terminateRun"]
        assert gql(TERMINATE, id=run_id)["terminateRun"]["id"] == first["id"]
        poller.join(30)
        assert answer["elapsed"] < 5, answer
        [delivered] = answer["body"]["commands"]
        assert delivered["id"] == first["id"] and delivered["state"] == "delivered"
        assert delivered["payload"] == {"reason": "stop"}

        ack = f"{server.api_url}/control/commands"
        assert httpx.post(f"{ack}/nope/ack", json={"state": "applied"}).status_code == 404
        assert httpx.post(f"{ack}/{first['id']}/ack", json={"state": "done"}).status_code == 422
        applied = httpx.post(f"{ack}/{first['id']}/ack", json={"state": "applied", "detail": "ok"})
        assert applied.status_code == 200 and applied.json()["state"] == "applied"
        failed = httpx.post(f"{ack}/{first['id']}/ack", json={"state": "failed"})
        assert failed.status_code == 409
        eventually(lambda: assert_status(gql, run_id, "TERMINATED"))
    finally:
        root.end()


def test_budget_exhaustion_terminates_the_run_once(gql: GraphQL, make_agent: AgentFactory) -> None:
    running = Background(make_agent(BUDGET_AGENT, step_delay_s=0.2), "spend money", steps=500)
    result = running.join()
    assert result.terminated == "budget exhausted"

    def terminated() -> dict[str, Any]:
        run = run_of(gql, running.run_id)
        assert run["status"] == "TERMINATED", run
        assert run["spanCount"] == 2 * result.steps_done + 2, run
        return run

    eventually(terminated)
    time.sleep(1.5)  # more refreshes: the rule does not fire again
    run = run_of(gql, running.run_id)
    assert run["statusReason"] == "budget exhausted"
    [command] = run["commands"]
    assert (command["kind"], command["state"], command["issuedBy"]) == (
        "TERMINATE",
        "APPLIED",
        "budget",
    )
