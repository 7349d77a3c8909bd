"""Plain leaves read directly (api/leaves.py): the same response as graphql-core's general
execution, errors included, and the general path for every other field."""

from __future__ import annotations

import enum
from typing import Any

import strawberry
from graphql import ExecutionResult, execute, parse

from api.leaves import LeafExecutionContext
from resolvers.internals import ExecutionContext, graphql_schema
from resolvers.schema import build_schema


@strawberry.enum
class Mood(enum.Enum):
    HAPPY = "happy"


@strawberry.type
class Thing:
    name: str
    nickname: str | None
    count: int
    mood: Mood
    missing: str  # holds None: a non-null leaf without a value
    wrong: int  # holds a string: a value the leaf cannot serialize
    later: str  # holds an awaitable: general execution awaits it

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times


@strawberry.type
class Query:
    @strawberry.field
    async def things(self) -> list[Thing | None]:
        async def later() -> str:
            return "soon"

        def thing(name: str, **values: Any) -> Thing:
            plain = {"nickname": None, "count": 1, "mood": Mood.HAPPY, "missing": "m",
                     "wrong": 3, "later": "now"}  # fmt: skip
            return Thing(name=name, **{**plain, **values})

        # A null in a non-null leaf, an unserializable value, an awaitable (each request's
        # a new coroutine), all fine.
        return [thing("a", missing=None), thing("b", wrong="x"), thing("c", later=later()),
                thing("d", nickname="dee")]  # fmt: skip


QUERY = """{ things { __typename name nick: nickname nickname count mood missing wrong later
  shout(times: 2) ... on Thing { name count } } }"""


async def _run(context: type[ExecutionContext]) -> ExecutionResult:
    schema = graphql_schema(strawberry.Schema(Query))
    result = execute(schema, parse(QUERY), executor_class=context, operation_extensions=None)
    return await result if not isinstance(result, ExecutionResult) else result


def _formatted(result: ExecutionResult) -> dict[str, Any]:
    return {"data": result.data, "errors": [e.formatted for e in result.errors or ()]}


async def test_plain_leaves_answer_as_graphql_core_does_errors_included() -> None:
    schema = graphql_schema(strawberry.Schema(Query))
    leaves = LeafExecutionContext.for_schema(schema)
    assert set(leaves.leaves) == {
        ("Thing", name)
        for name in ("name", "nickname", "count", "mood", "missing", "wrong", "later")
    }  # not shout (a resolver with arguments), things (a resolver) or __typename
    general, direct = await _run(ExecutionContext), await _run(leaves)
    assert _formatted(direct) == _formatted(general)
    # What the comparison covers: a null in a non-null leaf and an unserializable value fail
    # their field (nulling the item), an awaitable attribute is awaited.
    assert [(e.message, e.path) for e in general.errors or ()] == [
        ("Cannot return null for non-nullable field Thing.missing.", ["things", 0, "missing"]),
        ("Int cannot represent non-integer value: 'x'", ["things", 1, "wrong"]),
    ]
    plain = {"__typename": "Thing", "count": 1, "mood": "HAPPY", "missing": "m", "wrong": 3}
    assert general.data == {"things": [
        None, None,
        {**plain, "name": "c", "nick": None, "nickname": None, "later": "soon", "shout": "CC"},
        {**plain, "name": "d", "nick": "dee", "nickname": "dee", "later": "now", "shout": "DD"},
    ]}  # fmt: skip


async def test_only_fields_that_are_not_plain_leaves_get_a_resolve_info(
    monkeypatch: Any,
) -> None:
    schema = graphql_schema(strawberry.Schema(Query))
    leaves = LeafExecutionContext.for_schema(schema)
    built: list[str] = []
    original = ExecutionContext.build_resolve_info

    def counting(self: Any, field_def: Any, nodes: Any, *args: Any) -> Any:
        built.append(nodes[0].name.value)
        return original(self, field_def, nodes, *args)

    monkeypatch.setattr(ExecutionContext, "build_resolve_info", counting)
    await _run(leaves)
    # things, each item's __typename, the shouts of the items that got that far, and the
    # awaitable `later`, which goes the general way once read.
    assert sorted(built) == ["__typename"] * 4 + ["later", "shout", "shout", "things"]


def test_the_app_schema_reads_most_fields_directly() -> None:
    leaves = LeafExecutionContext.for_schema(graphql_schema(build_schema())).leaves
    assert {("Post", "title"), ("Comment", "body"), ("User", "username")} <= set(leaves)
    assert ("Post", "author") not in leaves  # loads a user
    assert ("Post", "viewerVote") not in leaves  # a resolver
