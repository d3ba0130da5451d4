"""A concrete fix for each issue type, with before/after code."""

from __future__ import annotations

from dataclasses import dataclass

from runlens.analysis.determinism.issues import IssueType


@dataclass(frozen=True, slots=True)
class Recommendation:
    text: str
    before: str
    after: str


RECOMMENDATIONS: dict[IssueType, Recommendation] = {
    IssueType.TIMESTAMP: Recommendation(
        "Read the time from a clock passed in (recorded, or frozen in replays and tests) "
        "instead of the system clock.",
        "def handle(order):\n    order.created_at = datetime.now(UTC).isoformat()",
        "def handle(order, clock: Callable[[], datetime]):\n"
        "    order.created_at = clock().isoformat()",
    ),
    IssueType.RANDOM_VALUE: Recommendation(
        "Derive ids from the input (uuid5 over a stable key) or take them from a seeded "
        "generator passed in.",
        "ticket_id = str(uuid.uuid4())",
        'ticket_id = str(uuid.uuid5(TICKETS_NAMESPACE, f"{customer_id}:{request_id}"))',
    ),
    IssueType.EXTERNAL_STATE: Recommendation(
        "Pin what the tool reads (a snapshot, version or `as_of` time) and pass an "
        "idempotency key to anything that writes, so a repeat gets the same answer.",
        "requests.post(url, json=payload)",
        'requests.post(url, json=payload, headers={"Idempotency-Key": request_id})',
    ),
    IssueType.FLOATING_POINT: Recommendation(
        "Round computed floats to the precision that matters (or use Decimal) before "
        "they reach the model or the output.",
        'return {"total": sum(prices) * rate}',
        'return {"total": round(sum(prices) * rate, 2)}',
    ),
    IssueType.UNORDERED_COLLECTION: Recommendation(
        "Sort collections (and dict keys) before serialising them; never render a set.",
        'return json.dumps({"tags": list(tags)})',
        'return json.dumps({"tags": sorted(tags)}, sort_keys=True)',
    ),
    IssueType.OUTPUT_VARIES: Recommendation(
        "Make the action a pure function of its input: for LLM calls set temperature 0 and a "
        "seed; for tools remove hidden inputs (globals, caches, the environment).",
        "client.chat.completions.create(model=model, messages=messages)",
        "client.chat.completions.create(model=model, messages=messages, temperature=0, seed=7)",
    ),
}
