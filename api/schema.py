"""The GraphQL schema: the resolvers' types assembled with the API's limits and error codes.

schema.graphql at the repo root is exported from this (`make schema`) and checked for drift.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from typing import Any

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.types import ExecutionContext

from resolvers.context import Context
from resolvers.mutation import Mutation
from resolvers.query import Query
from resolvers.types import Comment, Post, User

from .errors import ErrorCodes

MAX_ALIASES = 30
MAX_TOKENS = 5_000


class SettleRequest(SchemaExtension):
    """Lets the request's own prefetches finish before the operation ends."""

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        if isinstance(context, Context):
            await context.settle()


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[Any], execution_context: ExecutionContext | None = None
    ) -> None:
        """Errors are logged by ErrorCodes, once and with the request id: not again here."""


def build_schema(max_depth: int = 12, introspection: bool = True) -> Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        types=[User, Post, Comment],
        extensions=extensions(max_depth, introspection),
    )


def extensions(max_depth: int = 12, introspection: bool = True) -> list[Any]:
    """The API's limits and error codes (also what bench/'s baseline runs with)."""
    # Factories: Strawberry builds fresh extension instances for every request.
    chosen: list[Any] = [
        ErrorCodes,
        SettleRequest,
        lambda: QueryDepthLimiter(max_depth=max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
    ]
    if not introspection:
        chosen.append(DisableIntrospection)
    return chosen


def __getattr__(name: str) -> Any:
    # `strawberry export-schema api.schema:schema` and tests: built on demand (and once), so
    # importing the app (a Lambda cold start) builds the schema once, in create_app.
    if name == "schema":
        return _default_schema()
    raise AttributeError(name)


@functools.cache
def _default_schema() -> Schema:
    return build_schema()
