"""The GraphQL schema: `Query`, `Mutation`, `Subscription`, every event type, the depth and
alias limits and error logging."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import AddValidationRules, ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from runlens.api.graphql.errors import log_errors, mark_code
from runlens.api.graphql.execution import execution_class
from runlens.api.graphql.limits import alias_limit, depth_limit
from runlens.api.graphql.mutation import Mutation
from runlens.api.graphql.query import Query
from runlens.api.graphql.subscription import Subscription
from runlens.api.graphql.timing import OnOperation, operation_timer
from runlens.api.graphql.types.actions import EVENT_TYPES
from runlens.api.graphql.types.common import SCALAR_MAP

DEFAULT_MAX_DEPTH = 12
DEFAULT_MAX_ALIASES = 30
_CACHED_DOCUMENTS = 256
"""Distinct query texts whose parse and validation are kept (LRU): clients send the same few
documents with different variables."""


class _ParserCache(ParserCache):
    """Strawberry's parser cache, leaving a document that does not parse to strawberry's own
    parse, which reports the syntax error: raised here, it escaped the error handling (over
    WebSocket the operation died with a logged traceback instead of an answer)."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


class RunlensSchema(strawberry.Schema):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execution_context_class = execution_class(self._schema)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            mark_code(error)
        log_errors(errors)


def build_schema(
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_aliases: int = DEFAULT_MAX_ALIASES,
    on_operation: OnOperation | None = None,
) -> strawberry.Schema:
    """`on_operation` is told the duration of every query and mutation."""
    # The rules are built once: the validation cache is keyed by the document and the rules,
    # so rules made anew per request (as QueryDepthLimiter does) would never hit it.
    rules: list[type[ASTValidationRule]] = [
        depth_limit(max_depth),
        alias_limit(max_aliases),
    ]
    extensions: list[Any] = [
        lambda: _ParserCache(maxsize=_CACHED_DOCUMENTS),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=_CACHED_DOCUMENTS),
    ]
    if on_operation is not None:
        extensions.append(operation_timer(on_operation))
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
