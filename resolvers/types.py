"""The GraphQL object types and their field resolvers.

Every relation is read through the request's loaders: a level of the query costs one
BatchGetItem for its distinct items plus its distinct Queries, issued together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.types import Info

import store
from store import keys
from store.pagination import DEFAULT_PAGE_SIZE, Page
from store.writes import (
    MAX_BIO,
    MAX_BODY,
    MAX_CONTENT,
    MAX_DISPLAY_NAME,
    MAX_TAGS,
    MAX_TITLE,
    MAX_URL,
)

from . import cost as c
from .context import Context
from .ids import global_id
from .loaders import ListRead

N = TypeVar("N")
Ctx = Info[Context, None]


@strawberry.interface(description="An object with an opaque global id that node(id) resolves.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[N]):
    cursor: str
    node: N


@strawberry.type
class Connection(Generic[N]):
    edges: list[Edge[N]] = strawberry.field(metadata=c.cost(c.edges))
    page_info: PageInfo


@strawberry.enum
class VoteDirection(Enum):
    UP = "UP"
    DOWN = "DOWN"
    NONE = "NONE"


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def connection(
    info: Ctx, list_id: str, page: Page[Any], nodes: Sequence[object | None]
) -> Connection[Any]:
    """Edges with signed cursors; nodes that vanished since the list was read are skipped."""
    sign = info.context.cursors.sign
    edges = [
        Edge(cursor=sign(list_id, cursor), node=node)
        for cursor, node in zip(page.cursors, nodes, strict=True)
        if node is not None
    ]
    end = page.end_cursor
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            end_cursor=sign(list_id, end) if end is not None else None,
        ),
    )


async def list_field(
    info: Ctx, list_id: str, read: ListRead, node: Callable[[Any], object]
) -> Connection[Any]:
    """A list field: the page through the loaders, as a connection of `node(item)`."""
    page = await read_list(info, list_id, read)
    return connection(info, list_id, page, [node(item) for item in page.items])


async def load_user(info: Ctx, user_id: str) -> User | None:
    user = await info.context.loaders.items.load(keys.user_key(user_id))
    return User.of(user) if user else None


async def load_post(info: Ctx, post_id: str) -> Post | None:
    post = await info.context.loaders.items.load(keys.post_key(post_id))
    return Post.of(post) if post else None


async def read_list(info: Ctx, list_id: str, read: ListRead) -> Page[Any]:
    """Verifies the client's cursor for `list_id` and loads the page."""
    after = info.context.cursors.verify(list_id, read.after) if read.after else None
    page: Page[Any] = await info.context.loaders.queries.load(
        ListRead(read.pattern, read.arg, read.first, after)
    )
    return page


@strawberry.type
class User(Node):
    username: str = strawberry.field(metadata=c.cost(characters=keys.MAX_USERNAME))
    display_name: str = strawberry.field(metadata=c.cost(characters=MAX_DISPLAY_NAME))
    bio: str = strawberry.field(metadata=c.cost(characters=MAX_BIO))
    created_at: datetime
    user_id: strawberry.Private[str]

    @classmethod
    def of(cls, user: store.User) -> User:
        return cls(
            id=strawberry.ID(global_id("User", user.id)),
            username=user.username,
            display_name=user.display_name,
            bio=user.bio,
            created_at=_time(user.created_at),
            user_id=user.id,
        )

    @strawberry.field(
        description="The user's posts, newest first.", metadata=c.cost(c.page("Post", "GSI1"))
    )
    async def posts(
        self, info: Ctx, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Post]:
        read = ListRead("posts_by_user", self.user_id, first, after)
        return await list_field(info, f"User.posts:{self.user_id}", read, Post.of)

    @strawberry.field(
        description="The user's posts by score (ups - downs), highest first.",
        metadata=c.cost(c.page("Post", "GSI3")),
    )
    async def top_posts(
        self, info: Ctx, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Post]:
        read = ListRead("top_posts_by_user", self.user_id, first, after)
        return await list_field(info, f"User.topPosts:{self.user_id}", read, Post.of)

    @strawberry.field(
        description="The user's comments, newest first.",
        metadata=c.cost(c.page("Comment", "GSI1")),
    )
    async def comments(
        self, info: Ctx, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Comment]:
        read = ListRead("comments_by_user", self.user_id, first, after)
        return await list_field(info, f"User.comments:{self.user_id}", read, Comment.of)


@strawberry.type
class Post(Node):
    title: str = strawberry.field(metadata=c.cost(characters=MAX_TITLE))
    content: str = strawberry.field(metadata=c.cost(characters=MAX_CONTENT))
    url: str | None = strawberry.field(metadata=c.cost(characters=MAX_URL))
    tags: list[str] = strawberry.field(metadata=c.cost(characters=keys.MAX_TAG, items=MAX_TAGS))
    ups: int
    downs: int
    version: int
    comment_count: int
    score: int = strawberry.field(description="ups - downs")
    created_at: datetime
    updated_at: datetime
    post_id: strawberry.Private[str]
    author_id: strawberry.Private[str]

    @classmethod
    def of(cls, post: store.Post) -> Post:
        return cls(
            id=strawberry.ID(global_id("Post", post.id)),
            title=post.title,
            content=post.content,
            url=post.url,
            tags=list(post.tags),
            ups=post.ups,
            downs=post.downs,
            version=post.version,
            comment_count=post.comment_count,
            score=post.score,
            created_at=_time(post.created_at),
            updated_at=_time(post.updated_at),
            post_id=post.id,
            author_id=post.author_id,
        )

    @strawberry.field(metadata=c.cost(c.item("User")))
    async def author(self, info: Ctx) -> User | None:
        return await load_user(info, self.author_id)

    @strawberry.field(
        description="The post's comments, oldest first.", metadata=c.cost(c.comments_page)
    )
    async def comments(
        self, info: Ctx, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Comment]:
        read = ListRead("comments_by_post", self.post_id, first, after)
        return await list_field(info, f"Post.comments:{self.post_id}", read, Comment.of)

    @strawberry.field(
        description="The caller's vote on this post; null for anonymous callers.",
        metadata=c.cost(c.viewers("Vote")),
    )
    async def viewer_vote(self, info: Ctx) -> VoteDirection | None:
        viewer_id = await info.context.viewer_id()
        if viewer_id is None:
            return None
        vote = await info.context.loaders.items.load(keys.vote_key(self.post_id, viewer_id))
        return VoteDirection(vote.direction) if vote else VoteDirection.NONE


@strawberry.type
class Comment(Node):
    body: str = strawberry.field(metadata=c.cost(characters=MAX_BODY))
    created_at: datetime
    post_id: strawberry.Private[str]
    author_id: strawberry.Private[str]

    @classmethod
    def of(cls, comment: store.Comment) -> Comment:
        return cls(
            id=strawberry.ID(global_id("Comment", comment.post_id, comment.id)),
            body=comment.body,
            created_at=_time(comment.created_at),
            post_id=comment.post_id,
            author_id=comment.author_id,
        )

    @strawberry.field(metadata=c.cost(c.item("Post")))
    async def post(self, info: Ctx) -> Post | None:
        return await load_post(info, self.post_id)

    @strawberry.field(metadata=c.cost(c.item("User")))
    async def author(self, info: Ctx) -> User | None:
        return await load_user(info, self.author_id)
