"""What runlens must show for the suite's scenarios, from the usage the fake server reported and
the published price of the model (USD per 1M tokens)."""

from __future__ import annotations

from dataclasses import dataclass

from examples.fake_openai_server import ANSWER_USAGE, TOOL_CALL_USAGE, Usage

SNAPSHOT = "gpt-4o-mini-2024-07-18"  # what the fake server answers with, as OpenAI does
PRICE = {"input": 0.15, "cached_input": 0.075, "output": 0.6}  # gpt-4o-mini
TOOL_REQUEST = 'get_weather({"city": "Paris"})'  # how runlens writes a requested tool call
TOOL_OUTPUT = "Sunny, 21 °C in Paris"
ANSWER = f"The tool said: {TOOL_OUTPUT}."
CALLS = (TOOL_CALL_USAGE, ANSWER_USAGE)  # the model calls of a `tool` or `stream` run


@dataclass(frozen=True)
class Reported:
    """Which token types a library passes on (the others arrive as 0)."""

    cached: bool = True
    reasoning: bool = True

    def tokens(self, usage: Usage) -> dict[str, int]:
        return {
            "input": usage.input,
            "cached": usage.cached if self.cached else 0,
            "output": usage.output,
            "reasoning": usage.reasoning if self.reasoning else 0,
            "total": usage.total,
        }

    def run_tokens(self) -> dict[str, int]:
        per_call = [self.tokens(usage) for usage in CALLS]
        return {key: sum(call[key] for call in per_call) for key in per_call[0]}

    def cost(self, usage: Usage) -> float:
        cached = usage.cached if self.cached else 0
        dollars = (
            (usage.input - cached) * PRICE["input"]
            + cached * PRICE["cached_input"]
            + usage.output * PRICE["output"]  # reasoning is priced as output
        )
        return dollars / 1_000_000


ALL = Reported()
NO_CACHE_NOR_REASONING = Reported(cached=False, reasoning=False)
NO_REASONING = Reported(reasoning=False)
