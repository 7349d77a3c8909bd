"""Operations generated from the exported schema (hypothesis-graphql), valid and invalid,
anonymous and signed in, over both transports: no 5xx, every error coded, no Python or
botocore text in any message, every prediction bounding its cost, and the table's
invariants (counters equal items) holding after the run.

The documents are drawn once, derandomized (the same ones in every run and on every
machine), and then sent: hypothesis does not drive an async server, and a failure names the
document that caused it. Bounded by FUZZ_EXAMPLES.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, queries
from hypothesis_graphql import nodes as gql_nodes
from types_aiobotocore_dynamodb import DynamoDBClient

from api.http import COST_HEADER
from model.attrs import unmarshal_item
from model.declarations import Model, decode
from model.entities import Comment, Post, PostBody, TagLink, Vote, score_of
from model.ids import parse_typed_id
from store.table import key_attributes
from tests.api.conftest import Api, Member, assert_bounded

SDL = (Path(__file__).resolve().parents[2] / "schema.graphql").read_text()
# Per kind (queries and mutations, valid and invalid), per transport: 915 requests each,
# about 28 s for both transports on this 2-core machine.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))

# The current media type, the legacy one, and a client that states no preference.
ACCEPTS = ("application/graphql-response+json", "application/json", "*/*")

# What a message must never show: Python's or botocore's own words.
LEAKS = re.compile(
    r"Traceback|File \"|botocore|aiobotocore|An error occurred \(|Exception\b|"
    r"\b(Key|Type|Attribute|Value|Index|Runtime|Assertion|Name)Error\b|NoneType|"
    r"object has no attribute|unexpected keyword|positional argument|\bdict\b|\bstr\b\("
)


def draw(strategy: st.SearchStrategy[str], count: int) -> list[str]:
    """`count` documents from `strategy`, the same ones on every run."""
    drawn: list[str] = []

    @settings(max_examples=count, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])  # fmt: skip
    @given(strategy)
    def collect(document: str) -> None:
        drawn.append(document)

    collect()
    return drawn


def documents(posts: list[str], ids: list[str]) -> list[str]:
    """Queries and mutations, valid and invalid. IDs are drawn from the seeded data as well
    as made up, so that mutations reach real posts, comments and users."""
    id_values = st.one_of(st.sampled_from(posts), st.sampled_from(ids), st.text(max_size=40))
    # Plausible values as well as arbitrary ones, so that inputs also pass validation: names
    # and tags, versions and page sizes near the real ones.
    names = st.from_regex(r"[a-z][a-z0-9_]{2,12}", fullmatch=True)
    small = st.integers(0, 3)
    scalars = {
        "ID": id_values.map(gql_nodes.String),
        "DateTime": st.just(gql_nodes.String("2026-01-01T00:00:00Z")),
        "String": st.one_of(names, st.text(max_size=60)).map(gql_nodes.String),
        "Int": st.one_of(small, st.integers(-(2**31), 2**31 - 1)).map(gql_nodes.Int),
    }
    # One field per mutation: several in one document mostly fail together (each is non-null,
    # so one refusal nulls them all), and single ones reach the table.
    fields = list(graphql.build_schema(SDL).mutation_type.fields)  # type: ignore[union-attr]
    kinds: list[st.SearchStrategy[str]] = []
    for mode in (Mode.POSITIVE, Mode.NEGATIVE):
        each = [mutations(SDL, fields=[f], mode=mode, custom_scalars=scalars) for f in fields]
        kinds += [queries(SDL, mode=mode, custom_scalars=scalars), st.one_of(each)]
    drawn = [doc for kind in kinds for doc in draw(kind, EXAMPLES)]
    return drawn + [doc[: len(doc) // 2] for doc in drawn[::7]]  # and some cut short


async def seed(api: Api, signup: Any) -> tuple[list[Member], list[str], list[str]]:
    """Two members, each with posts that have comments, tags and votes; the members, the
    posts' global ids, and every global id (posts, comments, users)."""
    members = [await signup("fuzz_a"), await signup("fuzz_b")]
    posts, ids = [], [m.id for m in members]
    for n, member in enumerate(members):
        for p in range(2):
            created = await api.graphql(
                'mutation($t: String!) { createPost(input: {title: $t, content: "body",'
                ' tags: ["fuzz"]}) { id } }',
                {"t": f"post {n}.{p}"},
                token=member.token,
            )
            post_id = created["data"]["createPost"]["id"]
            comment = await api.graphql(
                'mutation($p: ID!) { addComment(input: {postId: $p, body: "hi"}) { id } }',
                {"p": post_id},
                token=members[1 - n].token,
            )
            await api.graphql("mutation($p: ID!) { vote(postId: $p, direction: UP) { id } }",
                              {"p": post_id}, token=members[1 - n].token)  # fmt: skip
            posts.append(post_id)
            ids += [post_id, comment["data"]["addComment"]["id"]]
    return members, posts, ids


