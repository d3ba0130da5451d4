"""Token prices per model and the cost of one LLM call.

The bundled `prices.json` (dated by its `version`) lists USD per 1M tokens for `input`,
`cached_input`, `cache_write`, `output` and `reasoning`; missing cached/cache-write prices fall
back to `input`, a missing reasoning price to `output`. A user file with the same shape is merged
over it (its models replace or add entries; its `version`, when given, wins).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from runlens.semconv.records import TokenUsage

_PER_TOKEN = 1_000_000
_BOUNDARY = "-:@_."
_NO_USAGE = TokenUsage()


class PriceTableError(ValueError):
    """A price file is malformed; the message names the file and the bad entry."""


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """USD per 1M tokens."""

    input: float
    cached_input: float
    cache_write: float
    output: float
    reasoning: float

    def cost(self, usage: TokenUsage) -> float:
        cached = min(usage.cached_input, usage.input)
        cache_write = min(usage.cache_write, usage.input - cached)
        uncached = usage.input - cached - cache_write
        reasoning = min(usage.reasoning, usage.output)
        total = (
            uncached * self.input
            + cached * self.cached_input
            + cache_write * self.cache_write
            + (usage.output - reasoning) * self.output
            + reasoning * self.reasoning
        )
        return total / _PER_TOKEN


class PriceTable:
    """Model → price, matched exactly or by the longest prefix (dated snapshots)."""

    __slots__ = ("_cache", "_models", "version")

    def __init__(self, version: str, models: dict[str, ModelPrice]) -> None:
        self.version = version
        self._models = {name.lower(): price for name, price in models.items()}
        self._cache: dict[str, ModelPrice | None] = {}

    @classmethod
    @cache
    def bundled(cls) -> PriceTable:
        """The bundled table, loaded once."""
        return cls.load()

    @classmethod
    def load(cls, override_path: Path | None = None) -> PriceTable:
        bundled = resources.files("runlens.semconv").joinpath("prices.json").read_text("utf-8")
        version, models = _parse(json.loads(bundled), "bundled prices.json")
        if override_path is not None:
            try:
                document = json.loads(override_path.read_text("utf-8"))
            except (OSError, ValueError) as exc:
                raise PriceTableError(f"cannot read price file {override_path}: {exc}") from exc
            override_version, override_models = _parse(document, str(override_path))
            models.update(override_models)
            if isinstance(document, dict) and "version" in document:
                version = override_version
        return cls(version, models)

    def price(self, model: str) -> ModelPrice | None:
        """The price of `model`; None when unknown. `gpt-4o-mini-2024-07-18` → `gpt-4o-mini`."""
        if not model:
            return None
        cached = self._cache.get(model)
        if cached is not None or model in self._cache:
            return cached
        found = self._lookup(model.lower())
        if len(self._cache) < 4096:
            self._cache[model] = found
        return found

    def _lookup(self, name: str) -> ModelPrice | None:
        candidates = [name]
        if "/" in name:
            candidates.append(name.rsplit("/", 1)[1])
        if "claude-" in name and not name.startswith("claude-"):
            candidates.append(name[name.index("claude-") :])
        for candidate in candidates:
            exact = self._models.get(candidate)
            if exact is not None:
                return exact
            best = ""
            for known in self._models:
                if (
                    len(known) > len(best)
                    and candidate.startswith(known)
                    and candidate[len(known)] in _BOUNDARY
                ):
                    best = known
            if best:
                return self._models[best]
        return None

    def cost(self, model: str, usage: TokenUsage) -> float | None:
        """The cost of a call; 0 for a call that used no tokens whatever its model, None when
        tokens were used and the model has no price."""
        if usage == _NO_USAGE:
            return 0.0
        price = self.price(model)
        return None if price is None else price.cost(usage)


def _parse(document: Any, source: str) -> tuple[str, dict[str, ModelPrice]]:
    if not isinstance(document, dict) or not isinstance(document.get("models"), dict):
        raise PriceTableError(f"{source}: expected an object with a 'models' object")
    version = document.get("version", "")
    if not isinstance(version, str):
        raise PriceTableError(f"{source}: 'version' must be a string such as \"2026-11-01\"")
    models: dict[str, ModelPrice] = {}
    for name, entry in document["models"].items():
        if not isinstance(entry, dict):
            raise PriceTableError(f"{source}: model {name!r} must map token types to prices")
        try:
            base = float(entry["input"])
            output = float(entry["output"])
            models[name] = ModelPrice(
                input=base,
                cached_input=float(entry.get("cached_input", base)),
                cache_write=float(entry.get("cache_write", base)),
                output=output,
                reasoning=float(entry.get("reasoning", output)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PriceTableError(
                f"{source}: model {name!r} needs numeric 'input' and 'output' prices ({exc})"
            ) from exc
    return version, models
