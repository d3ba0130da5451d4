"""A small agent that runlens can terminate, steer and retrigger (docs/api.md, "Control").

It exports its spans with the real OpenTelemetry SDK over OTLP/gRPC to a running runlens, each
shown as running from its start (`StartMarkerSpanProcessor`), calls a fake LLM (no network)
whose answer streams word by word and a tool that prints, both through `SpanOutput` (OTLP log
records of the span), and checks for commands before each LLM call, the agent's safe point.
Start runlens (`make run`), then, with the virtualenv active (`source .venv/bin/activate`):

    python examples/control_agent.py --steps 30 --step-delay 1

and, while it runs, send a mutation with the run id it prints, e.g.

    curl -s localhost:8000/graphql -H 'content-type: application/json' \\
      -d '{"query": "mutation { terminateRun(id: \\"RUN_ID\\", reason: \\"enough\\") { state } }"}'

`steerRun(id:, message:, mode: QUEUE)` adds a user message; `retriggerRun(id:)` on a finished run
makes this agent (while it serves retriggers, `--serve-retriggers S`) run the same task again.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span

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
Message = dict[str, str]


def fake_llm(messages: list[Message]) -> str:
    """A deterministic stand-in for a model: answers the last user message."""
    last = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    return f"working on: {last}"


def task_of(recorded_input: str) -> str:
    """The task of a run from its recorded input: the text of its first user message."""
    messages = json.loads(recorded_input or "[]")
    for message in messages if isinstance(messages, list) else []:
        if isinstance(message, dict) and message.get("role") == "user":
            parts = message.get("parts") or []
            return "".join(str(p.get("content", "")) for p in parts if isinstance(p, dict))
    raise ValueError("the recorded run has no user message to repeat")


@dataclass
class RunResult:
    run_id: str
    steps_done: int = 0
    terminated: str | None = None  # the reason, when runlens terminated the run
    steering: list[tuple[str, str]] = field(default_factory=list)  # (mode, message)
    messages: list[Message] = field(default_factory=list)


class ControlledAgent:
    """One agent process: `run(task)` runs one agent run; `serve_retriggers` answers
    `retriggerRun` by running the recorded task again."""

    def __init__(
        self,
        api_url: str,
        otlp_endpoint: str,
        *,
        name: str = "control_example",
        step_delay_s: float = 0.2,
    ) -> None:
        self.name = name
        self.step_delay_s = step_delay_s
        self.client = ControlClient(api_url)
        resource = Resource.create({"service.name": name})
        self.provider = TracerProvider(resource=resource)
        exporter = OTLPSpanExporter(endpoint=otlp_endpoint, insecure=True)
        self.provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=50))
        self.provider.add_span_processor(
            StartMarkerSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint, insecure=True))
        )
        self.tracer = self.provider.get_tracer("runlens-control-example")
        self.logs = LoggerProvider(resource=resource)  # streamed output: log records of a span
        self.logs.add_log_record_processor(
            BatchLogRecordProcessor(
                OTLPLogExporter(endpoint=otlp_endpoint, insecure=True), schedule_delay_millis=50
            )
        )
        self.output = self.logs.get_logger("runlens-control-example")
        self.retriggers = AgentControl(self.client, name)
        self.retriggers.on_retrigger(self._rerun)
        self.runs: list[RunResult] = []

    def run(
        self,
        task: str,
        *,
        steps: int = 5,
        retrigger_of: str | None = None,
        started: Callable[[str], None] | None = None,
    ) -> RunResult:
        task_message = {"role": "user", "parts": [{"type": "text", "content": task}]}
        attributes = {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": self.name,
            "gen_ai.input.messages": json.dumps([task_message]),  # what a retrigger repeats
        }
        if retrigger_of:
            attributes[RETRIGGER_OF] = retrigger_of
        with self.tracer.start_as_current_span(
            f"invoke_agent {self.name}", attributes=attributes
        ) as root:
            result = RunResult(format(root.get_span_context().trace_id, "032x"))
            self.runs.append(result)
            if started is not None:
                started(result.run_id)
            self._loop(root, task, steps, result)
        self.logs.force_flush()
        self.provider.force_flush()
        return result

    def _loop(self, root: Span, task: str, steps: int, result: RunResult) -> None:
        control = RunControl(self.client, result.run_id)
        messages = result.messages
        messages.append({"role": "user", "content": task})
        try:
            for step in range(steps):
                for steering in control.checkpoint():  # the safe point: before the LLM call
                    result.steering.append((steering.mode, steering.message))
                    if steering.mode == "interrupt":
                        messages[:] = messages[:1]  # drop the current plan
                    messages.append({"role": "user", "content": steering.message})
                self._llm_call(messages)
                self._tool_call(step)  # the tool's result is in before the next checkpoint
                result.steps_done = step + 1
                time.sleep(self.step_delay_s / 2)
        except RunTerminated as stop:
            result.terminated = stop.reason
            root.set_attribute("example.stopped_by", stop.reason)
            with self.tracer.start_as_current_span("cleanup"):
                pass  # whatever the agent does on its way out is recorded too

    def _llm_call(self, messages: list[Message]) -> None:
        with self.tracer.start_as_current_span(f"chat {MODEL}") as span:
            reply = fake_llm(messages)
            words = re.findall(r"\S+\s*", reply)
            with SpanOutput(self.output, span, "model") as streamed:  # as a model streams it
                for word in words:
                    streamed.write(word)
                    time.sleep(self.step_delay_s / 2 / len(words))
            parts = [
                {"role": m["role"], "parts": [{"type": "text", "content": m["content"]}]}
                for m in messages
            ]
            output = {"role": "assistant", "parts": [{"type": "text", "content": reply}]}
            span.set_attributes(
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": MODEL,
                    "gen_ai.usage.input_tokens": 200,
                    "gen_ai.usage.output_tokens": 40,
                    "gen_ai.input.messages": json.dumps(parts),
                    "gen_ai.output.messages": json.dumps([output]),
                }
            )
            messages.append({"role": "assistant", "content": reply})

    def _tool_call(self, step: int) -> None:
        with self.tracer.start_as_current_span("execute_tool notes") as span:
            span.set_attributes(
                {
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": "notes",
                    "gen_ai.tool.call.arguments": json.dumps({"step": step}),
                    "gen_ai.tool.call.result": json.dumps({"saved": True}),
                }
            )
            with SpanOutput(self.output, span, "stdout") as stdout:  # what the tool prints
                stdout.write(f"note {step} saved\n")

    def _rerun(self, retrigger: Retrigger) -> str:
        task = task_of(retrigger.input)
        return self.run(task, retrigger_of=retrigger.original_run_id).run_id

    def serve_retriggers(self, seconds: float, wait_s: float = 5.0) -> int:
        """Answer retriggers for `seconds`; return how many were run."""
        handled = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            handled += self.retriggers.poll(min(wait_s, max(deadline - time.monotonic(), 0)))
        return handled

    def close(self) -> None:
        self.logs.shutdown()
        self.provider.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--api", default=os.environ.get("RUNLENS_API_URL", "http://127.0.0.1:8000"),
        help="runlens API URL [env RUNLENS_API_URL]",
    )  # fmt: skip
    parser.add_argument(
        "--otlp", default=os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "127.0.0.1:4317"),
        help="runlens OTLP/gRPC endpoint [env OTEL_EXPORTER_OTLP_ENDPOINT]",
    )  # fmt: skip
    parser.add_argument("--task", default="summarize the open tickets")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--step-delay", type=float, default=1.0, help="seconds between steps")
    parser.add_argument(
        "--serve-retriggers", type=float, default=0.0, help="then answer retriggers for S seconds"
    )
    args = parser.parse_args()
    agent = ControlledAgent(args.api, args.otlp, step_delay_s=args.step_delay)
    try:
        result = agent.run(
            args.task, steps=args.steps, started=lambda run_id: print(f"run {run_id} started")
        )
        outcome = f"terminated ({result.terminated})" if result.terminated else "completed"
        print(f"run {result.run_id} {outcome} after {result.steps_done} step(s)")
        for mode, message in result.steering:
            print(f"  steered ({mode}): {message}")
        if args.serve_retriggers:
            print(f"answering retriggers for {args.serve_retriggers:g} s")
            agent.serve_retriggers(args.serve_retriggers)
            for rerun in agent.runs[1:]:
                print(f"run {rerun.run_id} retriggered, {rerun.steps_done} step(s)")
    finally:
        agent.close()


if __name__ == "__main__":
    main()
