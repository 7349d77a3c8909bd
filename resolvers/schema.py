"""The GraphQL schema: the resolvers' types and fields, assembled.

schema.graphql at the repo root is exported from this (`make schema`) and checked for drift.
"""

from __future__ import annotations

import functools
from typing import Any

from resolvers import internals
from resolvers.mutation import Mutation
from resolvers.query import Query
from resolvers.types import Comment, Post, User


class Schema(internals.Schema):
    """The API's schema. It defines types and resolvers; api/execution.py runs operations
    on it (parsing, validation, limits, cost, error codes), not Strawberry's own pipeline."""


def build_schema() -> Schema:
    return Schema(query=Query, mutation=Mutation, types=[User, Post, Comment])


def __getattr__(name: str) -> Any:
    # `strawberry export-schema resolvers.schema:schema` and tests: built on demand (and once), so
    # importing the app (a Lambda cold start) builds the schema once, in create_app.
    if name == "schema":
        return _default_schema()
    raise AttributeError(name)


@functools.cache
def _default_schema() -> Schema:
    return build_schema()
