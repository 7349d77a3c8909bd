"""Writes: uniqueness, owner rules, optimistic versions, concurrency, cascades, validation."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from model import (
    AlreadyExists,
    Forbidden,
    InvalidInput,
    NotFound,
    Post,
    PostBody,
    Unavailable,
    VersionConflict,
    Vote,
    keys,
)
from model.attrs import unmarshal_item
from model.entities import POST_PARTITION
from store import AllPosts, CommentsByUser, PostIdsByTag, PostsByUser, Store, writes
from tests.faults import Throttled
from tests.store.conftest import MakePost, MakeUser

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


async def _all_items(client: DynamoDBClient, table: str) -> list[dict[str, Any]]:
    """Every item in the table: the one place tests may Scan, to prove nothing is left."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        response = await client.scan(**params)
        items += [unmarshal_item(i) for i in response["Items"]]
        if "LastEvaluatedKey" not in response:
            return items
        params["ExclusiveStartKey"] = response["LastEvaluatedKey"]


# Users


async def test_usernames_are_unique_whatever_the_case(store: Store, make_user: MakeUser) -> None:
    await make_user("Grace")
    with pytest.raises(AlreadyExists, match="taken"):
        await make_user("gRACE")


async def test_one_profile_per_identity(store: Store, make_user: MakeUser) -> None:
    await make_user(subject="auth0|42")
    with pytest.raises(AlreadyExists, match="identity"):
        await make_user(subject="auth0|42")
    user = await make_user(subject="auth0#42")  # a separator in a subject breaks nothing
    assert await store.user_id_for_subject("auth0#42") == user.id
    assert await store.user_id_for_subject("auth0%2342") is None


async def test_concurrent_signups_for_one_username_exactly_one_wins(store: Store) -> None:
    results = await asyncio.gather(
        *(store.create_user(f"s{i}", "popular") for i in range(10)), return_exceptions=True
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, AlreadyExists) for r in results if isinstance(r, Exception))


async def test_failed_signup_leaves_nothing_behind(
    store: Store, make_user: MakeUser, client: DynamoDBClient, table_name: str
) -> None:
    await make_user("taken")
    with pytest.raises(AlreadyExists):
        await make_user("taken", subject="newcomer")
    assert await store.user_id_for_subject("newcomer") is None  # all-or-nothing


@pytest.mark.parametrize(
    ("username", "display_name", "bio"),
    [("a#b", None, ""), ("ok_name", "x" * 101, ""), ("ok_name", None, "x" * 1001)],
)
async def test_user_input_is_validated(
    store: Store, username: str, display_name: str | None, bio: str
) -> None:
    with pytest.raises(InvalidInput):
        await store.create_user("s", username, display_name, bio)


# Posts


async def test_create_post_needs_an_existing_author(store: Store) -> None:
    with pytest.raises(NotFound, match="profile"):
        await store.create_post(keys.new_id(), "t", "c")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"title": ""},
        {"title": "x" * 201},
        {"content": "x" * 50_001},
        {"url": "javascript:alert(1)"},
        {"tags": ["Upper"]},
        {"tags": [f"t{i}" for i in range(11)]},
    ],
)
async def test_post_input_is_validated(
    store: Store, make_user: MakeUser, kwargs: dict[str, Any]
) -> None:
    user = await make_user()
    args = {"title": "t", "content": "c", **kwargs}
    with pytest.raises(InvalidInput):
        await store.create_post(user.id, **args)


async def test_limits_apply_to_the_stored_value(store: Store, make_user: MakeUser) -> None:
    user = await make_user()
    post, _ = await store.create_post(user.id, "a" + " " * 100_000, "a" + " " * 400_000)
    body = await store.get(PostBody.key_of(post_id=post.id))
    assert (post.title, body and body.content) == ("a", "a")
    updated = await store.update_post(user.id, post.id, 1, title=" b ", content="\n\nc\n")
    body = await store.get(PostBody.key_of(post_id=post.id))
    assert (updated.title, body and body.content) == ("b", "c")
    comment = await store.add_comment(user.id, post.id, "  hi  ")
    assert comment.body == "  hi"  # text keeps its first line's indentation
    profile = await store.create_user("s2", "spaced", "  Ada  ", " bio \n")
    assert (profile.display_name, profile.bio) == ("Ada", " bio")


@pytest.mark.parametrize("title", ["a\x00", "a\nb", "\ud800", "a" * 201])
async def test_control_characters_and_surrogates_are_refused(
    store: Store, make_user: MakeUser, title: str
) -> None:
    user = await make_user()
    with pytest.raises(InvalidInput, match="title"):
        await store.create_post(user.id, title, "c")
    with pytest.raises(InvalidInput, match="content"):
        await store.create_post(user.id, "t", "a\ud800")


async def test_large_post_within_limits_is_stored(store: Store, make_user: MakeUser) -> None:
    user = await make_user()
    content = "\U0001f600" * 50_000  # 200 KB of 4-byte characters
    post, _ = await store.create_post(user.id, "big", content)
    body = await store.get(PostBody.key_of(post_id=post.id))
    assert body is not None
    assert body.content == content
    assert post.content is None  # the head stays small: the content is in the body


