"""The agent runs `runlens demo` sends, as plain data: which agent and model, what the user asks,
what the model answers, which tools run and how they end.

Everything is drawn from one seeded `random.Random`, so a seed always gives the same runs.
`plan_runs` puts the interesting cases first (a summarization, a failing tool, a failed run, an
unpriced model, a reasoning model); `recorded_support` is a run and a replay of it.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Model:
    request: str
    response: str
    provider: str
    server: str
    reasoning: bool = False


GPT_4O_MINI = Model("gpt-4o-mini", "gpt-4o-mini-2024-07-18", "openai", "api.openai.com")
GPT_4_1 = Model("gpt-4.1", "gpt-4.1-2025-04-14", "openai", "api.openai.com")
CLAUDE_SONNET_4 = Model(
    "claude-sonnet-4", "claude-sonnet-4-20250514", "anthropic", "api.anthropic.com"
)
O4_MINI = Model("o4-mini", "o4-mini-2025-04-16", "openai", "api.openai.com", reasoning=True)
# A self-hosted fine-tune: no price table knows it, so its runs are flagged as unpriced.
ACME_7B = Model("acme-support-7b", "acme-support-7b", "vllm", "llm.internal")


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool the model asks for; `error` = (error type, message) when the tool raises.

    `policy` is the replay policy the agent declared for it (`auto`, `never`; empty: not a
    replayable action); `stdout` the lines it prints while it runs.
    """

    name: str
    arguments: dict[str, Any]
    result: Any
    seconds: float
    error: tuple[str, str] | None = None
    policy: str = ""
    stdout: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Reply:
    """One model call: either tool calls or a final text answer."""

    text: str = ""
    calls: tuple[ToolCall, ...] = ()
    reasoning_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Compaction:
    """The agent summarizes its history to stay under the context budget."""

    summary: str
    keep_last: int
    trigger: str = "token_threshold"


@dataclass(frozen=True, slots=True)
class ModelFailure:
    """The model call raises and the run ends with this error."""

    error_type: str
    message: str


Step = Reply | Compaction | ModelFailure


@dataclass(frozen=True, slots=True)
class Script:
    agent: str
    model: Model
    system: str
    user: str
    steps: tuple[Step, ...]
    tools: tuple[str, ...]

    @property
    def fails(self) -> bool:
        return any(isinstance(step, ModelFailure) for step in self.steps)


def _ask(name: str, arguments: dict[str, Any], result: Any, seconds: float) -> Reply:
    """A model call that asks for one tool."""
    return Reply(calls=(ToolCall(name, arguments, result, seconds),))


def _support(rng: random.Random, note: dict[str, str] | None = None) -> Script:
    order = f"A-{rng.randrange(10_000, 99_999)}"
    city = rng.choice(["Lyon", "Leeds", "Porto", "Graz", "Utrecht"])
    days = rng.randint(2, 6)
    tracking = f"0534{rng.randrange(10**9, 10**10)}"
    found = {"order_id": order, "status": "shipped", "carrier": "DPD", "tracking": tracking}
    scan = {"last_scan": f"depot {city}", "delay_reason": "address check", "eta_days": days}
    answer = (
        f"Sorry about the wait! Order {order} is with DPD at their {city} depot: they held it "
        f"for an address check. It should reach you within {days} days. I've added a note so "
        "the courier calls ahead. Anything else I can help with?"
    )
    policy = "auto" if note else ""
    shipment = rng.uniform(0.4, 1.2)
    steps = [
        Reply(calls=(ToolCall("lookup_order", {"order_id": order}, found, 0.12, policy=policy),)),
        Reply(
            calls=(ToolCall("get_shipment", {"tracking": tracking}, scan, shipment, policy=policy),)
        ),
    ]
    if note:
        text = "The courier should call ahead before delivering."
        arguments = {"order_id": order, "text": text}
        steps.append(
            Reply(calls=(ToolCall("add_case_note", arguments, note, 0.3, policy="never"),))
        )
    return Script(
        "support_agent",
        GPT_4O_MINI,
        _SUPPORT_PROMPT,
        f"Hi, my order {order} was supposed to arrive last week and it still hasn't. What's up?",
        (*steps, Reply(answer)),
        ("lookup_order", "get_shipment", *(("add_case_note",) if note else ())),
    )


