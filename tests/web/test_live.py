"""The Live Run Viewer and the Timeline's live half in a real browser, following an agent
process (tests/web/live_agent.py: start markers, streamed model text and stdout, RunControl
checkpoints) while it runs: pieces arrive as they are produced, metrics grow, Terminate stops
the process, steering reaches it, Retrigger starts a new run and the page follows it."""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path
from typing import Any

import httpx

from runlens.serve import Endpoints
from tests.web.agent_process import agent_process
from tests.web.conftest import Watched, until, watch
from tests.web.serve_process import serve

WHOLE = "Checking the weather in Paris now."


def samples(read: Any, seconds: float, every: float = 0.1) -> list[Any]:
    """What `read()` gives every `every` seconds for `seconds`."""
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen.append(read())
        time.sleep(every)
    return seen


def number(text: str) -> int:
    digits = re.sub(r"[^\d]", "", text)
    return int(digits) if digits else 0


def test_live_view_shows_the_run_as_it_happens(
    ui: Watched, ui_server: tuple[Endpoints, str]
) -> None:
    with agent_process(ui_server[0], "--steps", "2", "--gate") as agent:
        run = agent.wait_for("run")["run"]
        page = ui.open(f"/runs/{run}/live")
        page.get_by_role("heading", name="What is the weather in Paris?").wait_for(timeout=60_000)
        page.locator(".entry-agent").wait_for()  # the root span's start marker: no span has ended
        page.locator(".live-pill[data-state=connected]").wait_for()
        assert page.locator(".live-head .badge").inner_text().strip().endswith("Running")
        ui.shot("live-started")
        agent.go()

        # the model's text grows in place while the first LLM call runs
        response = page.locator(".entry-response").first
        response.locator(".model-text").wait_for(timeout=60_000)
        texts = samples(lambda: response.locator(".model-text").inner_text(), 2.5)
        pieces = [t for i, t in enumerate(texts) if t and (i == 0 or t != texts[i - 1])]
        streamed = [p for p in pieces if "get_weather" not in p]  # then: the stored response
        assert len(streamed) >= 3, pieces
        assert all(WHOLE.startswith(p.rstrip()) for p in streamed), pieces
        ui.shot("live-streaming")

        # the tool's stdout shows inside its entry while the tool runs
        tool = page.locator(".entry-tool").first
        tool.locator("pre.terminal").wait_for(timeout=60_000)
        outputs = samples(
            lambda: (tool.get_attribute("class"), tool.locator("pre.terminal").inner_text()), 1.5
        )
        running = [text for cls, text in outputs if "streaming" in cls]
        assert any("part 1/4" in t and "part 4/4" not in t for t in running), outputs

        total = page.locator("[data-metric=total] strong")
        first_total = number(total.inner_text())
        until(
            lambda: number(total.inner_text()) > first_total, timeout=30
        )  # the next call's tokens

        agent.wait_for("done", timeout=60)
        assert agent.exit_code() == 0
        page.locator(".live-pill[data-state=finished]").wait_for(timeout=60_000)
        page.locator(".entry-end", has_text="Run completed: It is sunny in Paris.").wait_for()
        assert page.get_by_role("form", name="Steer the agent").count() == 0  # gone with the run
        assert number(page.locator("[data-metric=turns] strong").inner_text()) == 2
        assert number(total.inner_text()) == 2 * 240 + 10
        thinking = page.locator(".entry-thinking")
        assert thinking.count() == 2 and "12 reasoning tokens" in thinking.first.inner_text()
        page.evaluate("window.scrollTo(0, 0)")
        ui.shot("live-finished")
        follow = page.get_by_role("button", name=re.compile("Follow|follow"))
        assert follow.get_attribute("aria-pressed") == "false"  # scrolled up: it stays put
        page.keyboard.press("F")
        assert follow.get_attribute("aria-pressed") == "true"


