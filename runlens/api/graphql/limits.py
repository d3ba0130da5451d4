"""The alias limit: a document may use at most so many aliases (each one can repeat a costly
field), counted through fragments, each fragment counted once per spread but computed once."""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)


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
