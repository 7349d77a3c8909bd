"""Per-request dataloaders: every read a resolver makes goes through one of these.

- `items` batches single-item loads of one tick into BatchGetItem (AP1, AP8, viewer links);
- `queries` de-duplicates list reads and runs the distinct Queries of one tick concurrently,
  priming the items they return into `items` so no item is fetched twice.

All of a request's loaders dispatch together, in waves (waves.py). aiodataloader binds the
running event loop when constructed: build Loaders inside the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from store import Comment, Post, Store, User, keys
from store.keys import Key
from store.pagination import DEFAULT_PAGE_SIZE, Page
from store.tasks import gather

from .waves import WaveLoader, Waves


@dataclass(frozen=True)
class ListRead:
    """One list read: an access pattern, its argument and its page."""

    pattern: str  # a method of Store: posts_by_user, comments_by_post, all_posts, ...
    arg: str | None
    first: int = DEFAULT_PAGE_SIZE
    after: str | None = None


class Loaders:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.waves = Waves()
        # No max_batch_size: Store.get_many splits into BatchGetItem calls of 100 itself.
        self.items: WaveLoader[Key, Any] = self.waves.loader(self._load_items)
        self.queries: WaveLoader[ListRead, Any] = self.waves.loader(self._load_queries)
        self.usernames: WaveLoader[str, User | None] = self.waves.loader(self._load_usernames)
        # (post id, first): the post and its first comments in one Query.
        self.posts_with_comments: WaveLoader[tuple[str, int], Post | None] = self.waves.loader(
            self._load_posts_with_comments
        )

    async def _load_items(self, item_keys: list[Key]) -> list[Any]:
        return await self.store.get_many(item_keys)

    async def _load_queries(self, reads: list[ListRead]) -> list[Any]:
        pages = await gather(*(self._query(r) for r in reads))
        for page in pages:
            for item in page.items:
                self.prime(item)
        return list(pages)

    async def _query(self, read: ListRead) -> Page[Any]:
        method = getattr(self.store, read.pattern)
        args = () if read.arg is None else (read.arg,)
        page: Page[Any] = await method(*args, first=read.first, after=read.after)
        return page

    async def _load_usernames(self, usernames: list[str]) -> list[User | None]:
        users = await gather(*(self.store.user_by_username(u) for u in usernames))
        for user in users:
            self.prime(user)
        return list(users)

    async def _load_posts_with_comments(self, requests: list[tuple[str, int]]) -> list[Post | None]:
        results = await gather(*(self.store.post_with_comments(p, n) for p, n in requests))
        for (post_id, first), (post, page) in zip(requests, results, strict=True):
            # What Post.comments(first) will ask the queries loader for: already here.
            self.queries.prime(ListRead("comments_by_post", post_id, first), page)
            for comment in page.items:
                self.prime(comment)
            if post is not None:
                self.prime(post)
        return [post for post, _ in results]

    def prime(self, entity: Any) -> None:
        if isinstance(entity, Post):
            self.items.prime(keys.post_key(entity.id), entity)
        elif isinstance(entity, Comment):
            self.items.prime(keys.comment_key(entity.post_id, entity.id), entity)
        elif isinstance(entity, User):
            self.items.prime(keys.user_key(entity.id), entity)
