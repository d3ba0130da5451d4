"""What two runs cost, priced with the same price version.

A run's cost is the cost of its counted calls (`semconv.counting`: leaf LLM calls, summarization
LLM calls included, each response once), as its summary's. A span's stored `cost_usd` was
priced with its `price_version`. When the LLM calls of the two runs were priced with different
versions, both runs are repriced from their token counts with one table (the one passed in)
and the result says so; producer-sent costs are kept as sent. An action served from the
recording (`runlens.action.outcome = replayed`) costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from runlens.semconv.counting import counted_calls
from runlens.semconv.pricing import PriceTable
from runlens.semconv.records import CostSource, SpanRecord

REPLAYED = "replayed"


@dataclass(frozen=True, slots=True)
class RunCosts:
    original_usd: float
    replay_usd: float
    price_version: str  # the version both runs are priced with ("" when nothing was priced)
    repriced: bool  # the runs had different price versions and were repriced from tokens
    note: str  # why the figures may differ from the runs' stored costs ("" when they do not)

    @property
    def savings_usd(self) -> float:
        return max(self.original_usd - self.replay_usd, 0.0)


def price_versions(spans: Sequence[SpanRecord]) -> frozenset[str]:
    return frozenset(s.price_version for s in spans if s.price_version)


def _charged(spans: Sequence[SpanRecord]) -> list[SpanRecord]:
    """The counted calls of the run that were not served from a recording."""
    counted = counted_calls(spans)
    return [s for s in spans if s.span_id in counted and s.outcome != REPLAYED]


def stored_cost(spans: Sequence[SpanRecord]) -> float:
    return sum(s.cost_usd or 0.0 for s in _charged(spans))


def repriced_cost(spans: Sequence[SpanRecord], prices: PriceTable) -> tuple[float, int]:
    """The run's cost with `prices`, and how many LLM calls it could not price."""
    total = 0.0
    unpriced = 0
    for span in _charged(spans):
        if span.cost_source is CostSource.PRODUCER or span.cost_source is CostSource.NONE:
            total += span.cost_usd or 0.0
            continue
        cost = prices.cost(span.model, span.usage)
        if cost is None:
            unpriced += 1
        else:
            total += cost
    return total, unpriced


def run_costs(
    original: Sequence[SpanRecord], replay: Sequence[SpanRecord], prices: PriceTable
) -> RunCosts:
    versions = price_versions(original) | price_versions(replay)
    if len(versions) <= 1:
        version = next(iter(versions), "")
        return RunCosts(stored_cost(original), stored_cost(replay), version, False, "")
    original_usd, unpriced_a = repriced_cost(original, prices)
    replay_usd, unpriced_b = repriced_cost(replay, prices)
    note = (
        f"the runs were priced with different price versions ({', '.join(sorted(versions))}); "
        f"both were repriced from their token counts with version {prices.version}"
    )
    if unpriced_a or unpriced_b:
        note += f"; {unpriced_a + unpriced_b} LLM call(s) have no price in it and count as $0"
    return RunCosts(original_usd, replay_usd, prices.version, True, note)
