"""Every access pattern against DynamoDB Local: results, order, pages, and its call cost."""

from __future__ import annotations

import asyncio

import pytest

from cost.meter import Usage
from model import Comment, InvalidInput, Post, User, keys
from store import AllPosts, CommentsByPost, CommentsByUser, PostIdsByTag, PostsByUser, Store
from tests.store.conftest import MakePost, MakeUser


async def _all_pages(fetch, first: int) -> tuple[list[str], int]:  # type: ignore[no-untyped-def]
    """Follows endCursor to the end; returns item ids and the number of pages."""
    ids: list[str] = []
    after, pages = None, 0
    while True:
        page = await fetch(first=first, after=after)
        pages += 1
        ids += [i if isinstance(i, str) else i.id for i in page.items]
        if not page.has_next_page:
            return ids, pages
        after = page.end_cursor


async def test_ap1_get_many_mixes_entities_in_one_batch(
    store: Store, make_user: MakeUser, make_post: MakePost, calls: Usage
) -> None:
    user = await make_user()
    post = await make_post(user)
    comment = await store.add_comment(user.id, post.id, "hi")
    calls.clear()
    found = await store.get_many([
        Comment.key_of(post_id=post.id, id=comment.id), User.key_of(id=user.id),
        Post.key_of(id=post.id),
    ])  # fmt: skip
    assert found == [comment, user, post.replace(comment_count=1)]
    assert calls.counts == {"BatchGetItem": 1}


async def test_ap2_user_by_username_is_case_insensitive(
    store: Store, make_user: MakeUser, calls: Usage
) -> None:
    user = await make_user("Ada_Lovelace")
    calls.clear()
    assert await store.user_by_username("ada_lovelace") == user
    assert await store.user_by_username("ADA_LOVELACE") == user
    assert await store.user_by_username("nobody") is None
    assert calls.counts == {"Query": 3}


async def test_ap3_posts_by_user_newest_first_across_pages(
    store: Store, make_user: MakeUser, make_post: MakePost, calls: Usage
) -> None:
    author, other = await make_user(), await make_user()
    posts = [await make_post(author, f"p{i}") for i in range(7)]
    await make_post(other)
    calls.clear()
    ids, pages = await _all_pages(lambda **kw: store.page(PostsByUser(author.id, **kw)), first=3)
    assert ids == [p.id for p in reversed(posts)]
    assert pages == 3
    assert calls.counts == {"Query": 3}  # one Query per page


async def test_ap4_comments_by_post_oldest_first_in_one_query(
    store: Store, make_user: MakeUser, make_post: MakePost, calls: Usage
) -> None:
    user = await make_user()
    post, other_post = await make_post(user), await make_post(user)
    comments = [await store.add_comment(user.id, post.id, f"c{i}") for i in range(5)]
    await store.add_comment(user.id, other_post.id, "elsewhere")
    await store.vote(user.id, post.id, "UP")  # same item collection: must not show up
    await store.add_tag(user.id, post.id, "zzz")
    calls.clear()
    page = await store.page(CommentsByPost(post.id, first=10))
    assert [c.id for c in page.items] == [c.id for c in comments]
    assert not page.has_next_page
    assert calls.counts == {"Query": 1}
    ids, pages = await _all_pages(lambda **kw: store.page(CommentsByPost(post.id, **kw)), first=2)
    assert ids == [c.id for c in comments]
    assert pages == 3


async def test_ap5_comments_by_user_newest_first(
    store: Store, make_user: MakeUser, make_post: MakePost
) -> None:
    alice, bob = await make_user(), await make_user()
    post = await make_post(bob)
    mine = [await store.add_comment(alice.id, post.id, f"c{i}") for i in range(4)]
    await store.add_comment(bob.id, post.id, "not alice")
    ids, pages = await _all_pages(lambda **kw: store.page(CommentsByUser(alice.id, **kw)), first=3)
    assert ids == [c.id for c in reversed(mine)]
    assert pages == 2


async def test_ap6_all_posts_newest_first_merged_over_shards(
    store: Store, make_user: MakeUser, make_post: MakePost, calls: Usage
) -> None:
    user = await make_user()
    posts = [await make_post(user, f"p{i}") for i in range(13)]
    assert len({keys.feed_shard(p.id) for p in posts}) > 1  # really spread
    calls.clear()
    ids, pages = await _all_pages(lambda **kw: store.page(AllPosts(**kw)), first=5)
    assert ids == [p.id for p in reversed(posts)]
    assert pages == 3
    # One Query per shard per page, the shards concurrently: one round trip a page.
    assert calls.counts == {"Query": 3 * keys.FEED_SHARDS}
    assert calls.round_trips == 3


async def test_ap7_posts_by_tag_newest_first(
    store: Store, make_user: MakeUser, make_post: MakePost, calls: Usage
) -> None:
    user = await make_user()
    tagged = [await make_post(user, f"p{i}", tags=("python", "aws")) for i in range(5)]
    await make_post(user, tags=("aws",))
    calls.clear()
    ids, pages = await _all_pages(lambda **kw: store.page(PostIdsByTag("python", **kw)), first=2)
    assert ids == [p.id for p in reversed(tagged)]
    assert pages == 3
    assert calls.counts == {"Query": 3}
    assert len((await store.page(PostIdsByTag("aws", first=100))).items) == 6


async def test_ap8_a_users_vote_on_a_post(
    store: Store, make_user: MakeUser, make_post: MakePost, calls: Usage
) -> None:
    user, other = await make_user(), await make_user()
    post = await make_post(user)
    assert await store.user_vote(post.id, user.id) is None
    await store.vote(user.id, post.id, "DOWN")
    calls.clear()
    vote = await store.user_vote(post.id, user.id)
    assert vote is not None
    assert vote.direction == "DOWN"
    assert await store.user_vote(post.id, other.id) is None
    assert calls.counts == {"BatchGetItem": 2}


async def test_cursor_of_another_list_is_refused(
    store: Store, make_user: MakeUser, make_post: MakePost
) -> None:
    alice, bob = await make_user(), await make_user()
    for _ in range(2):
        await make_post(alice)
        await make_post(bob)
    alices = await store.page(PostsByUser(alice.id, first=1))
    after = alices.end_cursor
    assert after is not None
    with pytest.raises(InvalidInput, match="cursor"):
        await store.page(PostsByUser(bob.id, first=1, after=after))
    with pytest.raises(InvalidInput, match="cursor"):
        await store.page(AllPosts(first=1, after=after))
    with pytest.raises(InvalidInput, match="cursor"):
        await store.page(CommentsByUser(alice.id, first=1, after=after))


async def test_a_page_ending_exactly_at_the_end_has_no_next_page(
    store: Store, make_user: MakeUser, make_post: MakePost
) -> None:
    user = await make_user()
    for _ in range(4):
        await make_post(user)
    page = await store.page(PostsByUser(user.id, first=4))
    assert len(page.items) == 4
    assert not page.has_next_page
    feed = await store.page(AllPosts(first=4))
    assert len(feed.items) == 4
    assert not feed.has_next_page


async def test_reads_run_concurrently_on_one_client(
    store: Store, make_user: MakeUser, make_post: MakePost
) -> None:
    user = await make_user()
    await make_post(user)
    pages = await asyncio.gather(*(store.page(PostsByUser(user.id)) for _ in range(20)))
    assert all(len(p.items) == 1 for p in pages)
