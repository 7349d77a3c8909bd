"""Plain leaf fields executed without graphql-core's general machinery.

Most fields of a response are leaves that read an attribute: a post's title, a comment's body
(Strawberry's "basic" fields: no resolver, no arguments, no field extensions). graphql-core
executes each the general way: a resolve-info object (15 attributes), Strawberry's wrapper
around `getattr`, two awaitable checks, and a completion that dispatches on the type. For
those fields the answer is the attribute, completed as a leaf: `LeafExecutionContext` does just
that, with graphql-core's own null check, serialization and error handling, and sends every
other field (and any attribute that turns out to be awaitable) the general way (overriding
graphql-core's private field execution, in resolvers/internals.py's `LeafExecutor`). About 70
of a post page's 110 fields are such leaves; the response is the same (tests/api/test_leaves.py).
"""

from __future__ import annotations

from graphql import GraphQLField, GraphQLLeafType, GraphQLSchema, get_nullable_type, is_object_type
from strawberry.resolvers import is_default_resolver

from cost.fields import strawberry_field
from resolvers.internals import Leaf, LeafExecutor


class LeafExecutionContext(LeafExecutor):
    """Strawberry's execution context, with plain leaves read directly (`for_schema`)."""

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
