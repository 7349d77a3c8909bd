"""A write applied by DynamoDB whose answer is lost on the way back: botocore sends it again.
The client must be told what happened (success), never CONFLICT or 'already exists'.

Transactions carry botocore's ClientRequestToken, so DynamoDB answers the resent one as the
first (DynamoDB Local too); a single conditional write recognises its own change on the item
its failed condition returns (store/table.py, `retry_safe`)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, Member, make_token
from tests.api.test_contract import create_post
from tests.faults import AnswerLost

POST = "{ id title content version tags ups commentCount }"
COMMENTS = "query($p: ID!) { post(id: $p) { commentCount comments { edges { node { id } } } } }"


def client(api: Api) -> Any:
    return api.app.state.resources._store.table.client


async def mutate(api: Api, member: Member, operation: str, query: str, **variables: Any
                 ) -> dict[str, Any]:  # fmt: skip
    with AnswerLost(client(api), operation) as fault:
        result = await api.graphql(query, variables, token=member.token)
    assert fault.lost == 1, "the fault did not fire"
    assert "errors" not in result, result
    return result["data"]  # type: ignore[no-any-return]


async def test_update_post(api: Api, signup: Any) -> None:
    ada = await signup("ada")
    post = await create_post(api, ada, "old")
    update = f"mutation($i: UpdatePostInput!) {{ updatePost(input: $i) {POST} }}"
    data = await mutate(api, ada, "UpdateItem", update,
                        i={"id": post["id"], "expectedVersion": 1, "title": "new"})  # fmt: skip
    assert (data["updatePost"]["title"], data["updatePost"]["version"]) == ("new", 2)
    data = await mutate(api, ada, "TransactWriteItems", update,
                        i={"id": post["id"], "expectedVersion": 2, "content": "more"})  # fmt: skip
    assert (data["updatePost"]["content"], data["updatePost"]["version"]) == ("more", 3)
    # A stale version is still a conflict: only this write's own retry is recognised.
    stale = await api.graphql(update, {"i": {"id": post["id"], "expectedVersion": 2,
                                             "title": "new"}}, token=ada.token)  # fmt: skip
    assert stale["errors"][0]["extensions"]["code"] == "CONFLICT"


async def test_create_user_post_and_comment(api: Api, signup: Any) -> None:
    ada = await signup("ada")
    eve = Member("eve", make_token("auth0|eve"), "")
    create_user = 'mutation { createUser(input: {username: "eve"}) { username } }'
    created = await mutate(api, eve, "TransactWriteItems", create_user)
    assert created == {"createUser": {"username": "eve"}}
    made = await mutate(api, ada, "TransactWriteItems",
                        f"mutation($i: CreatePostInput!) {{ createPost(input: $i) {POST} }}",
                        i={"title": "once", "content": "c"})  # fmt: skip
    post_id = made["createPost"]["id"]
    mine = await api.graphql('{ user(username: "ada") { posts { edges { node { title } } } } }')
    assert mine["data"]["user"]["posts"]["edges"] == [{"node": {"title": "once"}}]
    comment = 'mutation($p: ID!) { addComment(input: {postId: $p, body: "hi"}) { id } }'
    added = await mutate(api, ada, "TransactWriteItems", comment, p=post_id)
    page = (await api.graphql(COMMENTS, {"p": post_id}))["data"]["post"]
    assert page["commentCount"] == 1
    assert [e["node"]["id"] for e in page["comments"]["edges"]] == [added["addComment"]["id"]]
    await mutate(api, ada, "TransactWriteItems", "mutation($c: ID!) { deleteComment(id: $c) }",
                 c=added["addComment"]["id"])  # fmt: skip
    page = (await api.graphql(COMMENTS, {"p": post_id}))["data"]["post"]
    assert (page["commentCount"], page["comments"]["edges"]) == (0, [])


@pytest.mark.parametrize(
    ("operation", "mutation", "expected"),
    [
        ("TransactWriteItems", "vote(postId: $p, direction: UP) { ups }", {"ups": 1}),
        ("TransactWriteItems", 'addTag(postId: $p, tag: "new") { tags }', {"tags": ["new", "t"]}),
        ("TransactWriteItems", 'removeTag(postId: $p, tag: "t") { tags }', {"tags": []}),
    ],
)
async def test_votes_and_tags(
    api: Api, signup: Any, operation: str, mutation: str, expected: dict[str, Any]
) -> None:
    ada = await signup("ada")
    post = await create_post(api, ada, tags=["t"])
    data = await mutate(api, ada, operation, f"mutation($p: ID!) {{ {mutation} }}", p=post["id"])
    assert next(iter(data.values())) == expected


async def test_delete_post(api: Api, signup: Any) -> None:
    ada = await signup("ada")
    post = await create_post(api, ada)
    data = await mutate(api, ada, "UpdateItem",
                        "mutation($p: ID!) { deletePost(id: $p, expectedVersion: 1) }",
                        p=post["id"])  # fmt: skip
    assert data == {"deletePost": post["id"]}
    gone = await api.graphql("query($p: ID!) { post(id: $p) { id } }", {"p": post["id"]})
    assert gone["data"] == {"post": None}
