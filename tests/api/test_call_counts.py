"""DynamoDB calls per GraphQL operation: the dataloaders' contract, counted via botocore."""

from __future__ import annotations

import random
from typing import Any

from api.execution import Executor, Operation
from cost.meter import Usage
from model import keys
from model.ids import global_id
from resolvers.context import Context
from resolvers.cursors import CursorSigner
from resolvers.internals import graphql_schema
from resolvers.schema import build_schema
from store import AllPosts, Store

NESTED = """{ posts(first: 20) { edges { node { title author { username }
  comments(first: 5) { edges { node { body author { username } } } } } } } }"""

NESTED_WITH_VIEWER = """{ viewer { username } posts(first: 20) { edges { node { title viewerVote
  author { username } comments(first: 5) { edges { node { body author { username } } } } } } } }"""


async def _blog(store: Store, posts: int = 25, comments: int = 6) -> list[Any]:
    rng = random.Random(3)
    users = [await store.create_user(f"sub-{i}", f"user_{i}") for i in range(8)]
    for i in range(posts):
        post, _ = await store.create_post(rng.choice(users[:4]).id, f"post {i}", "c")
        for j in range(comments):
            await store.add_comment(rng.choice(users).id, post.id, f"comment {j}")
        await store.vote(users[0].id, post.id, "UP")
    return users


async def _run(
    store: Store,
    calls: Usage,
    query: str,
    subject: str | None = None,
    variables: dict[str, Any] | None = None,
) -> Any:
    executor = Executor(graphql_schema(build_schema()))

    def context(prefetch_viewer: bool) -> Context:
        return Context(store, CursorSigner("s" * 32), "test", subject, prefetch_viewer)

    calls.clear()
    outcome = await executor.run(
        Operation(query, variables), context, signed_in=subject is not None
    )
    assert not outcome.errors, outcome.errors
    return outcome.data


async def test_nested_query_costs_one_round_trip_per_level(store: Store, calls: Usage) -> None:
    await _blog(store)
    data = await _run(store, calls, NESTED)
    posts = data["posts"]["edges"]
    assert len(posts) == 20
    assert all(len(p["node"]["comments"]["edges"]) == 5 for p in posts)
    assert all(p["node"]["author"]["username"].startswith("user_") for p in posts)
    # Level 1: the feed, one Query per shard. Level 2: every post's comments (20 Queries)
    # and the distinct post authors (one BatchGetItem), all at once. Level 3: the comment
    # authors not already loaded (one BatchGetItem).
    assert calls.counts == {"Query": keys.FEED_SHARDS + 20, "BatchGetItem": 2}
    assert calls.round_trips == 3


async def test_viewer_fields_ride_along_in_the_same_batches(store: Store, calls: Usage) -> None:
    users = await _blog(store)
    data = await _run(store, calls, NESTED_WITH_VIEWER, subject="sub-0")
    assert data["viewer"] == {"username": users[0].username}
    assert {p["node"]["viewerVote"] for p in data["posts"]["edges"]} == {"UP"}
    # The viewer's link joins level 1 (with the feed Queries); the user and the 20 votes
    # join the BatchGetItem calls of the following levels: no extra round trip per field.
    assert calls.counts == {"Query": keys.FEED_SHARDS + 20, "BatchGetItem": 3}
    assert calls.round_trips == 3


async def test_same_item_requested_many_times_is_fetched_once(store: Store, calls: Usage) -> None:
    author = await store.create_user("s", "only_author")
    for i in range(30):
        await store.create_post(author.id, f"p{i}", "c")
    data = await _run(store, calls, "{ posts(first: 30) { edges { node { author { id } } } } }")
    assert len({e["node"]["author"]["id"] for e in data["posts"]["edges"]}) == 1
    assert calls.counts == {"Query": keys.FEED_SHARDS, "BatchGetItem": 1}


POST_PAGE = """query($id: ID!) { post(id: $id) { title viewerVote author { username }
  comments(first: 20) { edges { node { body author { username } } } } } }"""


async def test_post_page_reads_post_and_comments_in_one_query(store: Store, calls: Usage) -> None:
    users = await _blog(store, posts=1, comments=25)
    (post,) = (await store.page(AllPosts())).items
    variables = {"id": global_id("Post", post.id)}
    data = await _run(store, calls, POST_PAGE, subject="sub-0", variables=variables)
    assert len(data["post"]["comments"]["edges"]) == 20
    assert data["post"]["viewerVote"] == "UP"
    assert data["post"]["author"]["username"] in {u.username for u in users}
    # Round trip 1: the post and its first 20 comments in one Query on its item collection,
    # and (prefetched) the viewer's identity link. Round trip 2: every author and the
    # viewer's vote, in one BatchGetItem: a wave goes out only when the last one has answered
    # and every resolver has queued what it needs, whichever call came back first.
    assert calls.counts == {"Query": 1, "BatchGetItem": 2}
    assert calls.round_trips == 2


class CountingSigner(CursorSigner):
    def __init__(self) -> None:
        super().__init__("s" * 32)
        self.signed = 0

    def sign(self, list_id: str, cursor: str) -> str:
        self.signed += 1
        return super().sign(list_id, cursor)


async def test_cursors_are_signed_only_where_selected(store: Store, calls: Usage) -> None:
    await _blog(store, posts=3, comments=6)
    executor = Executor(graphql_schema(build_schema()))
    signer = CountingSigner()

    async def run(query: str) -> Any:
        outcome = await executor.run(
            Operation(query), lambda prefetch: Context(store, signer, "test", None, prefetch),
            signed_in=False,
        )  # fmt: skip
        assert not outcome.errors, outcome.errors
        return outcome.data

    await run("{ posts(first: 3) { edges { node { title } } } }")
    assert signer.signed == 1  # the page's end cursor (pageInfo) only
    signer.signed = 0
    data = await run("{ posts(first: 3) { edges { cursor } pageInfo { endCursor } } }")
    assert signer.signed == 4  # one per edge, and the end cursor
    edges = data["posts"]["edges"]
    assert data["posts"]["pageInfo"]["endCursor"] == edges[-1]["cursor"]
    # Each edge's cursor resumes after its own post.
    after = await run(
        f'{{ posts(first: 1, after: "{edges[0]["cursor"]}") {{ edges {{ cursor }} }} }}'
    )
    assert after["posts"]["edges"][0]["cursor"] == edges[1]["cursor"]
