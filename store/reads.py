"""The read access patterns AP1-AP9 (docs/data-model.md): one request pattern each, no Scan.

The list patterns are values (`CommentsByPost(post_id, first=20)`): the API's loaders
de-duplicate them, and each knows its own Query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any, Generic, TypeVar, cast

from model.attrs import Item
from model.declarations import Key, Model, decode
from model.entities import (
    COMMENT_SORT,
    FEED_PARTITION,
    POST_BODY_SORT,
    POST_HEAD_SORT,
    POST_PAGE_RANGE,
    POST_PARTITION,
    TAG_PARTITION,
    USER_PARTITION,
    USERNAME_PARTITION,
    AuthorLink,
    Comment,
    Post,
    PostBody,
    SubjectLink,
    TagLink,
    User,
    Vote,
)
from model.errors import InvalidInput
from model.keys import FEED_SHARDS, GSI1, GSI2, GSI3, TABLE, check_id
from model.pagination import DEFAULT_PAGE_SIZE, Page, check_page_size, decode_cursor

from .table import Table, begins_with, below, between
from .tasks import gather

M = TypeVar("M", bound=Model)
T = TypeVar("T")


def visible(item: Mapping[str, Any] | None) -> Model | None:
    """The entity an item holds; None for a post being deleted (readers treat it as gone)."""
    if item is None or item.get(Post.deleting.name):
        return None
    return decode(item)


def _cursor_attributes(index: Any) -> list[str]:
    return list(dict.fromkeys([TABLE.pk, TABLE.sk, index.pk, index.sk]))


def _to_page(items: list[Item], first: int, attributes: list[str], value: Any) -> Page[Any]:
    """The first `first` of up to first + 1 items (one more means a next page exists)."""
    page = items[:first]
    return Page(
        [value(i) for i in page],
        [{a: i[a] for a in attributes} for i in page],
        len(items) > first,
    )


@dataclass(frozen=True)
class ListQuery(Generic[T]):
    """A page of one list access pattern."""

    _: KW_ONLY
    first: int = DEFAULT_PAGE_SIZE
    after: str | None = None

    async def run(self, table: Table) -> Page[T]:
        raise NotImplementedError

    async def _page(
        self, table: Table, index: Any, partition: str, prefix: str | None, forward: bool,
        value: Any = visible,
    ) -> Page[T]:  # fmt: skip
        check_page_size(self.first)
        attributes = _cursor_attributes(index)
        start = None
        if self.after is not None:
            start = decode_cursor(self.after, attributes)
            in_list = start[index.pk] == partition and (
                prefix is None or str(start[index.sk]).startswith(prefix)
            )
            if not in_list:
                raise InvalidInput("cursor does not belong to this list")
        items, _ = await table.query(
            index, partition, sort=begins_with(prefix) if prefix else None, forward=forward,
            limit=self.first + 1, start=start,
        )  # fmt: skip
        page: Page[T] = _to_page(items, self.first, attributes, value)
        return page


def _post_id(item: Item) -> str:
    """A post's entry in a GSI1 list: its author link, its tag link, or (until migration
    0003 has run) its head."""
    entity = decode(item)
    if isinstance(entity, AuthorLink | TagLink):
        return entity.post_id
    assert isinstance(entity, Post)
    return entity.id


@dataclass(frozen=True)
class PostsByUser(ListQuery[str]):
    """AP3: a user's post ids, newest first (the posts are a BatchGetItem away)."""

    user_id: str

    async def run(self, table: Table) -> Page[str]:
        partition = USER_PARTITION.build(user_id=self.user_id)
        return await self._page(table, GSI1, partition, POST_PARTITION.prefix, False, _post_id)


@dataclass(frozen=True)
class TopPostsByUser(ListQuery[Post]):
    """AP9: a user's posts by score, highest first (GSI3 holds the small heads)."""

    user_id: str

    async def run(self, table: Table) -> Page[Post]:
        partition = USER_PARTITION.build(user_id=self.user_id)
        return await self._page(table, GSI3, partition, None, False)


@dataclass(frozen=True)
class CommentsByPost(ListQuery[Comment]):
    """AP4: a post's comments, oldest first: one Query on the post's item collection."""

    post_id: str

    async def run(self, table: Table) -> Page[Comment]:
        partition = POST_PARTITION.build(post_id=self.post_id)
        return await self._page(table, TABLE, partition, COMMENT_SORT.prefix, True)