def _research(rng: random.Random) -> Script:
    topic = rng.choice(["heat pumps in cold climates", "sodium-ion batteries", "green hydrogen"])
    pages = [f"https://example.org/{topic.split()[0]}/{n}" for n in rng.sample(range(100, 999), 3)]
    found = [
        {"url": url, "title": f"{topic.title()}: field report {n}"} for n, url in enumerate(pages)
    ]
    text = (
        f"{topic.capitalize()} have matured quickly: costs fell, field data from three "
        "independent trials agrees with lab results, and the main open question is scale. "
    )
    fetch = tuple(
        ToolCall("fetch_page", {"url": url}, text * 6, rng.uniform(0.5, 2)) for url in pages[:2]
    )
    return Script(
        "research_agent",
        CLAUDE_SONNET_4,
        _RESEARCH_PROMPT,
        f"Write me a one-page brief on {topic}: state of the art, costs, open problems.",
        (
            _ask("web_search", {"query": f"{topic} 2025 review"}, found, 1.4),
            Reply(calls=fetch),
            _ask("web_search", {"query": f"{topic} cost per kWh"}, found[1:], 1.1),
            Compaction(f"Sources read: {', '.join(pages[:2])}. Key points: {text}", keep_last=2),
            _ask("fetch_page", {"url": pages[2]}, text * 5, 0.9),
            Reply(f"# {topic.capitalize()}: a brief\n\n{text * 3}\n\nSources: {', '.join(pages)}"),
        ),
        ("web_search", "fetch_page"),
    )


def _coding(rng: random.Random) -> Script:
    module = rng.choice(["billing/invoice.py", "auth/tokens.py", "search/ranking.py"])
    wrong = module.replace("/", "/core_")
    failed = rng.randint(1, 3)
    missing = ToolCall(
        "read_file", {"path": wrong}, None, 0.02, ("FileNotFoundError", f"No such file: '{wrong}'")
    )
    red = {"passed": 14, "failed": failed, "output": "AssertionError: 10.0 != 10.00"}
    return Script(
        "coding_agent",
        GPT_4_1,
        _CODING_PROMPT,
        f"The tests in {module} started failing after yesterday's merge. Please fix them.",
        (
            Reply(calls=(missing,)),
            _ask("search_code", {"pattern": "def total"}, [module], 0.3),
            _ask("read_file", {"path": module}, _CODE, 0.02),
            _ask("run_tests", {"path": module}, red, 6.5),
            _ask("apply_patch", {"path": module, "diff": _PATCH}, "ok", 0.05),
            _ask("run_tests", {"path": module}, {"passed": 14 + failed, "failed": 0}, 6.1),
            Reply(
                f"Fixed: `total()` rounded each line before summing. {failed} test(s) pass again."
            ),
        ),
        ("read_file", "search_code", "run_tests", "apply_patch"),
    )


def _planner(rng: random.Random) -> Script:
    city = rng.choice(["Lisbon", "Kyoto", "Montreal"])
    flights = [{"flight": "TP 1235", "price_eur": rng.randint(180, 420)}]
    hotels = [{"hotel": "Casa Azul", "price_eur": rng.randint(90, 180)}]
    weather = {"avg_c": rng.randint(9, 24), "rain_days": rng.randint(2, 12)}
    search = (
        ToolCall("search_flights", {"to": city, "passengers": 2}, flights, 1.8),
        ToolCall("search_hotels", {"city": city, "nights": 3}, hotels, 1.3),
    )
    plan = (
        "Day 1: old town and food market. Day 2: museums, evening river walk. Day 3: a day "
        f"trip out of {city}. The flights and Casa Azul fit a mid-range budget."
    )
    return Script(
        "trip_planner",
        O4_MINI,
        _PLANNER_PROMPT,
        f"Plan a 3-day trip to {city} next month for two, mid-range budget.",
        (
            Reply(calls=search, reasoning_tokens=rng.randint(600, 1800)),
            Reply(
                calls=(ToolCall("get_weather", {"city": city, "month": "next"}, weather, 0.4),),
                reasoning_tokens=rng.randint(300, 900),
            ),
            Reply(plan, reasoning_tokens=rng.randint(900, 2500)),
        ),
        ("search_flights", "search_hotels", "get_weather"),
    )


def _faq(rng: random.Random) -> Script:
    topic = rng.choice(["reset my password", "change the billing email", "export my data"])
    hits = [{"article": "KB-112", "snippet": f"To {topic}, open Settings → Account."}]
    return Script(
        "faq_agent",
        ACME_7B,
        "You answer questions from the help center only. Cite the article you used.",
        f"How do I {topic}?",
        (
            _ask("search_kb", {"query": topic}, hits, 0.2),
            Reply(f"Open Settings → Account and follow the steps there to {topic} (see KB-112)."),
        ),
        ("search_kb",),
    )


