"""`examples/openai_agent.py` (the OpenAI SDK, openinference-instrumentation-openai, a tool loop
with OpenInference AGENT and TOOL spans) playing the suite's scenarios."""

from __future__ import annotations

from openinference.instrumentation.openai import OpenAIInstrumentor

from examples.openai_agent import run_agent
from tests.e2e.agents.harness import OVERFLOW, QUESTION, Harness

if __name__ == "__main__":
    harness = Harness("openinference-openai-e2e")
    OpenAIInstrumentor().instrument(tracer_provider=harness.provider)
    with harness.scenario("tool"):
        run_agent(QUESTION)
    with harness.scenario("stream"):
        run_agent(QUESTION, stream=True)
    with harness.scenario("error"):
        run_agent(OVERFLOW)  # returns no answer: the agent span records the failed call
    harness.finish()
