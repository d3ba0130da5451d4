"""The instrumentation libraries of the suite: which agent script plays them, with which
environment, and what each passes on (docs/instrumentation.md has the same matrix in prose)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.e2e.expected import ALL, NO_CACHE_NOR_REASONING, NO_REASONING, Reported

OPENAI_V2_LATEST = {"OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental"}


@dataclass(frozen=True)
class Library:
    name: str
    script: str
    args: tuple[str, ...] = ()
    protocol: str = "grpc"  # or http/protobuf: both standard exporters get exercised
    env: dict[str, str] = field(default_factory=dict)
    reported: Reported = ALL
    streamed: Reported = ALL  # what a streamed call passes on
    streamed_output: bool = True  # False: a streamed call's output never reaches runlens


PYDANTIC_AI = Library("pydantic-ai", "pydantic_ai_agent.py", protocol="http/protobuf")
OPENINFERENCE_OPENAI = Library("openinference-openai", "openinference_openai_agent.py")
OPENAI_AGENTS = Library("openai-agents", "openai_agents_agent.py")
OPENAI_AGENTS_STACKED = Library("openai-agents+openai", "openai_agents_agent.py", ("--stacked",))
OPENLLMETRY = Library(
    "openllmetry",
    "openllmetry_agent.py",
    protocol="http/protobuf",
    env={"TRACELOOP_TRACE_CONTENT": "true"},
    streamed=NO_REASONING,
)
OPENLLMETRY_EVENTS = Library(
    "openllmetry-events",
    "openllmetry_agent.py",
    ("--events",),
    env={"TRACELOOP_TRACE_CONTENT": "true"},
    streamed=NO_REASONING,
    streamed_output=False,  # its streamed `gen_ai.choice` record carries no trace or span id
)
OPENAI_V2_SPAN = Library(
    "openai-v2-span",
    "openai_v2_agent.py",
    env={**OPENAI_V2_LATEST, "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_ONLY"},
    reported=NO_CACHE_NOR_REASONING,
    streamed=NO_CACHE_NOR_REASONING,
)
OPENAI_V2_EVENT = Library(
    "openai-v2-event",
    "openai_v2_agent.py",
    protocol="http/protobuf",
    env={
        **OPENAI_V2_LATEST,
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_AND_EVENT",
    },
    reported=NO_CACHE_NOR_REASONING,
    streamed=NO_CACHE_NOR_REASONING,
)
LANGCHAIN = Library("langchain", "langchain_agent.py")

LIBRARIES = [
    PYDANTIC_AI,
    OPENINFERENCE_OPENAI,
    OPENAI_AGENTS,
    OPENLLMETRY,
    OPENLLMETRY_EVENTS,
    OPENAI_V2_SPAN,
    OPENAI_V2_EVENT,
    LANGCHAIN,
]
SCENARIOS = ("tool", "stream")  # the runs that complete; `error` is tested on its own


def cases(*, scenarios: bool = True) -> list[object]:
    """Parameters over the libraries (and the completing scenarios)."""
    params: list[object] = []
    for library in LIBRARIES:
        for scenario in SCENARIOS if scenarios else (None,):
            values = (library, scenario) if scenarios else (library,)
            ident = f"{library.name}-{scenario}" if scenarios else library.name
            params.append(pytest.param(*values, id=ident))
    return params
