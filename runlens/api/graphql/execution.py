"""GraphQL execution with a short path for plain fields.

graphql-core executes every field of every object through the same machinery: a path entry, a
resolve info, Strawberry's resolver wrapper (argument conversion, its own info object, field
extensions), then value completion. A page of runs or a run's events is mostly scalars and
enums read from an attribute or a method of one argument (`self`): in a page of 50 runs that
machinery ran ~1,000 times and was most of the API's own time.

`leaf_getters` finds those fields once, when the schema is built: fields whose value is an
attribute of the source, or comes from a synchronous method taking only `self`, with no
arguments, no field extensions or permissions, and whose type is a scalar or enum (or a list of
them) or one concrete object type. `FastLeafExecution` completes the leaves inline with the
type's own output coercion and executes such an object's own fields at once. Anything else, and
any value that is null where the type forbids it, an exception, not coercible or of another
class, takes graphql-core's ordinary path, which computes it again and answers exactly as
before (these getters are pure). Errors, paths, nullability and the answer's shape are
unchanged (tests/api/test_execution.py compares both executions).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, ClassVar, cast

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path, Undefined
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

Getter = Callable[[Any], Any]
Complete = Callable[[Any], Any]
_SLOW = object()


@dataclass(frozen=True, slots=True)
class Planned:
    """A field with a value from its source alone: a leaf (`complete` coerces it inline) or
    an object of one concrete type (`object_type`: its own fields are executed at once)."""

    getter: Getter
    field_type: GraphQLOutputType
    complete: Complete | None = None
    object_type: GraphQLObjectType | None = None


# object type name -> field name -> how to complete it inline
LeafPlan = Mapping[str, Mapping[str, Planned]]


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


def _own_check_free(object_type: GraphQLObjectType) -> bool:
    """True unless the type defines its own `is_type_of` (which may read the resolve info;
    Strawberry's, checking the Python class, does not)."""
    definition = (object_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return isinstance(definition, StrawberryObjectDefinition) and definition.is_type_of is None


def leaf_getters(schema: GraphQLSchema) -> LeafPlan:
    plan: dict[str, dict[str, Planned]] = {}
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        fields: dict[str, Planned] = {}
        for name, field in type_.fields.items():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(definition, StrawberryField) or field.args:
                continue
            getter = _getter(definition)
            if getter is None:
                continue
            inner = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            complete = _completion(field.type)
            if complete is not None:
                fields[name] = Planned(getter, field.type, complete=complete)
            elif isinstance(inner, GraphQLObjectType) and _own_check_free(inner):
                fields[name] = Planned(getter, field.type, object_type=inner)
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
        pending: list[str] = []  # objects whose own fields are still being resolved
        rest: GroupedFieldSet = {}
        try:
            for response_name, details in grouped_field_set.items():
                node = details[0].node
                planned = leaves.get(node.name.value)
                if planned is not None and not node.arguments and not node.directives:
                    if planned.complete is not None:
                        try:
                            fast[response_name] = planned.complete(planned.getter(source_value))
                            continue
                        except Exception:  # the ordinary path reports it
                            pass
                    else:
                        field_path = Path(path, response_name, parent_type.name)
                        value = self._object(planned, source_value, details, field_path,
                                             position_context)  # fmt: skip
                        if value is not _SLOW:
                            fast[response_name] = value
                            if self.is_awaitable(value):
                                pending.append(response_name)
                            continue
                rest[response_name] = details
            slow = (
                super().execute_fields(parent_type, source_value, path, rest, position_context)
                if rest
                else {}
            )
        except Exception:  # as graphql-core does: what was started is settled, not orphaned
            if pending:
                self.settle_in_background([fast[name] for name in pending])
            raise
        if not pending and isinstance(slow, dict):
            return _ordered(grouped_field_set, fast, slow) if slow else fast

        async def merged() -> dict[str, Any]:
            # at once, like graphql-core's siblings: their DataLoader loads share a batch
            awaitables = [fast[name] for name in pending]
            if not isinstance(slow, dict):
                awaitables.append(slow)
            done = await gather_with_cancel(*awaitables)
            fast.update(zip(pending, done, strict=False))
            return _ordered(grouped_field_set, fast, slow if isinstance(slow, dict) else done[-1])

        return merged()

    def _object(self, planned: Planned, source: Any, details: FieldDetailsList, path: Path,
                position_context: Any) -> Any:  # fmt: skip
        """The field's object with its own fields executed, or _SLOW for the ordinary path
        (null, an exception from the getter, a value of another type)."""
        object_type = planned.object_type
        assert object_type is not None
        try:
            value = planned.getter(source)
            is_type_of = object_type.is_type_of
            if value is None or isinstance(value, Exception):
                nullable = value is None and not isinstance(planned.field_type, GraphQLNonNull)
                return None if nullable else _SLOW
            if is_type_of is not None and is_type_of(value, cast(Any, None)) is not True:
                return _SLOW
        except Exception:  # the ordinary path reports it
            return _SLOW
        fields, defer_usages, _ = self.collect_subfields(object_type, details)
        try:
            result = self.execute_collected_subfields(
                object_type, value, path, fields, defer_usages, position_context
            )
        except Exception as error:  # as graphql-core's execute_field: null, or raised
            self.handle_field_error(error, planned.field_type, details, path)
            return None
        if not self.is_awaitable(result):
            return result

        async def awaited() -> Any:
            try:
                return await result
            except Exception as error:
                self.handle_field_error(error, planned.field_type, details, path)
                return None

        return awaited()


def _ordered(order: GroupedFieldSet, fast: dict[str, Any], slow: dict[str, Any]) -> dict[str, Any]:
    """The answer's keys in the query's order (clients and tests read it as sent)."""
    return {name: fast[name] if name in fast else slow[name] for name in order if
            name in fast or name in slow}  # fmt: skip


def execution_class(schema: GraphQLSchema) -> type[FastLeafExecution]:
    plan = leaf_getters(schema)
    return type("RunlensExecution", (FastLeafExecution,), {"plan": plan})
