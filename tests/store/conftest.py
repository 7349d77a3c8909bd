from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable

import pytest

from store import Post, Store, User

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
