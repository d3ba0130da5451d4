from __future__ import annotations

import json
from pathlib import Path

import pytest

from runlens.semconv.pricing import PriceTable, PriceTableError
from runlens.semconv.records import TokenUsage


def test_bundled_table_is_dated_and_covers_common_models(prices: PriceTable) -> None:
    assert prices.version == "2026-11-01"
    for model in (
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4.1",
        "gpt-4.1-mini",
        "o3",
        "o4-mini",
        "gpt-5",
        "gpt-5-mini",
        "claude-sonnet-4-5",
        "claude-opus-4-1",
        "claude-haiku-4-5",
        "gemini-2.5-pro",
        "gemini-2.5-flash",
    ):
        assert prices.price(model) is not None, model


@pytest.mark.parametrize(
    ("model", "expected_input"),
    [
        ("gpt-4o-mini-2024-07-18", 0.15),
        ("gpt-4o-2024-08-06", 2.5),
        ("gpt-4.1-mini-2025-04-14", 0.4),
        ("o3-mini-2025-01-31", 1.1),
        ("claude-sonnet-4-20250514", 3.0),
        ("claude-3-5-haiku-20241022", 0.8),
        ("openai/gpt-4o-mini", 0.15),
        ("us.anthropic.claude-3-5-sonnet-20240620-v1:0", 3.0),
        ("GPT-4O", 2.5),
    ],
)
def test_longest_prefix_matching(prices: PriceTable, model: str, expected_input: float) -> None:
    price = prices.price(model)
    assert price is not None and price.input == expected_input


@pytest.mark.parametrize("model", ["", "gpt-4", "gpt-4oo", "function-model", "test", "o"])
def test_unknown_models(prices: PriceTable, model: str) -> None:
    assert prices.price(model) is None
    assert prices.cost(model, TokenUsage(input=10)) is None


def test_cost_formula_splits_cached_cache_write_and_reasoning(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps(
            {
                "version": "test-1",
                "models": {
                    "m": {
                        "input": 1.0,
                        "cached_input": 0.1,
                        "cache_write": 2.0,
                        "output": 4.0,
                        "reasoning": 8.0,
                    }
                },
            }
        )
    )
    table = PriceTable.load(path)
    usage = TokenUsage(input=1000, cached_input=300, cache_write=200, output=100, reasoning=40)
    expected = (500 * 1.0 + 300 * 0.1 + 200 * 2.0 + 60 * 4.0 + 40 * 8.0) / 1_000_000
    assert table.cost("m", usage) == pytest.approx(expected)
    assert table.version == "test-1"


def test_defaults_reasoning_to_output_and_cached_to_input(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"models": {"m": {"input": 1.0, "output": 3.0}}}))
    price = PriceTable.load(path).price("m")
    assert price is not None
    assert (price.cached_input, price.cache_write, price.reasoning) == (1.0, 1.0, 3.0)


def test_override_merges_over_bundled(tmp_path: Path, prices: PriceTable) -> None:
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps(
            {
                "models": {
                    "gpt-4o": {"input": 9.0, "output": 9.0},
                    "in-house-llm": {"input": 0.5, "output": 1.0},
                }
            }
        )
    )
    table = PriceTable.load(path)
    assert table.version == prices.version  # no version in the override: bundled date kept
    gpt4o = table.price("gpt-4o-2024-08-06")
    assert gpt4o is not None and gpt4o.input == 9.0
    assert table.price("in-house-llm") is not None
    mini = table.price("gpt-4o-mini")
    assert mini is not None and mini.input == 0.15


@pytest.mark.parametrize(
    "document",
    [
        '{"models": {"m": {"output": 1}}}',
        '{"nope": 1}',
        '{"models": {"m": 3}}',
        "not json",
        '{"version": 5, "models": {}}',
    ],
)
def test_bad_override_is_reported(tmp_path: Path, document: str) -> None:
    path = tmp_path / "prices.json"
    path.write_text(document)
    with pytest.raises(PriceTableError, match=r"prices\.json"):
        PriceTable.load(path)


def test_missing_override_is_reported(tmp_path: Path) -> None:
    with pytest.raises(PriceTableError, match="cannot read"):
        PriceTable.load(tmp_path / "absent.json")
