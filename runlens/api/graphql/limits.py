"""Limits on a document: its depth (strawberry's depth limiter, fed only documents it can
measure) and its aliases (each one can repeat a costly field), counted through fragments,
each fragment counted once per spread but computed once."""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    Visitor,
    visit,
)
from strawberry.extensions.query_depth_limiter import create_validator


def depth_limit(max_depth: int) -> type[ValidationRule]:
    """A validation rule failing documents deeper than `max_depth`, and documents with an empty
    selection set (`runs { }`): the GraphQL grammar wants at least one selection, graphql-core
    parses it anyway, and the depth limiter fails on it (an INTERNAL error before this rule)."""
    limiter = create_validator(max_depth, None)

    class DepthLimit(limiter):  # type: ignore[valid-type,misc]
        def __init__(self, context: ValidationContext) -> None:
            empty = _EmptySelections()
            visit(context.document, empty)
            if not empty.found:
                super().__init__(context)
                return
            ValidationRule.__init__(self, context)
            for node, what in empty.found:
                context.report_error(
                    GraphQLError(
                        f"Syntax Error: the selection set of {what} is empty: "
                        "select at least one field",
                        node,
                    )
                )

    return DepthLimit


class _EmptySelections(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[SelectionSetNode, str]] = []

    def enter_selection_set(self, node: SelectionSetNode, _key: Any, parent: Any, *_: Any) -> None:
        if not node.selections:
            self.found.append((node, _describe(parent)))


def _describe(parent: Node | None) -> str:
    if isinstance(parent, FieldNode):
        return f"`{parent.name.value}`"
    if isinstance(parent, FragmentDefinitionNode):
        return f"fragment `{parent.name.value}`"
    if isinstance(parent, OperationDefinitionNode):
        return "the operation"
    return "an inline fragment"


def alias_limit(max_aliases: int) -> type[ValidationRule]:
    """A validation rule failing documents with more than `max_aliases` aliases."""

    class AliasLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            count = alias_count(context.document)
            if count > max_aliases:
                context.report_error(
                    GraphQLError(
                        f"the query uses {count} aliases; at most {max_aliases} are allowed: "
                        "split it into several requests"
                    )
                )

    return AliasLimit


def alias_count(document: DocumentNode) -> int:
    """Aliases the document's operations would resolve, fragments expanded (cycles, which
    validation rejects anyway, count once)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    counted: dict[str, int] = {}

    def count(selections: SelectionSetNode | None, open_fragments: frozenset[str]) -> int:
        total = 0
        for selection in selections.selections if selections else ():
            if isinstance(selection, FieldNode):
                total += (selection.alias is not None) + count(
                    selection.selection_set, open_fragments
                )
            elif isinstance(selection, InlineFragmentNode):
                total += count(selection.selection_set, open_fragments)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is None or name in open_fragments:
                    continue
                if name not in counted:
                    counted[name] = count(fragment.selection_set, open_fragments | {name})
                total += counted[name]
        return total

    return sum(
        count(d.selection_set, frozenset())
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )
