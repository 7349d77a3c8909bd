"""Each mutation, through the API, puts exactly its events on the stream: what changed, with
the entity's shape before and after as the API itself answers it."""

from __future__ import annotations

from typing import Any

from changes.events import normalize
from tests.api.conftest import Api, Member
from tests.events.conftest import Event, Tap, summary

HEAD = "id title url tags ups downs version commentCount score createdAt updatedAt author { id }"
HEAD_FIELDS = ("authorId", "commentCount", "createdAt", "downs", "score", "tags", "title",
               "updatedAt", "ups", "url", "version")  # fmt: skip
COMMENT_FIELDS = ("authorId", "body", "createdAt", "postId")
VOTE_FIELDS = ("direction", "postId", "userId")

CREATE_POST = f"mutation($i: CreatePostInput!) {{ createPost(input: $i) {{ {HEAD} content }} }}"
UPDATE_POST = f"mutation($i: UpdatePostInput!) {{ updatePost(input: $i) {{ {HEAD} content }} }}"
VOTE = f"mutation($p: ID!, $d: VoteDirection!) {{ vote(postId: $p, direction: $d) {{ {HEAD} }} }}"
ADD_TAG = f"mutation($p: ID!, $t: String!) {{ addTag(postId: $p, tag: $t) {{ {HEAD} }} }}"
REMOVE_TAG = f"mutation($p: ID!, $t: String!) {{ removeTag(postId: $p, tag: $t) {{ {HEAD} }} }}"
ADD_COMMENT = (
    "mutation($i: AddCommentInput!) { addComment(input: $i)"
    " { id body createdAt post { id } author { id } } }"
)
DELETE_COMMENT = "mutation($id: ID!) { deleteComment(id: $id) }"
DELETE_POST = "mutation($id: ID!, $v: Int!) { deletePost(id: $id, expectedVersion: $v) }"
POST = f"query($id: ID!) {{ post(id: $id) {{ {HEAD} }} }}"


async def mutate(api: Api, member: Member, query: str, **variables: Any) -> Any:
    result = await api.graphql(query, variables, token=member.token)
    assert "errors" not in result, result
    (value,) = result["data"].values()
    return value


def head_shape(post: dict[str, Any]) -> dict[str, Any]:
    """A post as the API answered it, as its head's events show it."""
    shape = {k: v for k, v in post.items() if k not in ("author", "content")}
    return {**shape, "authorId": post["author"]["id"]}


def only(events: list[Event], **match: Any) -> Event:
    (found,) = [e for e in events if all(e[k] == v for k, v in match.items())]
    return found


async def new_post(api: Api, author: Member, tap: Tap, **fields: Any) -> dict[str, Any]:
    post: dict[str, Any] = await mutate(
        api, author, CREATE_POST, i={"title": "t", "content": "c", **fields}
    )
    await tap.events()
    return post


async def test_create_user_is_one_event(events_api: Api, join: Any, tap: Tap) -> None:
    ada = await join("ada")
    events = await tap.events()
    assert summary(events) == [("User", "created", ("bio", "createdAt", "displayName",
                                                     "username"), "api")]  # fmt: skip
    user = await events_api.graphql(
        'query { user(username: "ada") { id username displayName bio createdAt } }'
    )
    (event,) = events
    assert event["entityId"] == ada.id
    assert (event["before"], event["after"]) == (None, user["data"]["user"])
    # The username claim and the identity link were written too: internal, no events.
    assert len(await tap.records()) == 0


async def test_create_and_update_post(events_api: Api, join: Any, tap: Tap) -> None:
    ada = await join("ada")
    await tap.events()
    inputs = {"title": "Hello", "content": "Body", "url": "https://a.example", "tags": ["b", "a"]}
    created = await mutate(events_api, ada, CREATE_POST, i=inputs)
    events = await tap.events()
    assert summary(events) == [("Post", "created", HEAD_FIELDS, "api"),
                               ("Post", "updated", ("content",), "api")]  # fmt: skip
    head, body = only(events, change="created"), only(events, changed=["content"])
    assert (head["before"], head["after"]) == (None, head_shape(created))
    assert (body["before"], body["after"]) == (
        {"id": created["id"]},  # no body before: the content was not known
        {"id": created["id"], "content": "Body"},
    )

    change = {"id": created["id"], "expectedVersion": 1, "title": "Hi", "url": ""}
    updated = await mutate(events_api, ada, UPDATE_POST, i=change)
    (event,) = await tap.events()
    assert event["changed"] == ["title", "updatedAt", "url", "version"]
    assert (event["before"], event["after"]) == (head_shape(created), head_shape(updated))

    change = {"id": created["id"], "expectedVersion": 2, "content": "New body"}
    again = await mutate(events_api, ada, UPDATE_POST, i=change)
    events = await tap.events()
    assert summary(events) == [("Post", "updated", ("content",), "api"),
                               ("Post", "updated", ("updatedAt", "version"), "api")]  # fmt: skip
    body = only(events, changed=["content"])
    assert body["before"] == {"id": created["id"], "content": "Body"}
    assert body["after"] == {"id": created["id"], "content": "New body"}
    assert only(events, changed=["updatedAt", "version"])["after"] == head_shape(again)


async def test_votes(events_api: Api, join: Any, tap: Tap) -> None:
    ada, bob = await join("ada"), await join("bob")
    post = await new_post(events_api, ada, tap)
    vote_id_shape = {"postId": post["id"], "userId": bob.id}

    up = await mutate(events_api, bob, VOTE, p=post["id"], d="UP")
    events = await tap.events()
    assert summary(events) == [("Post", "updated", ("score", "ups"), "api"),
                               ("Vote", "created", VOTE_FIELDS, "api")]  # fmt: skip
    vote = only(events, entity="Vote")
    assert vote["after"] == {"id": vote["entityId"], **vote_id_shape, "direction": "UP"}
    assert only(events, entity="Post")["after"] == head_shape(up)

    await mutate(events_api, bob, VOTE, p=post["id"], d="DOWN")
    events = await tap.events()
    assert summary(events) == [("Post", "updated", ("downs", "score", "ups"), "api"),
                               ("Vote", "updated", ("direction",), "api")]  # fmt: skip
    vote = only(events, entity="Vote")
    assert (vote["before"]["direction"], vote["after"]["direction"]) == ("UP", "DOWN")

    await mutate(events_api, bob, VOTE, p=post["id"], d="NONE")
    events = await tap.events()
    assert summary(events) == [("Post", "updated", ("downs", "score"), "api"),
                               ("Vote", "deleted", VOTE_FIELDS, "api")]  # fmt: skip
    assert only(events, entity="Vote")["after"] is None

    await mutate(events_api, bob, VOTE, p=post["id"], d="NONE")  # nothing to withdraw
    assert await tap.events() == []


async def test_tags(events_api: Api, join: Any, tap: Tap) -> None:
    ada = await join("ada")
    post = await new_post(events_api, ada, tap, tags=["a"])
    tagged = await mutate(events_api, ada, ADD_TAG, p=post["id"], t="web-dev")
    (event,) = await tap.events()  # the tag's own item (a TagLink) is internal
    assert (event["change"], event["changed"]) == ("updated", ["tags", "updatedAt", "version"])
    assert (event["before"]["tags"], event["after"]["tags"]) == (["a"], ["a", "web-dev"])
    assert event["after"] == head_shape(tagged)

    await mutate(events_api, ada, ADD_TAG, p=post["id"], t="web-dev")  # already there
    assert await tap.events() == []

    await mutate(events_api, ada, REMOVE_TAG, p=post["id"], t="a")
    (event,) = await tap.events()
    assert (event["changed"], event["after"]["tags"]) == (["tags", "updatedAt", "version"],
                                                          ["web-dev"])  # fmt: skip
    await mutate(events_api, ada, REMOVE_TAG, p=post["id"], t="a")  # already gone
    assert await tap.events() == []


async def test_comments(events_api: Api, join: Any, tap: Tap) -> None:
    ada, bob = await join("ada"), await join("bob")
    post = await new_post(events_api, ada, tap)
    comment = await mutate(events_api, bob, ADD_COMMENT, i={"postId": post["id"], "body": "Hi"})
    events = await tap.events()
    assert summary(events) == [("Comment", "created", COMMENT_FIELDS, "api"),
                               ("Post", "updated", ("commentCount",), "api")]  # fmt: skip
    assert only(events, entity="Comment")["after"] == {
        "id": comment["id"],
        "body": "Hi",
        "createdAt": comment["createdAt"],
        "postId": post["id"],
        "authorId": bob.id,
    }
    assert only(events, entity="Post")["after"]["commentCount"] == 1

    await mutate(events_api, ada, DELETE_COMMENT, id=comment["id"])  # the post's author may
    events = await tap.events()
    assert summary(events) == [("Comment", "deleted", COMMENT_FIELDS, "api"),
                               ("Post", "updated", ("commentCount",), "api")]  # fmt: skip
    assert only(events, entity="Comment")["before"]["body"] == "Hi"


async def test_delete_post_with_its_cascade(events_api: Api, join: Any, tap: Tap) -> None:
    ada, bob = await join("ada"), await join("bob")
    post = await new_post(events_api, ada, tap, tags=["a", "b"])
    for member in (ada, bob):
        await mutate(events_api, member, VOTE, p=post["id"], d="UP")
        await mutate(events_api, member, ADD_COMMENT, i={"postId": post["id"], "body": "x"})
    await tap.events()
    last = (await events_api.graphql(POST, {"id": post["id"]}))["data"]["post"]

    await mutate(events_api, ada, DELETE_POST, id=post["id"], v=1)
    records = await tap.records()
    events = [e for e in map(normalize, records) if e is not None]
    assert summary(events) == [
        ("Comment", "deleted", COMMENT_FIELDS, "api"),
        ("Comment", "deleted", COMMENT_FIELDS, "api"),
        ("Post", "deleted", HEAD_FIELDS, "api"),
        ("Vote", "deleted", VOTE_FIELDS, "api"),
        ("Vote", "deleted", VOTE_FIELDS, "api"),
    ]
    deleted = only(events, entity="Post")
    assert (deleted["before"], deleted["after"]) == (head_shape(last), None)
    # The mark came first; then the sweep's removals: body, author link, two tags, two
    # comments, two votes and at last the head. Only comments and votes are events.
    first = records[0]
    assert (first["eventName"], first["dynamodb"]["Keys"]["SK"]["S"]) == ("MODIFY", "#POST")
    assert len(records) == 1 + 9
    assert events[0]["entity"] == "Post"  # stream order: the post went first