def test_steering_message_reaches_the_agent(ui: Watched, ui_server: tuple[Endpoints, str]) -> None:
    with agent_process(ui_server[0], "--steps", "3", "--gate") as agent:
        run = agent.wait_for("run")["run"]
        page = ui.open(f"/runs/{run}/live")
        bar = page.get_by_role("form", name="Steer the agent")
        bar.wait_for(timeout=60_000)
        agent.go()
        bar.get_by_label("Message to the agent").fill("Also check Rome")
        bar.get_by_label("Steer mode").select_option("STEER")
        bar.get_by_role("button", name="Send").click()
        steered = agent.wait_for("steered", timeout=30)
        assert steered == {"steered": "Also check Rome", "mode": "steer"}
        bar.locator(".command-life[data-state=APPLIED]").wait_for(timeout=60_000)
        ui.shot("live-steered")
        agent.wait_for("done", timeout=60)


def test_terminate_from_the_timeline_stops_the_agent(
    ui: Watched, ui_server: tuple[Endpoints, str]
) -> None:
    with agent_process(ui_server[0], "--steps", "20", "--gate") as agent:
        run = agent.wait_for("run")["run"]
        page = ui.open(f"/runs/{run}/timeline?follow=1")
        page.locator(".ev-row").first.wait_for(timeout=60_000)
        agent.go()
        # follow mode selects the running tool; its terminal output streams in the detail
        terminal = page.get_by_label("Terminal output")
        terminal.wait_for(timeout=60_000)
        outputs = samples(lambda: terminal.inner_text() if terminal.count() else "", 1.2)
        assert any("part 1/4" in t and "part 4/4" not in t for t in outputs), outputs
        assert any("part 2/4" in t for t in outputs), outputs

        page.get_by_role("button", name="■ Terminate").click()
        confirm = page.get_by_role("dialog", name="Terminate this run?")
        confirm.get_by_label("Reason").fill("enough weather")
        ui.shot("timeline-terminate-confirm")
        confirm.get_by_role("button", name="Terminate").click()
        life = page.locator(".run-bar .command-life")
        life.wait_for()
        assert agent.wait_for("terminated", timeout=30) == {"terminated": "enough weather"}
        assert agent.exit_code(30) == 0  # it left through RunTerminated
        page.locator(".run-bar .command-life[data-state=APPLIED]").wait_for(timeout=60_000)
        assert [s.inner_text().strip("→ ") for s in life.locator(".step.done").all()] == [
            "requested", "delivered", "applied"
        ]  # fmt: skip
        page.locator(".run-bar .badge", has_text="Terminated").wait_for(timeout=60_000)
        root = page.locator(".ev-row[data-kind=AGENT]")
        until(lambda: root.get_attribute("data-status") != "RUNNING", timeout=60)  # it ended too
        assert page.get_by_role("button", name="■ Terminate").count() == 0
        ui.shot("timeline-terminated")


def test_failed_run_retriggered_opens_the_new_run(
    ui: Watched, ui_server: tuple[Endpoints, str]
) -> None:
    with agent_process(ui_server[0], "--steps", "1", "--fail", "--retriggers", "60") as agent:
        run = agent.wait_for("run")["run"]
        page = ui.open(f"/runs/{run}/live")
        panel = page.get_by_role("region", name="Error recovery")
        panel.wait_for(timeout=40_000)
        assert "RateLimitError" in panel.inner_text()
        ui.shot("live-failed")
        panel.get_by_role("button", name="↻ Retrigger run").click()
        new = agent.wait_for("retriggered", timeout=60)["retriggered"]
        assert new != run
        page.wait_for_url(re.compile(f"/runs/{new}/live$"), timeout=60_000)
        page.locator(".entry-agent").wait_for(timeout=60_000)
        page.get_by_role("heading", name="What is the weather in Paris?").wait_for()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def subscribes(frame: str | bytes) -> list[dict[str, Any]]:
    message = json.loads(frame)
    return [message] if message.get("type") == "subscribe" else []


STORED = """query ($id: ID!) { run(id: $id) { status events(first: 200) { edges { node {
  id kind ... on ToolExecution { terminalOutput { text } } } } } } }"""