async def test_update_post_bumps_version_and_checks_it(
    store: Store, make_user: MakeUser, make_post: MakePost
) -> None:
    user = await make_user()
    post, _ = await store.create_post(user.id, "t", "c", url="https://example.org/a")
    updated = await store.update_post(user.id, post.id, 1, title="new", url="")
    assert (updated.title, updated.url, updated.version) == ("new", None, 2)
    assert updated.updated_at >= post.updated_at
    updated = await store.update_post(user.id, post.id, 2, content="new content")
    assert updated.version == 3
    body = await store.get(PostBody.key_of(post_id=post.id), consistent=True)
    assert body is not None
    assert body.content == "new content"
    with pytest.raises(VersionConflict):
        await store.update_post(user.id, post.id, 1, title="stale")
    with pytest.raises(InvalidInput, match="nothing"):
        await store.update_post(user.id, post.id, 3)


async def test_only_the_author_updates_and_missing_posts_are_not_found(
    store: Store, make_user: MakeUser, make_post: MakePost
) -> None:
    author, other = await make_user(), await make_user()
    post = await make_post(author)
    with pytest.raises(Forbidden):
        await store.update_post(other.id, post.id, 1, title="mine now")
    with pytest.raises(NotFound):
        await store.update_post(author.id, keys.new_id(), 1, title="x")
    with pytest.raises(Forbidden):
        await store.update_post(other.id, post.id, 1, content="mine now")


