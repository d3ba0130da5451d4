"""An agent process for the live browser tests, on the runlens SDK: start markers, the model's
text and a tool's stdout streamed as they are produced (`SpanOutput`), and a `RunControl`
checkpoint before each LLM call (steering, terminate). It prints one JSON line per thing a test
waits for: {"run"}, {"steered"}, {"terminated"}, {"done"}, {"retriggered"}.

    python -m tests.web.live_agent --api URL --otlp HOST:PORT --steps 4 [--fail] [--retriggers S]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from typing import Any

from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Status, StatusCode

from runlens.sdk import StartMarkerSpanProcessor
from runlens.sdk.control import (
    RETRIGGER_OF,
    AgentControl,
    ControlClient,
    Retrigger,
    RunControl,
    RunTerminated,
)
from runlens.sdk.output import SpanOutput

MODEL = "gpt-4o-mini"
WORDS = ["Checking ", "the ", "weather ", "in ", "Paris ", "now."]
PAUSE_S = 0.35  # between streamed pieces: a person sees them arrive


def say(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


class LiveAgent:
    def __init__(self, api: str, otlp: str, name: str) -> None:
        self.name = name
        self.client = ControlClient(api)
        resource = Resource.create({"service.name": name})
        self.provider = TracerProvider(resource=resource)
        self.provider.add_span_processor(
            BatchSpanProcessor(
                OTLPSpanExporter(endpoint=otlp, insecure=True), schedule_delay_millis=50
            )
        )
        self.provider.add_span_processor(
            StartMarkerSpanProcessor(OTLPSpanExporter(endpoint=otlp, insecure=True))
        )
        self.tracer = self.provider.get_tracer("live-agent")
        self.logs = LoggerProvider(resource=resource)
        self.logs.add_log_record_processor(
            SimpleLogRecordProcessor(OTLPLogExporter(endpoint=otlp, insecure=True))
        )
        self.logger = self.logs.get_logger("live-agent")

    def run(
        self,
        task: str,
        steps: int,
        *,
        fail: bool,
        gate: bool = False,
        retrigger_of: str | None = None,
        started: threading.Event | None = None,
        box: list[str] | None = None,
    ) -> None:
        attributes = {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": self.name,
            "gen_ai.input.messages": json.dumps(
                [{"role": "user", "parts": [{"type": "text", "content": task}]}]
            ),
        }
        if retrigger_of:
            attributes[RETRIGGER_OF] = retrigger_of
        with self.tracer.start_as_current_span(
            f"invoke_agent {self.name}", attributes=attributes
        ) as root:
            run_id = format(root.get_span_context().trace_id, "032x")
            say(run=run_id, retrigger_of=retrigger_of)
            if box is not None and started is not None:
                box.append(run_id)
                started.set()
            if gate:  # the test says when to go on: it saw the run while no span had ended
                sys.stdin.readline()
            control = RunControl(self.client, run_id)
            messages = [{"role": "user", "content": task}]
            try:
                for step in range(steps):
                    for steering in control.checkpoint():
                        say(steered=steering.message, mode=steering.mode)
                        messages.append({"role": "user", "content": steering.message})
                    self.llm(messages, step)
                    self.tool(step)
                if fail:
                    root.set_status(
                        Status(StatusCode.ERROR, "RateLimitError: 429 Too Many Requests")
                    )
                    root.set_attribute("error.type", "RateLimitError")
                else:
                    answer = {"type": "text", "content": "It is sunny in Paris."}
                    root.set_attribute(
                        "gen_ai.output.messages",
                        json.dumps([{"role": "assistant", "parts": [answer]}]),
                    )
            except RunTerminated as stop:
                say(terminated=stop.reason)
        self.provider.force_flush()
        say(done=run_id)

    def llm(self, messages: list[dict[str, str]], step: int) -> None:
        parts = [
            {"role": m["role"], "parts": [{"type": "text", "content": m["content"]}]}
            for m in messages
        ]
        system = {
            "role": "system",
            "parts": [{"type": "text", "content": "You are a weather agent."}],
        }
        attrs = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": MODEL,
            "gen_ai.input.messages": json.dumps([system, *parts]),
        }
        with self.tracer.start_as_current_span(f"chat {MODEL}", attributes=attrs) as span:
            with SpanOutput(self.logger, span, "model") as out:
                for word in WORDS:
                    out.write(word)
                    time.sleep(PAUSE_S)
            answer = "".join(WORDS)
            call = {
                "type": "tool_call",
                "id": f"call_{step}",
                "name": "get_weather",
                "arguments": {"city": "Paris"},
            }
            span.set_attributes({
                "gen_ai.usage.input_tokens": 200 + 10 * step,
                "gen_ai.usage.output_tokens": 40,
                "gen_ai.usage.reasoning.output_tokens": 12,
                "gen_ai.output.messages": json.dumps([{
                    "role": "assistant", "finish_reason": "tool_call",
                    "parts": [{"type": "text", "content": answer}, call],
                }]),
            })  # fmt: skip
        messages.append({"role": "assistant", "content": answer})

    def tool(self, step: int) -> None:
        attrs = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "get_weather",
            "gen_ai.tool.call.id": f"call_{step}",
            "gen_ai.tool.call.arguments": json.dumps({"city": "Paris"}),
        }
        with self.tracer.start_as_current_span(
            "execute_tool get_weather", attributes=attrs
        ) as span:
            with SpanOutput(self.logger, span, "stdout") as out:
                for line in range(4):
                    out.write(f"fetching forecast part {line + 1}/4 (step {step})\n")
                    time.sleep(PAUSE_S)
            span.set_attribute(
                "gen_ai.tool.call.result", json.dumps({"sky": "sunny", "step": step})
            )
            span.set_attribute("process.exit.code", 0)

    def serve_retriggers(self, seconds: float, steps: int) -> None:
        control = AgentControl(self.client, self.name)

        def rerun(retrigger: Retrigger) -> str:  # answers with the new run's id once it started
            started, box = threading.Event(), []
            options = {"retrigger_of": retrigger.original_run_id, "started": started, "box": box}
            threading.Thread(
                target=self.run,
                args=("What is the weather in Paris?", steps),
                kwargs={"fail": False, **options},
            ).start()
            started.wait(30)
            say(retriggered=box[0])
            return box[0]

        control.on_retrigger(rerun)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            control.poll(min(5.0, max(deadline - time.monotonic(), 0)))

    def close(self) -> None:
        self.provider.shutdown()
        self.logs.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", required=True)
    parser.add_argument("--otlp", required=True)
    parser.add_argument("--name", default="weather_agent")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--fail", action="store_true")
    parser.add_argument("--gate", action="store_true", help="wait for a line on stdin to go on")
    parser.add_argument("--retriggers", type=float, default=0.0, help="then answer retriggers S s")
    args = parser.parse_args()
    agent = LiveAgent(args.api, args.otlp, args.name)
    try:
        agent.run("What is the weather in Paris?", args.steps, fail=args.fail, gate=args.gate)
        if args.retriggers:
            agent.serve_retriggers(args.retriggers, args.steps)
    finally:
        agent.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
