"""schema.graphql is generated from the code: it must not drift."""

from __future__ import annotations

from pathlib import Path

from graphql import build_schema as parse_sdl

from api.execution import Executor
from resolvers.internals import graphql_schema
from resolvers.schema import build_schema, schema

SDL = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_sdl_matches_the_code() -> None:
    assert SDL.read_text().strip() == schema.as_str().strip(), (
        "schema.graphql is out of date: run `make schema` and commit it"
    )


def test_public_operations_are_the_contract() -> None:
    graphql = parse_sdl(schema.as_str())
    assert graphql.query_type is not None
    assert graphql.mutation_type is not None
    assert set(graphql.query_type.fields) == {
        "node", "user", "viewer", "post", "posts", "postsByTag",
    }  # fmt: skip
    assert set(graphql.mutation_type.fields) == {
        "createUser", "createPost", "updatePost", "deletePost", "vote", "addTag",
        "removeTag", "addComment", "deleteComment",
    }  # fmt: skip


def test_introspection_can_be_switched_off() -> None:
    query = "{ __schema { types { name } } }"
    assert Executor(graphql_schema(build_schema())).validate(query) == ()
    errors = Executor(graphql_schema(build_schema()), introspection=False).validate(query)
    assert errors
    assert all("introspection" in e.message.lower() for e in errors)