def test_restart_mid_run_resumes_with_no_gap_and_no_repeat(browser: Any, tmp_path: Path) -> None:
    ports = ["--port", str(free_port()), "--grpc-port", str(free_port()),
             "--otlp-http-port", str(free_port())]  # fmt: skip
    data = tmp_path / "data"
    sent: list[dict[str, Any]] = []  # the subscribe messages the page sends

    def on_socket(socket: Any) -> None:
        socket.on("framesent", lambda frame: sent.extend(subscribes(frame)))

    first = serve(data, *ports)
    server, base = first.__enter__()
    try:
        with agent_process(server, "--steps", "4", "--gate") as agent:
            run = agent.wait_for("run")["run"]
            for ui in watch(browser, base, color_scheme="light"):
                ui.page.on("websocket", on_socket)
                page = ui.open(f"/runs/{run}/live")
                page.locator(".entry-agent").wait_for(timeout=60_000)
                agent.go()
                page.locator(".entry-tool pre.terminal").first.wait_for(timeout=60_000)
                first.__exit__(None, None, None)  # the server goes away mid-run
                page.locator(
                    ".live-pill[data-state=reconnecting]", has_text="Reconnecting…"
                ).wait_for()
                ui.shot("live-reconnecting")
                first = serve(data, *ports)  # and comes back on the same ports and data
                first.__enter__()
                page.locator(".live-pill[data-state=connected]").wait_for(timeout=60_000)
                agent.wait_for("done", timeout=90)
                page.locator(".live-pill[data-state=finished]").wait_for(timeout=60_000)
                ui.shot("live-after-restart")
                body = httpx.post(
                    f"{base}/graphql", json={"query": STORED, "variables": {"id": run}}, timeout=30
                )
                stored = [e["node"] for e in body.json()["data"]["run"]["events"]["edges"]]
                keys = [li.get_attribute("data-key") for li in page.locator("li.entry").all()]
                assert len(keys) == len(set(keys)), keys  # nothing shown twice
                assert {k.split(":")[0] for k in keys} == {
                    e["id"] for e in stored
                }  # nothing missing
                tools = [e for e in stored if e["kind"] == "TOOL_EXECUTION"]
                assert len(tools) == 4
                for tool in tools:  # every chunk once, in order
                    entry = page.locator(f"li.entry[data-key='{tool['id']}:call'] pre.terminal")
                    assert entry.text_content() == tool["terminalOutput"]["text"]
                after = [m["payload"]["variables"]["after"] for m in sent]
                assert after[0] is None and len(after) == 2 and after[1] > 0, after  # resumed
                # the browser logs each refused reconnection attempt: expected while it was down
                ui.errors[:] = [e for e in ui.errors if "ERR_CONNECTION_REFUSED" not in e]
    finally:
        first.__exit__(None, None, None)


# Records notifications instead of showing them (headless chromium has no notification centre).
NOTIFICATIONS = """window.__notified = [];
window.Notification = class {
  constructor(title, options) { window.__notified.push({ title, body: options?.body }); }
  static get permission() { return "granted"; }
  static requestPermission() { return Promise.resolve("granted"); }
};"""


def test_opted_in_notification_when_the_run_ends(
    browser: Any, ui_server: tuple[Endpoints, str]
) -> None:
    with agent_process(ui_server[0], "--steps", "1", "--gate") as agent:
        run = agent.wait_for("run")["run"]
        for ui in watch(browser, ui_server[1], color_scheme="light"):
            ui.page.add_init_script(NOTIFICATIONS)
            page = ui.open(f"/runs/{run}/live")
            page.get_by_label("Notify me when it ends").check()
            agent.go()
            page.locator(".live-pill[data-state=finished]").wait_for(timeout=60_000)
            page.wait_for_function("window.__notified.length === 1", timeout=10_000)
            notified = page.evaluate("window.__notified[0]")
            assert notified == {
                "title": "runlens: the run completed",
                "body": "What is the weather in Paris?",
            }
