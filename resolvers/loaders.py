"""Per-request dataloaders: every read a resolver makes goes through one of these.

- `items` batches single-item loads into BatchGetItem (AP1, AP8, bodies, viewer links);
- `pages` de-duplicates list reads (the store's access patterns, as values) and runs the
  distinct Queries together, priming the items they return into `items` so no item is
  fetched twice.

All of a request's loaders dispatch together, in waves (waves.py). aiodataloader binds the
running event loop when constructed: build Loaders inside the request.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from model import Key, Page, Post, User
from model.declarations import Model
from store import CommentsByPost, ListQuery, Store
from store.tasks import settle

from .waves import WaveLoader, Waves

M = TypeVar("M", bound=Model)
T = TypeVar("T")


class Loaders:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.waves = Waves()
        # No max_batch_size: the store splits into BatchGetItem calls of 100 itself.
        self.items: WaveLoader[Key[Any], Model | None] = self.waves.loader(self._load_items)
        self.pages: WaveLoader[ListQuery[Any], Page[Any]] = self.waves.loader(self._load_pages)
        self.usernames: WaveLoader[str, User | None] = self.waves.loader(self._load_usernames)
        # (post id, first): the post and its first comments in one Query.
        self.posts_with_comments: WaveLoader[tuple[str, int], Post | None] = self.waves.loader(
            self._load_posts_with_comments
        )

    async def get(self, key: Key[M]) -> M | None:
        return cast(M | None, await self.items.load(key))

    async def page(self, query: ListQuery[T]) -> Page[T]:
        return cast(Page[T], await self.pages.load(query))

    async def _load_items(self, item_keys: list[Key[Any]]) -> list[Model | Exception | None]:
        # One BatchGetItem answers for all its keys: they succeed or fail together.
        return list(await self.store.get_many(item_keys))

    # Every batch answers key by key: one key's failure (a bad argument, a throttled Query)
    # fails that key's load only, never its batch-mates'.

    async def _load_pages(self, queries: list[ListQuery[Any]]) -> list[Page[Any] | Exception]:
        pages = await settle(*(self.store.page(q) for q in queries))
        for page in pages:
            if isinstance(page, Page):
                for entity in page.items:
                    if isinstance(entity, Model):
                        self.prime(entity)
        return pages

    async def _load_usernames(self, usernames: list[str]) -> list[User | Exception | None]:
        users = await settle(*(self.store.user_by_username(u) for u in usernames))
        for user in users:
            if isinstance(user, User):
                self.prime(user)
        return users

    async def _load_posts_with_comments(
        self, requests: list[tuple[str, int]]
    ) -> list[Post | Exception | None]:
        results = await settle(*(self.store.post_with_comments(p, n) for p, n in requests))
        posts: list[Post | Exception | None] = []
        for (post_id, first), result in zip(requests, results, strict=True):
            if isinstance(result, Exception):
                posts.append(result)
                continue
            post, body, page = result
            # What Post.comments(first) will ask the pages loader for: already here.
            self.pages.prime(CommentsByPost(post_id, first=first), page)
            for entity in (post, body, *page.items):
                if entity is not None:
                    self.prime(entity)
            posts.append(post)
        return posts

    def prime(self, entity: Model) -> None:
        self.items.prime(entity.read_key(), entity)
