"""Query cost limit: strawberry ships depth, token and alias limits, but no cost analysis.

Cost = the number of fields a query may resolve. A list field multiplies the cost of its
selection by its ``limit`` argument (its literal value, its default, or the largest page for a variable) or by
``NOMINAL_LIST_SIZE`` otherwise. Fragments are expanded where they are spread.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

NOMINAL_LIST_SIZE = 5
MAX_PAGE = 200  #: a page size given by a variable counts as the largest allowed


def selection_cost(
    context: ValidationContext, selection_set: SelectionSetNode | None, parent: Any, seen: frozenset[str]
) -> int:
    if selection_set is None or not isinstance(parent, GraphQLObjectType):
        return 0
    total = 0
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            field = parent.fields.get(node.name.value)
            if field is None:  # unknown fields are reported by the standard rules
                continue
            child = selection_cost(context, node.selection_set, get_named_type(field.type), seen)
            total += 1 + _list_size(node, field) * child
        elif isinstance(node, InlineFragmentNode):
            condition = node.type_condition
            target = context.schema.get_type(condition.name.value) if condition else parent
            total += selection_cost(context, node.selection_set, target, seen)
        elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
            fragment = context.get_fragment(node.name.value)
            if fragment is not None:
                target = context.schema.get_type(fragment.type_condition.name.value)
                total += selection_cost(context, fragment.selection_set, target, seen | {node.name.value})
    return total


def _list_size(node: FieldNode, field: GraphQLField) -> int:
    if not is_list_type(get_nullable_type(field.type)):  # type: ignore[arg-type]
        return 1
    if "limit" not in field.args:
        return NOMINAL_LIST_SIZE
    for argument in node.arguments or ():
        if argument.name.value == "limit":
            value = argument.value
            return int(value.value) if isinstance(value, IntValueNode) else MAX_PAGE
    default = field.args["limit"].default_value
    return int(default) if isinstance(default, int) else MAX_PAGE


def cost_rule(max_cost: int) -> type[ValidationRule]:
    """A validation rule class rejecting operations whose cost exceeds ``max_cost``."""

    class MaxCost(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            cost = selection_cost(self.context, node.selection_set, root, frozenset())
            if cost > max_cost:
                name = node.name.value if node.name else "anonymous"
                self.report_error(GraphQLError(f"operation '{name}' costs {cost}, above the limit of {max_cost}", node))

    return MaxCost
