"""The read access patterns AP1-AP9 (docs/data-model.md): one request pattern each, no Scan."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from . import keys
from .attrs import Item
from .codecs import decode
from .entities import Comment, Entity, Post, SubjectLink, TagLink, User, Vote
from .errors import InvalidInput
from .keys import GSI1, GSI2, GSI3, PK, SK, TABLE, Index, Key
from .pagination import DEFAULT_PAGE_SIZE, Page, check_page_size, decode_cursor, encode_cursor
from .table import Expr, Table
from .tasks import gather

E = TypeVar("E", bound=Entity)

# Set on a post while delete_post removes its item collection: readers treat it as gone.
DELETING = "deleting"


def _cursor_attributes(index: Index) -> list[str]:
    return list(dict.fromkeys([PK, SK, index.pk, index.sk]))


class Reads:
    def __init__(self, table: Table) -> None:
        self.table = table

    # AP1: users, posts, comments (and any other item) by key, many at once.
    async def get_many(self, item_keys: Sequence[Key], consistent: bool = False) -> list[Any]:
        """Entities in the order asked for; None where absent. One BatchGetItem per 100."""
        found = await self.table.get_items(item_keys, consistent)
        return [_visible(found.get(k)) for k in item_keys]

    async def get(self, key: Key, consistent: bool = False) -> Any:
        return (await self.get_many([key], consistent))[0]

    # AP2: a user by username, case-insensitively.
    async def user_by_username(self, username: str) -> User | None:
        items, _ = await self.table.query(GSI1, keys.username_partition(username), limit=1)
        return _visible(items[0]) if items else None

    async def user_id_for_subject(self, subject: str) -> str | None:
        link = await self.get(keys.subject_key(subject))
        return link.user_id if isinstance(link, SubjectLink) else None

    # AP3: a user's posts, newest first.
    async def posts_by_user(
        self, user_id: str, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Page[Post]:
        partition = keys.owner_partition(user_id)
        return await self._page(GSI1, partition, keys.POST_PREFIX, False, first, after)

    # AP4: a post's comments, oldest first: one Query on the post's item collection.
    async def comments_by_post(
        self, post_id: str, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Page[Comment]:
        partition = keys.post_partition(post_id)
        return await self._page(TABLE, partition, keys.COMMENT_PREFIX, True, first, after)

    async def post_with_comments(
        self, post_id: str, first: int = DEFAULT_PAGE_SIZE
    ) -> tuple[Post | None, Page[Comment]]:
        """AP1 + AP4 in one Query: the post heads its item collection, its comments follow.

        The page is the same as comments_by_post(post_id, first) returns, cursors included.
        """
        check_page_size(first)
        expr = Expr()
        condition = (
            f"{expr.name(SK)} BETWEEN {expr.value(keys.POST_SK)}"
            f" AND {expr.value(keys.COMMENT_PREFIX + '~')}"  # "~" sorts after any ULID
        )
        items, _ = await self.table.query(
            TABLE, keys.post_partition(post_id), condition=condition, expr=expr, limit=first + 2
        )
        post = _visible(items.pop(0)) if items and items[0][SK] == keys.POST_SK else None
        return post, _to_page(items, first, _cursor_attributes(TABLE))

    # AP5: a user's comments, newest first.
    async def comments_by_user(
        self, user_id: str, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Page[Comment]:
        partition = keys.owner_partition(user_id)
        return await self._page(GSI1, partition, keys.COMMENT_PREFIX, False, first, after)

    # AP9: a user's posts by score, highest first (GSI3, added by migration 0001).
    async def top_posts_by_user(
        self, user_id: str, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Page[Post]:
        partition = keys.owner_partition(user_id)
        return await self._page(GSI3, partition, None, False, first, after)

    # AP6: all posts, newest first: one Query per feed shard, concurrently, merged.
    async def all_posts(
        self, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Page[Post]:
        check_page_size(first)
        before = None
        if after is not None:
            before = keys.check_id(decode_cursor(after, [GSI2.sk])[GSI2.sk], "cursor")

        async def shard(n: int) -> list[Item]:
            expr = Expr()
            condition = f"{expr.name(GSI2.sk)} < {expr.value(before)}" if before else None
            partition = keys.feed_partition(n)
            items, _ = await self.table.query(
                GSI2, partition, condition=condition, expr=expr, forward=False, limit=first + 1
            )
            return items

        shards = await gather(*(shard(n) for n in range(keys.FEED_SHARDS)))
        merged = sorted((i for s in shards for i in s), key=lambda i: i[GSI2.sk], reverse=True)
        page = merged[:first]
        return Page(
            [_visible(i) for i in page],
            [encode_cursor({GSI2.sk: i[GSI2.sk]}) for i in page],
            len(merged) > first,
        )

    # AP7: posts with a tag, newest first (post ids; the posts are one BatchGetItem away).
    async def post_ids_by_tag(
        self, tag: str, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Page[str]:
        partition = keys.tag_partition(tag)
        links: Page[TagLink] = await self._page(
            GSI1, partition, keys.POST_PREFIX, False, first, after
        )
        return Page([link.post_id for link in links.items], links.cursors, links.has_next_page)

    # AP8: a user's vote on a post.
    async def user_vote(self, post_id: str, user_id: str) -> Vote | None:
        vote: Vote | None = await self.get(keys.vote_key(post_id, user_id))
        return vote

    async def _page(
        self,
        index: Index,
        partition: str,
        prefix: str | None,
        forward: bool,
        first: int,
        after: str | None,
    ) -> Page[E]:
        check_page_size(first)
        attributes = _cursor_attributes(index)
        start = None
        if after is not None:
            start = decode_cursor(after, attributes)
            in_list = start[index.pk] == partition and (
                prefix is None or str(start[index.sk]).startswith(prefix)
            )
            if not in_list:
                raise InvalidInput("cursor does not belong to this list")
        expr = Expr()
        condition = f"begins_with({expr.name(index.sk)}, {expr.value(prefix)})" if prefix else None
        items, _ = await self.table.query(
            index, partition, condition=condition, expr=expr, forward=forward,
            limit=first + 1, start=start,
        )  # fmt: skip
        return _to_page(items, first, attributes)


def _to_page(items: list[Item], first: int, attributes: list[str]) -> Page[Any]:
    """The first `first` of up to first + 1 items (one more means a next page exists)."""
    page = items[:first]
    return Page(
        [_visible(i) for i in page],
        [encode_cursor({a: i[a] for a in attributes}) for i in page],
        len(items) > first,
    )


def _visible(item: Mapping[str, Any] | None) -> Any:
    if item is None or item.get(DELETING):
        return None
    return decode(item)
