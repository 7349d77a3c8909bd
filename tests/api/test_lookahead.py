"""A list loads its nodes' authors itself when they ask for nothing else that loads
(resolvers/lookahead.py): the same calls in the same round trips, the same answer, and no
awaiting `author` field per node; otherwise the nodes load on their own, as before."""

from __future__ import annotations

from typing import Any

import pytest

import resolvers.types
from api.execution import Executor, Operation
from cost.meter import Usage
from model.ids import global_id
from resolvers.context import Context
from resolvers.cursors import CursorSigner
from resolvers.internals import graphql_schema
from resolvers.schema import build_schema
from store import Store
from tests.faults import Throttled

COMMENTS = 6


@pytest.fixture
async def post_id(store: Store) -> str:
    users = [await store.create_user(f"sub-{i}", f"user_{i}") for i in range(3)]
    post, _ = await store.create_post(users[0].id, "hello", "c")
    for j in range(COMMENTS):
        await store.add_comment(users[j % 3].id, post.id, f"comment {j}")
    return global_id("Post", post.id)


@pytest.fixture
def lazy_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The user ids `author` fields loaded on their own (not preloaded by their list)."""
    loaded: list[str] = []
    load_user = resolvers.types.load_user

    def counting(info: Any, user_id: str) -> Any:
        loaded.append(user_id)
        return load_user(info, user_id)

    monkeypatch.setattr(resolvers.types, "load_user", counting)
    return loaded


async def _run(
    store: Store, calls: Usage, query: str, variables: dict[str, Any]
) -> tuple[Any, list[dict[str, Any]]]:
    executor = Executor(graphql_schema(build_schema()))
    calls.clear()
    outcome = await executor.run(
        Operation(query, variables),
        lambda prefetch: Context(store, CursorSigner("s" * 32), "test", None, prefetch),
        signed_in=False,
    )
    return outcome.data, [dict(e.formatted) for e in outcome.errors]


PRELOADED = {
    "plain": "{ body author { username } }",
    "aliased": "{ createdAt by: author { username } id }",
    "fragment": "{ ...C }",
    "inline": "{ ... on Comment { author { username } } body }",
    "twice": "{ author { username } author { displayName } }",
}
LAZY = {
    # Another relation: the authors' wave would hold it back a round trip.
    "with post": "{ author { username } post { title } }",
    # A directive decides whether the field runs: left to the field.
    "include": "{ body author @include(if: $yes) { username } }",
    "under a fragment's directive": "{ ... @include(if: $yes) { author { username } } }",
}


def _query(nodes: str) -> str:
    declared = ", $yes: Boolean!" if "$yes" in nodes else ""
    query = f"query($id: ID!{declared}) {{ post(id: $id) {{ comments(first: 10) "
    query += f"{{ edges {{ node {nodes} }} }} }} }}"
    if "...C" in nodes:
        query += " fragment C on Comment { body author { username } }"
    return query


@pytest.mark.parametrize("nodes", list(PRELOADED.values()), ids=list(PRELOADED))
async def test_a_list_loads_its_nodes_authors(
    store: Store, calls: Usage, post_id: str, lazy_loads: list[str], nodes: str
) -> None:
    data, errors = await _run(store, calls, _query(nodes), {"id": post_id, "yes": True})
    assert errors == []
    edges = data["post"]["comments"]["edges"]
    assert len(edges) == COMMENTS
    users = [n.get("author") or n.get("by") for n in (e["node"] for e in edges)]
    assert [u.get("username") for u in users] == [f"user_{j % 3}" for j in range(COMMENTS)]
    assert lazy_loads == []
    # The post and its comments in one Query, then the three authors in one BatchGetItem:
    # what the fields loading on their own cost (below).
    assert calls.counts == {"Query": 1, "BatchGetItem": 1}
    assert calls.round_trips == 2


@pytest.mark.parametrize("nodes", list(LAZY.values()), ids=list(LAZY))
async def test_nodes_load_on_their_own_otherwise(
    store: Store, calls: Usage, post_id: str, lazy_loads: list[str], nodes: str
) -> None:
    data, errors = await _run(store, calls, _query(nodes), {"id": post_id, "yes": True})
    assert errors == []
    edges = data["post"]["comments"]["edges"]
    assert [e["node"]["author"]["username"] for e in edges] == [
        f"user_{j % 3}" for j in range(COMMENTS)
    ]
    assert len(lazy_loads) == COMMENTS
    assert calls.counts == {"Query": 1, "BatchGetItem": 1}
    assert calls.round_trips == 2


async def test_a_skipped_author_is_not_loaded(
    store: Store, calls: Usage, post_id: str, lazy_loads: list[str]
) -> None:
    data, errors = await _run(store, calls, _query(LAZY["include"]), {"id": post_id, "yes": False})
    assert errors == []
    assert all(set(e["node"]) == {"body"} for e in data["post"]["comments"]["edges"])
    assert calls.counts == {"Query": 1}


@pytest.mark.parametrize("nodes", [PRELOADED["plain"], LAZY["include"]], ids=["preloaded", "lazy"])
async def test_a_failed_author_load_fails_each_author_alone(
    store: Store, calls: Usage, post_id: str, nodes: str
) -> None:
    with Throttled(store.table.client, "BatchGetItem", times=1):
        data, errors = await _run(store, calls, _query(nodes), {"id": post_id, "yes": True})
    edges = data["post"]["comments"]["edges"]
    assert [e["node"] for e in edges] == [
        {"body": f"comment {j}", "author": None} for j in range(COMMENTS)
    ]
    assert sorted(tuple(e["path"]) for e in errors) == [
        ("post", "comments", "edges", j, "node", "author") for j in range(COMMENTS)
    ]
    assert {e["extensions"]["retryable"] for e in errors} == {True}


# post(id)'s read, decided once (cost/rules.py, post_read) for the resolver and the prediction.
POST_READS = {
    # One Query for the head, the body and the page.
    "a page": ("{ title comments(first: 3) { edges { cursor } } }", {"Query": 1}),
    "the page in a fragment": (
        "{ ...P } } fragment P on Post { comments(first: 3) { edges { cursor } } ", {"Query": 1}),
    # Two different pages: the head alone, then each page: what the old look-ahead, which
    # took the first selection it saw, read in a Query and then priced wrong.
    "two pages": ("{ a: comments(first: 2) { edges { cursor } } "
                  "b: comments(first: 3) { edges { cursor } } }", {"BatchGetItem": 1, "Query": 2}),
    # The head and the body in one batch.
    "the content": ("{ title content }", {"BatchGetItem": 1}),
    "the content, skipped": ("{ title content @skip(if: true) }", {"BatchGetItem": 1}),
    "a page, skipped": ("{ comments(first: 3) @skip(if: true) { edges { cursor } } }",
                        {"BatchGetItem": 1}),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(POST_READS))
async def test_post_reads_as_predicted(store: Store, calls: Usage, post_id: str, name: str) -> None:
    selection, expected = POST_READS[name]
    query = f"query($id: ID!) {{ post(id: $id) {selection} }}"
    executor = Executor(graphql_schema(build_schema()))
    calls.clear()
    outcome = await executor.run(
        Operation(query, {"id": post_id}),
        lambda prefetch: Context(store, CursorSigner("s" * 32), "test", None, prefetch),
        signed_in=False,
    )
    assert outcome.errors == []
    assert dict(calls.first_attempts) == expected
    assert outcome.prediction is not None
    assert dict(outcome.prediction.calls) == expected