@dataclass(frozen=True)
class CommentsByUser(ListQuery[Comment]):
    """AP5: a user's comments, newest first."""

    user_id: str

    async def run(self, table: Table) -> Page[Comment]:
        partition = USER_PARTITION.build(user_id=self.user_id)
        return await self._page(table, GSI1, partition, COMMENT_SORT.prefix, False)


@dataclass(frozen=True)
class PostIdsByTag(ListQuery[str]):
    """AP7: the ids of the posts with a tag, newest first."""

    tag: str

    async def run(self, table: Table) -> Page[str]:
        partition = TAG_PARTITION.build(tag=self.tag)
        return await self._page(table, GSI1, partition, POST_PARTITION.prefix, False, _post_id)


@dataclass(frozen=True)
class AllPosts(ListQuery[Post]):
    """AP6: all posts, newest first: one Query per feed shard, concurrently, merged."""

    async def run(self, table: Table) -> Page[Post]:
        check_page_size(self.first)
        before = None
        if self.after is not None:
            before = check_id(decode_cursor(self.after, [GSI2.sk])[GSI2.sk], "cursor")

        async def shard(n: int) -> list[Item]:
            items, _ = await table.query(
                GSI2, FEED_PARTITION.build(shard=n), sort=below(before) if before else None,
                forward=False, limit=self.first + 1,
            )  # fmt: skip
            return items

        shards = await gather(*(shard(n) for n in range(FEED_SHARDS)))
        merged = sorted((i for s in shards for i in s), key=lambda i: i[GSI2.sk], reverse=True)
        page = merged[: self.first]
        return Page(
            [cast(Post, visible(i)) for i in page],
            [{GSI2.sk: i[GSI2.sk]} for i in page],
            len(merged) > self.first,
        )


class Reads:
    def __init__(self, table: Table) -> None:
        self.table = table

    # AP1: users, posts, comments (any item) by key, many at once.
    async def get_many(
        self, item_keys: Sequence[Key[Any]], consistent: bool = False
    ) -> list[Model | None]:
        """Entities in the order asked for; None where absent. One BatchGetItem per 100."""
        found = await self.table.get_items(item_keys, consistent)
        return [visible(found.get(k)) for k in item_keys]

    async def get(self, key: Key[M], consistent: bool = False) -> M | None:
        entity = (await self.get_many([key], consistent))[0]
        return cast(M | None, entity)

    async def page(self, query: ListQuery[T]) -> Page[T]:
        return await query.run(self.table)

    # AP2: a user by username, case-insensitively.
    async def user_by_username(self, username: str) -> User | None:
        items, _ = await self.table.query(
            GSI1, USERNAME_PARTITION.build(username=username), limit=1
        )
        return cast(User | None, visible(items[0])) if items else None

    async def user_id_for_subject(self, subject: str) -> str | None:
        link = await self.get(SubjectLink.key_of(subject=subject))
        return link.user_id if link is not None else None

    # AP1 + AP4 in one Query: the head, then the body, lead the post's collection.
    async def post_with_comments(
        self, post_id: str, first: int = DEFAULT_PAGE_SIZE
    ) -> tuple[Post | None, PostBody | None, Page[Comment]]:
        """The page is the one CommentsByPost(post_id, first=first) returns, cursors included."""
        check_page_size(first)
        items, _ = await self.table.query(
            TABLE, POST_PARTITION.build(post_id=post_id),
            sort=between(*POST_PAGE_RANGE),
            limit=first + 3,
        )  # fmt: skip
        post = body = None
        if items and items[0][TABLE.sk] == POST_HEAD_SORT.pattern:
            post = cast(Post | None, visible(items.pop(0)))
        if items and items[0][TABLE.sk] == POST_BODY_SORT.pattern:
            body = PostBody.decode(items.pop(0))
        if post is None:
            body = None
        return post, body, _to_page(items, first, _cursor_attributes(TABLE), visible)

    # AP8: a user's vote on a post.
    async def user_vote(self, post_id: str, user_id: str) -> Vote | None:
        return await self.get(Vote.key_of(post_id=post_id, user_id=user_id))
