"""The GraphQL schema: `Query`, `Mutation`, `Subscription`, every event type, the depth limit
and error logging."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from runlens.api.graphql.errors import log_errors
from runlens.api.graphql.mutation import Mutation
from runlens.api.graphql.query import Query
from runlens.api.graphql.subscription import Subscription
from runlens.api.graphql.types.actions import EVENT_TYPES
from runlens.api.graphql.types.common import SCALAR_MAP

DEFAULT_MAX_DEPTH = 12


class RunlensSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors)


def build_schema(max_depth: int = DEFAULT_MAX_DEPTH) -> strawberry.Schema:
    extensions: list[Any] = [lambda: QueryDepthLimiter(max_depth=max_depth)]
    return RunlensSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=list(EVENT_TYPES),
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )


def sdl() -> str:
    """The schema in SDL (docs/api.md is generated from this)."""
    return build_schema().as_str()
