"""Plain leaf fields executed without graphql-core's general machinery.

Most fields of a response are leaves that read an attribute: a post's title, a comment's body
(Strawberry's "basic" fields: no resolver, no arguments, no field extensions). graphql-core
executes each the general way: a resolve-info object (15 attributes), Strawberry's wrapper
around `getattr`, two awaitable checks, and a completion that dispatches on the type. For
those fields the answer is the attribute, completed as a leaf: `LeafExecutionContext` does just
that, with graphql-core's own null check, serialization and error handling, and sends every
other field (and any attribute that turns out to be awaitable) the general way. About 70 of a
post page's 110 fields are such leaves; the response is the same (tests/api/test_leaves.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLSchema,
    get_nullable_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path
from strawberry.resolvers import is_default_resolver
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from resolvers.definitions import strawberry_field


class Leaf(NamedTuple):
    field: GraphQLField
    read: Callable[[Any, str], object]  # Strawberry's default resolver: getattr by default
    name: str  # the Python attribute
    leaf_type: GraphQLLeafType
    non_null: bool


class LeafExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with plain leaves read directly (`for_schema`)."""

    leaves: ClassVar[dict[tuple[str, str], Leaf]] = {}

    @classmethod
    def for_schema(cls, schema: GraphQLSchema) -> type[LeafExecutionContext]:
        """The class to execute `schema` with: graphql-core makes one per request."""
        leaves = {
            (type_.name, name): leaf
            for type_ in schema.type_map.values()
            if is_object_type(type_) and not type_.name.startswith("__")
            for name, field in type_.fields.items()
            if (leaf := _plain_leaf(field)) is not None
        }
        return type("LeafExecutionContext", (cls,), {"leaves": leaves})

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any | None,
    ) -> Any:
        field_name = field_details_list[0].node.name.value
        leaf = self.leaves.get((parent_type.name, field_name))
        if leaf is None or self.middleware_manager is not None:
            return super().execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        # As graphql-core's execute_field and complete_value would, for this type of field.
        try:
            result = leaf.read(source, leaf.name)
            if self.is_awaitable(result):
                return self._complete_later(
                    leaf, parent_type, field_details_list, path, result, position_context
                )
            if isinstance(result, Exception):
                raise result
            if result is None:
                if leaf.non_null:
                    raise TypeError(
                        f"Cannot return null for non-nullable field {parent_type}.{field_name}."
                    )
                return None
            return self.complete_leaf_value(leaf.leaf_type, result)
        except Exception as raw_error:
            self.handle_field_error(raw_error, leaf.field.type, field_details_list, path)
            return None

    def _complete_later(
        self,
        leaf: Leaf,
        parent_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        path: Path,
        result: Any,
        position_context: Any | None,
    ) -> Any:
        nodes = [details.node for details in field_details_list]
        info = self.build_resolve_info(leaf.field, nodes, parent_type, path)
        return self.complete_awaitable_value(
            leaf.field.type, field_details_list, info, path, result, position_context
        )


def _plain_leaf(field: GraphQLField) -> Leaf | None:
    declared = strawberry_field(field)
    if declared is None or field.args or not declared.is_basic_field:
        return None
    # Strawberry's resolver for the field reads the attribute (its default resolver).
    if field.resolve is None or not is_default_resolver(field.resolve):
        return None
    leaf_type = get_nullable_type(field.type)
    if not isinstance(leaf_type, GraphQLLeafType):
        return None
    non_null = leaf_type is not field.type
    return Leaf(field, declared.default_resolver, declared.python_name, leaf_type, non_null)
