"""The short path for plain leaf fields (runlens/api/graphql/execution.py) answers exactly as
Strawberry's own execution does: values, nulls, errors with their paths, aliases, directives,
fragments and key order; and it does take the short path for the fields it plans."""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.types import Info

from runlens.api.graphql.execution import FastLeafExecution, execution_class, leaf_getters
from runlens.api.graphql.schema import build_schema

CALLS: list[str] = []


@strawberry.enum
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Thing:
    label: str
    tags: list[str]
    maybe_tags: list[str | None] | None
    hidden: strawberry.Private[str]

    @strawberry.field
    def upper(self) -> str:
        CALLS.append(self.label)
        return self.label.upper()

    @strawberry.field
    def colour(self) -> Colour:
        return Colour.RED if self.label.startswith("r") else Colour.BLUE

    @strawberry.field
    def must(self) -> str:
        return None  # type: ignore[return-value]  # a resolver breaking its contract

    @strawberry.field
    def may(self) -> int | None:
        return None if self.label == "blue" else len(self.label)

    @strawberry.field
    def fails(self) -> int | None:
        raise ValueError(f"no value for {self.label}")

    @strawberry.field
    def bad_enum(self) -> Colour | None:
        return "green"  # type: ignore[return-value]

    @strawberry.field
    def bad_list(self) -> list[str]:
        return 3  # type: ignore[return-value]

    @strawberry.field
    def with_info(self, info: Info) -> str:
        return info.field_name

    @strawberry.field
    def with_arg(self, times: int = 2) -> str:
        return self.label * times

    @strawberry.field
    async def later(self) -> str:
        return self.hidden

    @strawberry.field
    def twin(self) -> Thing:
        return None if self.label == "blue" else self  # type: ignore[return-value]

    @strawberry.field
    def child(self) -> Thing | None:
        return None if self.label == "blue" else Thing(label="blue", tags=[], maybe_tags=None,
                                                        hidden="h")  # fmt: skip


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return [
            Thing(label="red", tags=["a", "b"], maybe_tags=["x", None], hidden="r"),
            Thing(label="blue", tags=[], maybe_tags=None, hidden="b"),
        ]


QUERIES = [
    "{ things { label upper colour tags maybeTags may } }",
    "{ things { z: label a: upper label colour } }",
    "{ things { label must } }",
    "{ things { label fails may } }",
    "{ things { badEnum label } }",
    "{ things { badList } }",
    "{ things { withInfo withArg withArg3: withArg(times: 3) later label } }",
    "query($x: Boolean!) { things { label @include(if: $x) upper @skip(if: $x) may } }",
    "{ things { ...F child { ...F child { label } } } } fragment F on Thing { upper colour }",
    "{ things { __typename label } }",
    "{ things { label child { label must } } }",
    "{ things { label child { later label fails } } }",
    "{ things { label twin { label } } }",
    "{ things { twin { label child { label upper later } } } }",
    "{ things { child { label } c2: child { upper } } }",
]


async def _execute(schema: strawberry.Schema, query: str) -> Any:
    result = await schema.execute(query, variable_values={"x": True})
    for _ in range(20):  # what an error left running is settled in the background
        await asyncio.sleep(0)
    return result


def _answers(schema: strawberry.Schema, query: str) -> tuple[Any, Any]:
    result = asyncio.run(_execute(schema, query))
    errors = [(e.message, e.path) for e in result.errors or ()]
    return result.data, errors


@pytest.mark.parametrize("query", QUERIES)
def test_same_answers_as_the_ordinary_execution(query: str) -> None:
    stock = strawberry.Schema(query=Query)
    fast = strawberry.Schema(query=Query)
    fast.execution_context_class = execution_class(fast._schema)
    data, errors = _answers(fast, query)
    assert (data, errors) == _answers(stock, query)
    if data is not None:  # the order of the keys is the query's
        assert repr(data) == repr(_answers(stock, query)[0])


def test_plain_leaves_are_planned_and_taken() -> None:
    schema = strawberry.Schema(query=Query)
    plan = leaf_getters(schema._schema)
    assert set(plan["Thing"]) == {
        "label", "tags", "maybeTags", "upper", "colour", "must", "may", "fails", "badEnum",
        "badList", "twin", "child",
    }  # fmt: skip
    assert "Query" not in plan  # `things` is a list of objects
    schema.execution_context_class = execution_class(schema._schema)
    CALLS.clear()
    assert asyncio.run(schema.execute("{ things { upper } }")).data == {
        "things": [{"upper": "RED"}, {"upper": "BLUE"}]
    }
    assert CALLS == ["red", "blue"]  # once each: a failed short path would call it again


def test_the_api_schema_plans_the_list_fields() -> None:
    schema = build_schema()
    assert issubclass(schema.execution_context_class, FastLeafExecution)
    plan = leaf_getters(schema._schema)
    assert {"id", "name", "status", "startedAt", "costUsd", "models"} <= set(plan["Run"])
    assert {"agent", "tokens", "error"} <= set(plan["Run"])
    assert {"commands", "events", "interventions"}.isdisjoint(plan["Run"])
    assert {"id", "spanId", "sequence", "kind", "durationMs", "input"} <= set(plan["LlmCall"])