def check_reply(document: str, status: int, payload: Any) -> None:
    assert status < 500, (status, document, payload)
    assert isinstance(payload, dict), (document, payload)
    for error in payload.get("errors", []):
        assert error.get("extensions", {}).get("code"), (document, error)
        assert not LEAKS.search(error["message"]), (document, error)
    if (cost := payload.get("extensions", {}).get("cost")) is not None:
        assert_bounded(cost)
        assert "Scan" not in cost.get("actual", {}).get("calls", {}), document


@pytest.mark.allow_scan  # the invariants' own Scan, after the run; each request is checked
async def test_generated_operations_answer_well(
    api: Api, signup: Any, client: DynamoDBClient, table_name: str
) -> None:
    members, posts, ids = await seed(api, signup)
    statuses: Counter[int] = Counter()
    codes: Counter[str] = Counter()
    written: Counter[str] = Counter()
    for n, document in enumerate(documents(posts, ids)):
        headers = {"content-type": "application/json", COST_HEADER: "1", "accept": ACCEPTS[n % 3]}
        if n % 2:  # every other one signed in, as either member
            headers["authorization"] = f"Bearer {members[n // 2 % 2].token}"
        body = json.dumps({"query": document}).encode()
        reply = await api.request("POST", "/graphql", body=body, headers=headers)
        payload = reply.json()
        check_reply(document, reply.status, payload)
        statuses[reply.status] += 1
        codes.update(e["extensions"]["code"] for e in payload.get("errors", []))
        if document.startswith("mutation") and payload.get("data"):
            written.update(list(payload["data"]))
    # The run reached the server's paths, not only its front door.
    assert statuses[200], statuses
    assert statuses[400], statuses
    assert {"BAD_USER_INPUT", "UNAUTHENTICATED"} <= set(codes), codes
    assert len(written) >= 3, written  # mutations that reached the table
    await assert_invariants(client, table_name)


async def assert_invariants(client: DynamoDBClient, table_name: str) -> None:
    """Counters equal items: each post's comment count, votes, score and tags are what its
    items say, and nothing belongs to a post that does not exist. (A Scan: tests only.)"""
    items: list[Model] = []
    paginator = client.get_paginator("scan")
    async for page in paginator.paginate(TableName=table_name, ConsistentRead=True):
        items += [decode(unmarshal_item(item)) for item in page["Items"]]
    posts = {m.id: m for m in items if isinstance(m, Post)}
    children: dict[str, list[Model]] = {}
    for m in items:
        if isinstance(m, Comment | Vote | TagLink | PostBody):
            children.setdefault(m.post_id, []).append(m)
    assert set(children) <= set(posts), "items of deleted posts remain"
    for post_id, post in posts.items():
        mine = children.get(post_id, [])
        votes = Counter(v.direction for v in mine if isinstance(v, Vote))
        assert post.comment_count == sum(isinstance(c, Comment) for c in mine), post
        assert (post.ups, post.downs) == (votes["UP"], votes["DOWN"]), (post, votes)
        assert post.score == score_of(post.ups, post.downs), post
        assert set(post.tags) == {t.tag for t in mine if isinstance(t, TagLink)}, post
        assert sum(isinstance(b, PostBody) for b in mine) == 1, post


@pytest.mark.allow_scan
async def test_the_invariants_catch_a_counter_that_drifted(
    api: Api, signup: Any, client: DynamoDBClient, table_name: str
) -> None:
    _, posts, _ = await seed(api, signup)
    await assert_invariants(client, table_name)
    (post_id,) = parse_typed_id(posts[0], "Post")
    await client.update_item(
        TableName=table_name,
        Key=key_attributes(Post.key_of(id=post_id)),
        UpdateExpression="ADD #count :one",
        ExpressionAttributeNames={"#count": Post.comment_count.name},
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    with pytest.raises(AssertionError, match="comment_count"):
        await assert_invariants(client, table_name)
