"""GraphQL execution with a short path for plain leaf fields.

graphql-core executes every field of every object through the same machinery: a path entry, a
resolve info, Strawberry's resolver wrapper (argument conversion, its own info object, field
extensions), then value completion. A page of runs or a run's events is mostly scalars and
enums read from an attribute or a method of one argument (`self`): in a page of 50 runs that
machinery ran ~1,000 times and was most of the API's own time.

`leaf_getters` finds those fields once, when the schema is built: a scalar or enum field (or a
list of them) whose value is an attribute of the source, or a synchronous method taking only
`self`, with no arguments, no field extensions or permissions. `FastLeafExecution` completes
them inline with the type's own output coercion. Anything else, and any field whose value is
null (a non-null field must report an error), an exception, or not coercible, takes
graphql-core's ordinary path, which computes it again and answers exactly as before (these
getters are pure). Errors, paths, nullability and the answer's shape are unchanged.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from operator import attrgetter
from typing import Any, ClassVar

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
)
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

Getter = Callable[[Any], Any]
Complete = Callable[[Any], Any]
# object type name -> field name -> (the field's value from its source, its completion)
LeafPlan = Mapping[str, Mapping[str, tuple[Getter, Complete]]]


class _Slow(Exception):
    """The value needs graphql-core's own completion (null, error, not coercible)."""


def _coercer(leaf: GraphQLScalarType | GraphQLEnumType, nullable: bool) -> Complete:
    coerce = leaf.coerce_output_value

    def complete(value: Any) -> Any:
        if value is None:
            if nullable:
                return None
            raise _Slow
        if isinstance(value, Exception):
            raise _Slow
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise _Slow
        return coerced

    return complete


def _completion(field_type: GraphQLOutputType) -> Complete | None:
    """How to complete a value of `field_type` inline; None unless it is a leaf or a list of
    leaves."""
    nullable = not isinstance(field_type, GraphQLNonNull)
    inner = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
        return _coercer(inner, nullable)
    if not isinstance(inner, GraphQLList):
        return None
    item = inner.of_type
    item_nullable = not isinstance(item, GraphQLNonNull)
    leaf = item.of_type if isinstance(item, GraphQLNonNull) else item
    if not isinstance(leaf, GraphQLScalarType | GraphQLEnumType):
        return None
    complete_item = _coercer(leaf, item_nullable)

    def complete(value: Any) -> Any:
        if value is None and nullable:
            return None
        if not isinstance(value, list | tuple):  # graphql-core's path reports what is wrong
            raise _Slow
        return [complete_item(v) for v in value]

    return complete


def _getter(field: StrawberryField) -> Getter | None:
    """The field's value as a function of its source alone, when it is that simple."""
    if field.extensions or field.permission_classes or field.arguments:
        return None
    resolver = field.base_resolver
    if resolver is None:
        return attrgetter(field.python_name)
    if (
        resolver.is_async
        or resolver.self_parameter is None
        or resolver.info_parameter is not None
        or resolver.root_parameter is not None
        or resolver.parent_parameter is not None
    ):
        return None
    method = resolver.wrapped_func
    return method if inspect.isfunction(method) else None


def leaf_getters(schema: GraphQLSchema) -> LeafPlan:
    plan: dict[str, dict[str, tuple[Getter, Complete]]] = {}
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        fields: dict[str, tuple[Getter, Complete]] = {}
        for name, field in type_.fields.items():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(definition, StrawberryField) or field.args:
                continue
            complete = _completion(field.type)
            getter = _getter(definition)
            if complete is not None and getter is not None:
                fields[name] = (getter, complete)
        if fields:
            plan[type_.name] = fields
    return plan


class FastLeafExecution(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context; `plan` is set on a subclass per schema
    (`execution_class`)."""

    plan: ClassVar[LeafPlan] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        leaves = self.plan.get(parent_type.name)
        middleware = self.middleware_manager
        if leaves is None or (middleware is not None and middleware.middlewares):
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        fast: dict[str, Any] = {}
        rest: GroupedFieldSet = {}
        for response_name, details in grouped_field_set.items():
            node = details[0].node
            leaf = leaves.get(node.name.value)
            if leaf is not None and not node.arguments and not node.directives:
                try:
                    fast[response_name] = leaf[1](leaf[0](source_value))
                    continue
                except Exception:  # the ordinary path reports it
                    pass
            rest[response_name] = details
        if not rest:
            return fast
        slow = super().execute_fields(parent_type, source_value, path, rest, position_context)
        order = list(grouped_field_set)
        if isinstance(slow, dict):
            return _ordered(order, fast, slow)

        async def merged() -> dict[str, Any]:
            return _ordered(order, fast, await slow)

        return merged()


def _ordered(order: list[str], fast: dict[str, Any], slow: dict[str, Any]) -> dict[str, Any]:
    """The answer's keys in the query's order (clients and tests read it as sent)."""
    return {name: fast[name] if name in fast else slow[name] for name in order if
            name in fast or name in slow}  # fmt: skip


def execution_class(schema: GraphQLSchema) -> type[FastLeafExecution]:
    plan = leaf_getters(schema)
    return type("RunlensExecution", (FastLeafExecution,), {"plan": plan})