def _billing_failure(rng: random.Random) -> Script:
    invoice = f"INV-{rng.randrange(100_000, 999_999)}"
    refund = {"refund_id": f"re_{rng.randrange(10**8)}", "status": "pending"}
    return Script(
        "billing_agent",
        GPT_4_1,
        "You are a billing assistant. Refunds above 500 EUR need a human approval.",
        f"I was charged twice for {invoice}. Please refund the duplicate.",
        (
            _ask(
                "lookup_invoice", {"invoice_id": invoice}, {"amount_eur": 129.0, "charges": 2}, 0.2
            ),
            _ask("issue_refund", {"invoice_id": invoice, "amount_eur": 129.0}, refund, 0.8),
            ModelFailure(
                "RateLimitError",
                "Error code: 429 - Rate limit reached for gpt-4.1 on tokens per min (TPM): "
                "Limit 30000, Used 29874, Requested 1211.",
            ),
        ),
        ("lookup_invoice", "issue_refund"),
    )


_FIRST: tuple[Callable[[random.Random], Script], ...] = (
    _research,
    _coding,
    _billing_failure,
    _faq,
    _planner,
)
_MORE: tuple[Callable[[random.Random], Script], ...] = (
    _support,
    _research,
    _coding,
    _planner,
    _faq,
)


def plan_runs(rng: random.Random, runs: int) -> list[Script]:
    """`runs` scripts: the special cases first, then random completed ones."""
    picks = list(_FIRST[:runs]) + [rng.choice(_MORE) for _ in range(runs - len(_FIRST))]
    return [make(rng) for make in picks]


def recorded_support(rng: random.Random) -> tuple[Script, Script]:
    """A support run whose tools are replayable actions, and a replay of it. Its
    `add_case_note` is never replayed (it writes) and answers with a new note id and time, so
    the replay differs from there: that tool's output, then the input of the last model call."""
    original = _support(rng, note=_note(rng))
    again = _note(rng)
    steps = tuple(
        replace(step, calls=tuple(
            replace(call, result=again) if call.name == "add_case_note" else call
            for call in step.calls
        )) if isinstance(step, Reply) else step
        for step in original.steps
    )  # fmt: skip
    return original, replace(original, steps=steps)


def _note(rng: random.Random) -> dict[str, str]:
    day, minute = rng.randint(1, 28), rng.randrange(24 * 60)
    return {
        "note_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "created_at": f"2025-06-{day:02d}T{minute // 60:02d}:{minute % 60:02d}:00Z",
    }


TOOL_DESCRIPTIONS = {
    "lookup_order": "Look up an order by id.",
    "get_shipment": "Carrier tracking details for an order.",
    "add_case_note": "Add a note to the customer's case (a write: never replayed).",
    "web_search": "Search the web; returns titles and URLs.",
    "fetch_page": "Fetch a web page as plain text.",
    "read_file": "Read a file from the repository.",
    "search_code": "Search the repository for a pattern.",
    "run_tests": "Run the tests for a path.",
    "apply_patch": "Apply a unified diff.",
    "search_flights": "Search flights.",
    "search_hotels": "Search hotels.",
    "get_weather": "Climate for a city and month.",
    "search_kb": "Search the help center.",
    "lookup_invoice": "Look up an invoice.",
    "issue_refund": "Refund an amount on an invoice.",
}

_SUPPORT_PROMPT = (
    "You are the customer support assistant of Northwind Goods. Be concise and friendly. Always "
    "look up the order before answering; never promise a delivery date the carrier did not give. "
    "Escalate to a human when the customer asks for a refund above 200 EUR."
)
_RESEARCH_PROMPT = (
    "You are a research assistant. Search, read primary sources, and write briefs with citations. "
    "Prefer recent peer-reviewed or field data over press releases. Flag uncertainty explicitly."
)
_CODING_PROMPT = (
    "You are a coding agent working in a Python repository. Read before you edit, keep diffs "
    "minimal, run the tests after every change, and explain the root cause in one sentence."
)
_PLANNER_PROMPT = "You plan trips. Check flights, hotels and weather before proposing a plan."
_CODE = (
    "from decimal import Decimal\n\n\ndef total(lines: list[Line]) -> Decimal:\n"
    "    return sum(round(line.price * line.qty, 2) for line in lines)\n"
)
_PATCH = (
    "@@ -4,2 +4,2 @@\n-    return sum(round(line.price * line.qty, 2) for line in lines)\n"
    "+    return round(sum(line.price * line.qty for line in lines), 2)\n"
)
