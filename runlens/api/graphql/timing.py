"""Time GraphQL queries and mutations for the server's metrics
(`runlens_graphql_operation_seconds`); subscriptions live as long as their client and are counted
by the live bus instead."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from graphql import OperationType
from strawberry.extensions import SchemaExtension

OnOperation = Callable[[str, str | None, float], None]
"""Called with the operation type, the operation name (None if unnamed) and its duration in
seconds (parse, validation and execution)."""


def operation_timer(on_operation: OnOperation) -> type[SchemaExtension]:
    class OperationTimer(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            started = time.perf_counter()
            yield
            took = time.perf_counter() - started
            context = self.execution_context
            try:
                kind = context.operation_type.value
            except Exception:  # no document: it did not parse, or named no operation it has
                kind = "invalid"
            if kind != OperationType.SUBSCRIPTION.value:
                on_operation(kind, context.operation_name, took)

    return OperationTimer
