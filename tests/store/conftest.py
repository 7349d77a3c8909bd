from __future__ import annotations

import itertools
import random
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from model import Post, TagLink, User, keys
from model.declarations import ENTITY, VERSION
from model.entities import POST_PARTITION, STORED_TAG_SORT, TAG_PARTITION
from model.limits import created_at
from model.templates import Segment
from store import Store

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
        post, _ = await store.create_post(author.id, title, "content", tags=tags)
        return post

    return make


async def legacy_posts(
    store: Store, author: User, count: int, tags: tuple[str, ...] = (), version: int = 1
) -> list[Post]:
    """Posts as a table of `version` held them, imported with BatchWriteItem, as data written
    before the model changed (or loaded from elsewhere) arrives: one item holding the content,
    listed on GSI1 by itself; no `score` before version 2."""
    rng = random.Random(count)
    posts, items = [], []
    for i in range(count):
        post_id = keys.new_id()
        stamp = created_at(post_id)
        ups, downs = rng.randrange(0, 30), rng.randrange(0, 10)
        post = Post(id=post_id, author_id=author.id, title=f"legacy {i}", content="c", tags=tags,
                    ups=ups, downs=downs, version=1, comment_count=0, created_at=stamp,
                    updated_at=stamp, score=ups - downs)  # fmt: skip
        item = post.item()
        item[keys.GSI1.sk] = POST_PARTITION.build(post_id=post_id)  # its own entry on GSI1
        if version < 2:
            del item[Post.score.name]
        item[VERSION] = version
        posts.append(post)
        items.append(item)
        items.extend(tag_item_unchecked(post.id, tag) for tag in tags)
    await store.table.put_items(items)
    return posts


def tag_item_unchecked(post_id: str, tag: str) -> dict[str, Any]:
    """A tag item as an importer wrote it, whatever the case of the tag."""
    anything = Segment(lambda value: value)
    return {
        keys.TABLE.pk: POST_PARTITION.build(post_id=post_id),
        keys.TABLE.sk: STORED_TAG_SORT.build(tag=tag),
        keys.GSI1.pk: TAG_PARTITION.relaxed(tag=anything).build(tag=tag),
        keys.GSI1.sk: POST_PARTITION.build(post_id=post_id),
        ENTITY: TagLink.entity,
        VERSION: 1,
        TagLink.post_id.name: post_id,
        TagLink.tag.name: tag,
    }