async def test_two_updates_with_the_same_expected_version_exactly_one_wins(
    store: Store, make_user: MakeUser, make_post: MakePost
) -> None:
    user = await make_user()
    post = await make_post(user)
    results = await asyncio.gather(
        *(store.update_post(user.id, post.id, 1, title=f"t{i}") for i in range(2)),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert [type(r) for r in results if isinstance(r, BaseException)] == [VersionConflict]
    assert (await _post(store, post.id)).version == 2


async def test_identical_updates_in_the_same_millisecond_still_conflict(
    store: Store, make_user: MakeUser, make_post: MakePost, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A double submit: the same edit, at the same time. The item the loser finds holds
    exactly the fields it set, but not its write id: a conflict, not a success."""
    monkeypatch.setattr(writes, "now", lambda: "2026-11-21T00:00:00.000Z")
    user = await make_user()
    post = await make_post(user)
    results = await asyncio.gather(
        *(store.update_post(user.id, post.id, 1, title="same") for _ in range(2)),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Post", "VersionConflict"]


# Tags


async def test_tags_add_and_remove_idempotently(
    store: Store, make_user: MakeUser, make_post: MakePost
) -> None:
    user = await make_user()
    post = await make_post(user, tags=("a",))
    post = await store.add_tag(user.id, post.id, "b")
    assert post.tags == ("a", "b")
    assert post.version == 2
    again = await store.add_tag(user.id, post.id, "b")
    assert again == post  # nothing changed, not even the version
    post = await store.remove_tag(user.id, post.id, "a")
    assert post.tags == ("b",)
    assert await store.remove_tag(user.id, post.id, "a") == post
    assert (await store.page(PostIdsByTag("a"))).items == []
    assert (await store.page(PostIdsByTag("b"))).items == [post.id]


async def test_tag_rules(store: Store, make_user: MakeUser, make_post: MakePost) -> None:
    author, other = await make_user(), await make_user()
    post = await make_post(author, tags=tuple(f"t{i}" for i in range(10)))
    with pytest.raises(InvalidInput, match="at most"):
        await store.add_tag(author.id, post.id, "eleventh")
    with pytest.raises(Forbidden):
        await store.add_tag(other.id, post.id, "x")
    with pytest.raises(Forbidden):
        await store.remove_tag(other.id, post.id, "t1")
    with pytest.raises(NotFound):
        await store.add_tag(author.id, keys.new_id(), "x")
    with pytest.raises(InvalidInput):
        await store.add_tag(author.id, post.id, "Bad")


# Votes


async def test_vote_transitions_keep_counts_equal_to_vote_items(
    store: Store, make_user: MakeUser, make_post: MakePost
) -> None:
    user = await make_user()
    post = await make_post(user)
    steps = [("UP", 1, 0), ("UP", 1, 0), ("DOWN", 0, 1), (None, 0, 0), ("DOWN", 0, 1)]
    for direction, ups, downs in steps:
        post = await store.vote(user.id, post.id, direction)  # type: ignore[arg-type]
        assert (post.ups, post.downs) == (ups, downs)
    with pytest.raises(NotFound):
        await store.vote(user.id, keys.new_id(), "UP")


async def test_fifty_users_voting_at_once_count_fifty(
    store: Store, make_user: MakeUser, make_post: MakePost
) -> None:
    users = await asyncio.gather(*(make_user() for _ in range(50)))
    post = await make_post(users[0])
    await asyncio.gather(*(store.vote(u.id, post.id, "UP") for u in users))
    post = await _post(store, post.id)
    assert (post.ups, post.downs) == (50, 0)


async def test_one_user_racing_votes_keeps_one_vote(
    store: Store, make_user: MakeUser, make_post: MakePost
) -> None:
    user = await make_user()
    post = await make_post(user)
    directions = ["UP", "DOWN", None, "UP", "DOWN"] * 4
    await asyncio.gather(*(store.vote(user.id, post.id, d) for d in directions))  # type: ignore[arg-type]
    post = await _post(store, post.id)
    vote = await store.get(Vote.key_of(post_id=post.id, user_id=user.id), consistent=True)
    expected = (int(vote is not None and vote.direction == "UP"),
                int(vote is not None and vote.direction == "DOWN"))  # fmt: skip
    assert (post.ups, post.downs) == expected


# Comments


async def test_comment_count_follows_adds_and_deletes(
    store: Store, make_user: MakeUser, make_post: MakePost
) -> None:
    author, reader, stranger = await make_user(), await make_user(), await make_user()
    post = await make_post(author)
    first = await store.add_comment(reader.id, post.id, "one")
    second = await store.add_comment(reader.id, post.id, "two")
    await asyncio.gather(*(store.add_comment(stranger.id, post.id, "x") for _ in range(10)))
    assert (await _post(store, post.id)).comment_count == 12
    with pytest.raises(Forbidden):
        await store.delete_comment(stranger.id, post.id, first.id)
    await store.delete_comment(reader.id, post.id, first.id)  # its author
    await store.delete_comment(author.id, post.id, second.id)  # the post's author
    with pytest.raises(NotFound):
        await store.delete_comment(reader.id, post.id, first.id)
    assert (await _post(store, post.id)).comment_count == 10
    with pytest.raises(NotFound):
        await store.add_comment(reader.id, keys.new_id(), "orphan?")
    with pytest.raises(InvalidInput):
        await store.add_comment(reader.id, post.id, "   ")


# Delete cascade


async def _populated_post(store: Store, make_user: MakeUser, make_post: MakePost) -> Any:
    author, reader = await make_user(), await make_user()
    post = await make_post(author, tags=("a", "b"))
    for i in range(30):
        await store.add_comment(reader.id if i % 2 else author.id, post.id, f"c{i}")
    await store.vote(reader.id, post.id, "UP")
    await store.vote(author.id, post.id, "DOWN")
    return author, reader, post


@pytest.mark.allow_scan
async def test_delete_post_leaves_no_orphans(
    store: Store, make_user: MakeUser, make_post: MakePost, client: DynamoDBClient,
    table_name: str,
) -> None:  # fmt: skip
    author, reader, post = await _populated_post(store, make_user, make_post)
    keep = await make_post(author, tags=("a",))
    before = await _all_items(client, table_name)
    with pytest.raises(Forbidden):
        await store.delete_post(reader.id, post.id, 1)
    with pytest.raises(VersionConflict):
        await store.delete_post(author.id, post.id, 7)
    await store.delete_post(author.id, post.id, 1)
    after = await _all_items(client, table_name)
    assert not [i for i in after if i[keys.TABLE.pk] == POST_PARTITION.build(post_id=post.id)]
    assert not [i for i in after if post.id in str(i)]  # no index entry anywhere either
    # Head, body, author link, comments, votes, tags.
    assert len(before) - len(after) == 3 + 30 + 2 + 2
    assert (await store.page(PostIdsByTag("a"))).items == [keep.id]
    assert (await store.page(CommentsByUser(reader.id))).items == []
    with pytest.raises(NotFound):
        await store.delete_post(author.id, post.id, 1)


async def test_delete_post_interrupted_then_retried_completes(
    store: Store, make_user: MakeUser, make_post: MakePost, client: DynamoDBClient
) -> None:
    author, reader, post = await _populated_post(store, make_user, make_post)
    with Throttled(client, "BatchWriteItem", times=1), pytest.raises(Unavailable):
        await store.delete_post(author.id, post.id, 1)
    # Half-deleted: already invisible to readers, and closed to new children.
    assert await store.get(Post.key_of(id=post.id), consistent=True) is None
    assert (await store.page(AllPosts())).items == []
    for listed in (await store.page(PostsByUser(author.id))).items:  # a link not swept yet
        assert await store.get(Post.key_of(id=listed)) is None
    with pytest.raises(NotFound):
        await store.add_comment(reader.id, post.id, "late")
    with pytest.raises(NotFound):
        await store.vote(reader.id, post.id, "DOWN")
    # The retry finishes the sweep even though the mark is already set.
    await store.delete_post(author.id, post.id, 1)
    items, _ = await store.table.query(
        keys.TABLE, POST_PARTITION.build(post_id=post.id), limit=100, consistent=True
    )
    assert items == []


async def _post(store: Store, post_id: str) -> Post:
    post = await store.get(Post.key_of(id=post_id), consistent=True)
    assert post is not None
    return post
