"""Parsing and validation cached across requests (api/execution.py): a document is parsed and
validated once per executor; what the cache holds is never changed by a request, and what
depends on the request (its variables, the operation it names) is checked every time."""

from __future__ import annotations

from collections import Counter
from typing import Any

import graphql
import pytest
from graphql import GraphQLError, OperationType

from api import execution
from api.errors import BAD_USER_INPUT
from api.execution import Executor, Operation, Outcome, RequestContext
from resolvers.internals import graphql_schema
from resolvers.schema import build_schema

SCHEMA = graphql_schema(build_schema())
ALLOWED = (OperationType.QUERY, OperationType.MUTATION)
POST = "query($id: ID!) { post(id: $id) { title } }"
UNKNOWN_FIELD = "{ posts(first: 1) { edges { node { nope } } } }"
SYNTAX_ERROR = "{ posts(first: 1) { "
NESTED = "{ posts(first: 1) { edges { node { author { username } } } } }"  # 5 deep
INTROSPECTION = "{ __schema { types { name } } }"


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Calls of graphql-core's parse and validate made by the executor."""
    counts: Counter[str] = Counter()

    def parse(*args: Any, **kwargs: Any) -> Any:
        counts["parse"] += 1
        return graphql.parse(*args, **kwargs)

    def validate(*args: Any, **kwargs: Any) -> Any:
        counts["validate"] += 1
        return graphql.validate(*args, **kwargs)

    monkeypatch.setattr(execution, "parse", parse)
    monkeypatch.setattr(execution, "validate", validate)
    return counts


def _never(prefetch_viewer: bool) -> RequestContext:
    raise AssertionError("a request error builds no context")


def _document(n: int, length: int = 0) -> str:
    """A valid document of its own (n), padded with spaces to `length` characters."""
    return f"{{ posts(first: {n}) {{ edges {{ node {{ title }} }} }} }}".ljust(length)


def _prepared(executor: Executor, operation: Operation) -> Any:
    prepared = executor.prepare(operation, ALLOWED)
    assert not isinstance(prepared, Outcome), prepared.errors
    return prepared


def test_a_repeated_document_is_parsed_and_validated_once(counted: Counter[str]) -> None:
    executor = Executor(SCHEMA)
    for n in range(3):
        _, _, variables = _prepared(executor, Operation(POST, {"id": f"p{n}"}))
        assert variables.coerced == {"id": f"p{n}"}
    assert counted == {"parse": 1, "validate": 2}  # two passes: the spec's rules, the limits


@pytest.mark.parametrize(
    ("executor", "query", "words", "passes"),
    [  # validation passes, once: none for what does not parse, the limits only on a sound one
        (Executor(SCHEMA), UNKNOWN_FIELD, "Cannot query field 'nope'", 1),
        (Executor(SCHEMA), SYNTAX_ERROR, "Syntax Error", 0),
        (Executor(SCHEMA, max_depth=3), NESTED, "exceeds maximum operation depth of 3", 2),
    ],
    ids=["invalid", "unparseable", "over a limit"],
)
async def test_an_invalid_document_gets_its_coded_error_every_time(
    counted: Counter[str], executor: Executor, query: str, words: str, passes: int
) -> None:
    replies = []
    for request_id in ("first", "second", "third"):
        outcome = await executor.run(Operation(query), _never, signed_in=False,
                                     request_id=request_id)  # fmt: skip
        assert not outcome.executed
        replies.append([e.formatted for e in outcome.errors])
    assert replies[0] == replies[1] == replies[2]
    (error,) = replies[0]
    assert words in error["message"]
    assert error["extensions"] == {"code": BAD_USER_INPUT}
    assert error["locations"]
    assert counted["parse"] == 1
    assert counted["validate"] == passes
    # The cached errors are graphql-core's own, uncoded: each request got coded copies.
    cached = executor.check(query).errors
    assert all(not e.extensions for e in cached)
    assert all(isinstance(e, GraphQLError) for e in cached)


async def test_cached_errors_are_not_the_ones_a_request_answers_with() -> None:
    executor = Executor(SCHEMA)
    first = await executor.run(Operation(UNKNOWN_FIELD), _never, signed_in=False)
    second = await executor.run(Operation(UNKNOWN_FIELD), _never, signed_in=False)
    (cached,) = executor.check(UNKNOWN_FIELD).errors
    assert first.errors[0] is not cached
    assert second.errors[0] is not cached
    assert first.errors[0] is not second.errors[0]
    first.errors[0].extensions["code"] = "CHANGED"  # type: ignore[index]
    assert second.errors[0].extensions == {"code": BAD_USER_INPUT}
    assert not cached.extensions


def test_different_documents_do_not_collide(counted: Counter[str]) -> None:
    executor = Executor(SCHEMA)
    for _ in range(2):
        _prepared(executor, Operation(POST, {"id": "p"}))
        invalid = executor.prepare(Operation(UNKNOWN_FIELD), ALLOWED)
        assert isinstance(invalid, Outcome)
        assert len(invalid.errors) == 1
        _prepared(executor, Operation(POST + " ", {"id": "p"}))  # another text: its own entry
    assert counted["parse"] == 3


def test_variables_and_the_operation_are_checked_on_every_request() -> None:
    executor = Executor(SCHEMA)
    _prepared(executor, Operation(POST, {"id": "p"}))
    missing = executor.prepare(Operation(POST, {}), ALLOWED)
    assert isinstance(missing, Outcome)
    assert "Variable '$id' has invalid value" in missing.errors[0].message
    _prepared(executor, Operation(POST, {"id": "p"}))
    two = "query A { posts(first: 1) { edges { cursor } } } query B { viewer { id } }"
    assert _prepared(executor, Operation(two, operation_name="A"))[1].name.value == "A"
    assert _prepared(executor, Operation(two, operation_name="B"))[1].name.value == "B"
    unknown = executor.prepare(Operation(two, operation_name="C"), ALLOWED)
    assert isinstance(unknown, Outcome)
    assert unknown.errors[0].message == "Unknown operation named 'C'."


def test_executors_with_other_rules_keep_their_own_results() -> None:
    open_, closed = Executor(SCHEMA), Executor(SCHEMA, introspection=False)
    for _ in range(2):
        assert open_.check(INTROSPECTION).errors == ()
        assert closed.check(INTROSPECTION).errors


def test_the_cache_keeps_the_most_recently_used_documents(counted: Counter[str]) -> None:
    executor = Executor(SCHEMA, cache_entries=2)
    for n in (1, 2, 1, 3):  # 3 evicts 2, the least recently used
        _prepared(executor, Operation(_document(n)))
    assert counted["parse"] == 3
    _prepared(executor, Operation(_document(1)))
    _prepared(executor, Operation(_document(3)))
    assert counted["parse"] == 3
    _prepared(executor, Operation(_document(2)))
    assert counted["parse"] == 4
    assert len(executor.cache) == 2


def test_the_cache_is_bounded_in_characters(counted: Counter[str]) -> None:
    executor = Executor(SCHEMA, cache_characters=800)  # an entry: at most 100 characters
    for n in range(10):
        _prepared(executor, Operation(_document(n, 100)))
        assert executor.cache.characters <= 800
    assert len(executor.cache) == 8
    _prepared(executor, Operation(_document(9, 100)))
    assert counted["parse"] == 10
    _prepared(executor, Operation(_document(0, 100)))  # evicted
    assert counted["parse"] == 11
    # Too large to keep: parsed every time, and nothing else is evicted for it.
    for _ in range(2):
        _prepared(executor, Operation(_document(99, 101)))
    assert counted["parse"] == 13
    assert len(executor.cache) == 8
