from __future__ import annotations

import itertools
import random
from collections.abc import Awaitable, Callable

import pytest

from store import Post, Store, User, keys
from store.items import post_item
from store.writes import created_at

_names = itertools.count()

MakeUser = Callable[..., Awaitable[User]]
MakePost = Callable[..., Awaitable[Post]]


@pytest.fixture
def make_user(store: Store) -> MakeUser:
    async def make(username: str | None = None, subject: str | None = None) -> User:
        n = next(_names)
        return await store.create_user(subject or f"sub-{n}", username or f"user_{n}")

    return make


@pytest.fixture
def make_post(store: Store) -> MakePost:
    async def make(author: User, title: str = "a post", tags: tuple[str, ...] = ()) -> Post:
        return await store.create_post(author.id, title, "content", tags=tags)

    return make


async def legacy_posts(
    store: Store, author: User, count: int, tags: tuple[str, ...] = (), version: int = 1
) -> list[Post]:
    """Posts as a version-1 table holds them (no `score`), imported with BatchWriteItem, as
    data written before the model changed, or loaded from elsewhere, arrives."""
    rng = random.Random(count)
    posts, items = [], []
    for i in range(count):
        post_id = keys.new_id()
        stamp = created_at(post_id)
        ups, downs = rng.randrange(0, 30), rng.randrange(0, 10)
        post = Post(post_id, author.id, f"legacy {i}", "c", None, tags, ups, downs, 1, 0,
                    stamp, stamp)  # fmt: skip
        item = post_item(post)
        if version < 2:
            del item["score"]
        item["schemaVersion"] = version
        posts.append(post)
        items.append(item)
        items.extend(tag_item_unchecked(post.id, tag) for tag in tags)
    await store.table.put_items(items)
    return posts


def tag_item_unchecked(post_id: str, tag: str) -> dict[str, object]:
    """A tag item as an importer wrote it, whatever the case of the tag."""
    key = keys.stored_tag_key(post_id, tag)
    return {"PK": key.pk, "SK": key.sk, "GSI1PK": f"TAG#{tag}", "GSI1SK": f"POST#{post_id}",
            "entity": "TagLink", "schemaVersion": 1, "postId": post_id, "tag": tag}  # fmt: skip
