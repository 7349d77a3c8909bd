"""The Strawberry field behind a field of the graphql-core schema: its resolver (or none), its
metadata (the cost rules). Strawberry keeps it in the graphql-core field's extensions."""

from __future__ import annotations

from graphql import GraphQLField
from strawberry.types.field import StrawberryField


def strawberry_field(definition: GraphQLField) -> StrawberryField | None:
    found = (definition.extensions or {}).get("strawberry-definition")
    return found if isinstance(found, StrawberryField) else None
