from __future__ import annotations

import datetime
import uuid
from dataclasses import replace

from runlens.analysis.replay.compare import Verdict, compare
from runlens.semconv.pricing import PriceTable
from tests.analysis.runs import standard_run

PRICES = PriceTable.load()


def test_identical_runs_match_completely() -> None:
    a, b = standard_run("a"), standard_run("b", replay_of="a")
    result = compare(a.spans, b.spans, PRICES)
    assert result.match_rate == 1.0
    assert result.first_divergence is None
    assert [c.verdict for c in result.actions] == [Verdict.MATCH] * 4
    assert result.actions[1].key.parent_path == ("invoke_agent agent",)


def test_a_uuid_in_one_tool_output_diverges_exactly_there() -> None:
    a = standard_run("a", ticket=str(uuid.uuid4()))
    b = standard_run("b", ticket=str(uuid.uuid4()))
    result = compare(a.spans, b.spans, PRICES)
    first = result.first_divergence
    assert first is not None and first.verdict is Verdict.OUTPUT_MISMATCH
    assert first.key.name == "execute_tool book"
    assert [d.path for d in first.diff] == ["$.ticket"]
    assert len(result.divergences) == 1
    assert result.match_rate == 0.75


def test_datetime_now_in_a_tool_output_is_an_output_mismatch() -> None:
    now = datetime.datetime.now(datetime.UTC)
    a = standard_run("a", ticket=now.isoformat())
    b = standard_run("b", ticket=(now + datetime.timedelta(seconds=3)).isoformat())
    first = compare(a.spans, b.spans, PRICES).first_divergence
    assert first is not None and first.verdict is Verdict.OUTPUT_MISMATCH
    assert first.step == 2


def test_a_changed_prompt_is_an_input_mismatch_at_the_first_llm_call() -> None:
    result = compare(standard_run("a").spans, standard_run("b", prompt="other").spans, PRICES)
    first = result.first_divergence
    assert first is not None and first.step == 0
    assert first.verdict is Verdict.INPUT_MISMATCH
    assert first.diff[0].path == "$[0].parts[0].content"


def test_reordered_tool_calls_are_action_name_mismatches() -> None:
    a = standard_run("a")
    b = standard_run("b", order=("book", "menu"))
    verdicts = [c.verdict for c in compare(a.spans, b.spans, PRICES).actions]
    assert verdicts == [
        Verdict.MATCH,
        Verdict.ACTION_NAME_MISMATCH,
        Verdict.ACTION_NAME_MISMATCH,
        Verdict.MATCH,
    ]


def test_missing_and_extra_actions() -> None:
    a = standard_run("a")
    a.tool("notify", {"to": "me"}, {"ok": True})
    b = standard_run("b")
    b.tool("audit", {}, {"ok": True})
    b.tool("notify", {"to": "me"}, {"ok": True})
    verdicts = [c.verdict for c in compare(a.spans, b.spans, PRICES).actions]
    assert verdicts[-2:] == [Verdict.EXTRA_IN_REPLAY, Verdict.MATCH]
    shorter = compare(a.spans, standard_run("c").spans, PRICES)
    assert shorter.actions[-1].verdict is Verdict.MISSING_IN_REPLAY


def test_costs_and_savings_with_replayed_actions() -> None:
    a = standard_run("a")
    b = standard_run("b", replay_of="a")
    b.spans[:] = [replace(s, outcome="replayed") if s.cost_usd else s for s in b.spans]
    costs = compare(a.spans, b.spans, PRICES).costs
    assert costs.original_usd == 0.02
    assert costs.replay_usd == 0
    assert costs.savings_usd == 0.02
    assert costs.price_version == "2026-01-01" and not costs.repriced


def test_different_price_versions_are_repriced_with_one_table() -> None:
    a = standard_run("a")
    b = standard_run("b")
    b.spans[:] = [replace(s, price_version="1999-01-01") if s.cost_usd else s for s in b.spans]
    costs = compare(a.spans, b.spans, PRICES).costs
    assert costs.repriced and costs.price_version == PRICES.version
    expected = 2 * (PRICES.cost("gpt-4o-mini", a.spans[1].usage) or 0)
    assert abs(costs.original_usd - expected) < 1e-12
    assert costs.original_usd == costs.replay_usd
    assert "1999-01-01" in costs.note
