"""The GraphQL object types and their field resolvers.

Every relation is read through the request's loaders: a level of the query costs one
BatchGetItem for its distinct items plus its distinct Queries, issued together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from enum import Enum
from typing import Any, Generic, TypeVar, overload

import strawberry
from strawberry.types import Info

import model
import store
from cost import rules as c
from model import keys
from model.ids import global_id
from model.pagination import DEFAULT_PAGE_SIZE, Page, check_page_size
from store import ListQuery
from store.tasks import gather

from .context import Context
from .internals import resolve_info
from .lookahead import nodes_load_only

N = TypeVar("N")
T = TypeVar("T")
Ctx = Info[Context, None]


@strawberry.interface(description="An object with an opaque global id that node(id) resolves.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


class Cursors(Sequence[str]):
    """A page's cursors, signed for its list: each made only when a client selects it (an
    encoding and an HMAC per edge, which most pages are read without)."""

    def __init__(self, info: Ctx, list_id: str, page: Page[Any]) -> None:
        self._sign = info.context.cursors.sign
        self._list_id = list_id
        self._page = page

    def __len__(self) -> int:
        return len(self._page.positions)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        return self._sign(self._list_id, self._page.cursor(index))


def _edge_cursor(root: Edge[Any]) -> str:
    return root.cursors[root.index]


@strawberry.type
class Edge(Generic[N]):
    cursor: str = strawberry.field(resolver=_edge_cursor)
    node: N
    cursors: strawberry.Private[Sequence[str]]  # the page's, of which this edge's is
    index: strawberry.Private[int]


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
    assert len(nodes) == len(page.positions)  # a node (or None) for each item
    cursors = Cursors(info, list_id, page)
    edges = [
        Edge(cursors=cursors, index=index, node=node)
        for index, node in enumerate(nodes)
        if node is not None
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            end_cursor=cursors[-1] if cursors else None,
        ),
    )


async def list_field(
    info: Ctx, query: ListQuery[Any], node: Callable[[Any], Post | Comment]
) -> Connection[Any]:
    """A list field: the page through the loaders, as a connection of `node(item)`."""
    page = await read_list(info, query)
    nodes = [node(item) for item in page.items]
    await preload_authors(info, nodes)
    return connection(info, list_id(query), page, nodes)


async def posts_field(info: Ctx, query: ListQuery[str]) -> Connection[Post]:
    """A list of post ids (AP3, AP7) as a connection of the posts, loaded in one batch."""
    page = await read_list(info, query)
    posts = await gather(*(info.context.loaders.get(model.Post.key_of(id=i)) for i in page.items))
    nodes = [Post.of(p) if p else None for p in posts]
    await preload_authors(info, [n for n in nodes if n is not None])
    return connection(info, list_id(query), page, nodes)


async def preload_authors(info: Ctx, nodes: Sequence[Post | Comment]) -> None:
    """The nodes' authors loaded by their list when they ask for nothing else that loads
    (lookahead.py), in the wave their own fields would have loaded them in: each `author`
    field then answers without awaiting."""
    # graphql-core's info (Strawberry's wraps it): the field's nodes and the fragments.
    if not nodes or not nodes_load_only(resolve_info(info), "author"):
        return
    loads = [info.context.loaders.items.load(model.User.key_of(id=n.author_id)) for n in nodes]
    await asyncio.wait(loads)
    for node, load in zip(nodes, loads, strict=True):
        if not load.cancelled():
            load.exception()  # seen here, even if the field never runs; it raises it again
        node.loaded_author = load


def author_field(info: Ctx, node: Post | Comment) -> User | Awaitable[User | None] | None:
    """A node's author: the one its list loaded, or a load of its own."""
    if node.loaded_author is None:
        return load_user(info, node.author_id)
    user = node.loaded_author.result()  # a failed load fails this field alone
    return User.of(user) if isinstance(user, model.User) else None


def list_id(query: ListQuery[Any]) -> str:
    """What a cursor is bound to: the list, whatever the page."""
    return repr(replace(query, first=0, after=None))


async def load_user(info: Ctx, user_id: str) -> User | None:
    user = await info.context.loaders.get(model.User.key_of(id=user_id))
    return User.of(user) if user else None


async def load_post(info: Ctx, post_id: str) -> Post | None:
    post = await info.context.loaders.get(model.Post.key_of(id=post_id))
    return Post.of(post) if post else None


async def read_list(info: Ctx, query: ListQuery[T]) -> Page[T]:
    """Checks the client's arguments (the page size, the cursor's signature), then loads the
    page: a bad argument fails this field before anything is queued."""
    check_page_size(query.first)
    after = info.context.cursors.verify(list_id(query), query.after) if query.after else None
    return await info.context.loaders.page(replace(query, after=after))


@strawberry.type
class User(Node):
    username: str
    display_name: str
    bio: str
    created_at: datetime
    user_id: strawberry.Private[str]

    @classmethod
    def of(cls, user: model.User) -> User:
        return cls(
            id=strawberry.ID(global_id("User", user.id)),
            username=user.username,
            display_name=user.display_name,
            bio=user.bio,
            created_at=_time(user.created_at),
            user_id=user.id,
        )

    @strawberry.field(
        description="The user's posts, newest first.",
        metadata=c.cost(c.ids_then_items(model.Post, model.AuthorLink, keys.GSI1)),
    )
    async def posts(
        self, info: Ctx, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Post]:
        return await posts_field(info, store.PostsByUser(self.user_id, first=first, after=after))

    @strawberry.field(
        description="The user's posts by score (ups - downs), highest first.",
        metadata=c.cost(c.page(model.Post, keys.GSI3)),
    )
    async def top_posts(
        self, info: Ctx, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Post]:
        query = store.TopPostsByUser(self.user_id, first=first, after=after)
        return await list_field(info, query, Post.of)

    @strawberry.field(
        description="The user's comments, newest first.",
        metadata=c.cost(c.page(model.Comment, keys.GSI1)),
    )
    async def comments(
        self, info: Ctx, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Comment]:
        query = store.CommentsByUser(self.user_id, first=first, after=after)
        return await list_field(info, query, Comment.of)


@strawberry.type
class Post(Node):
    title: str
    url: str | None
    tags: list[str]
    ups: int
    downs: int
    version: int
    comment_count: int
    score: int = strawberry.field(description="ups - downs")
    created_at: datetime
    updated_at: datetime
    post_id: strawberry.Private[str]
    author_id: strawberry.Private[str]
    # A head written before schema v4 still holds the content; later ones keep it in the body.
    old_content: strawberry.Private[str | None]
    loaded_author: strawberry.Private[asyncio.Future[Any] | None] = None  # by its list

    @classmethod
    def of(cls, post: model.Post) -> Post:
        return cls(
            id=strawberry.ID(global_id("Post", post.id)),
            title=post.title,
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
            old_content=post.content,
        )

    @strawberry.field(metadata=c.cost(c.content))
    async def content(self, info: Ctx) -> str:
        if self.old_content is not None:
            return self.old_content
        body = await info.context.loaders.get(model.PostBody.key_of(post_id=self.post_id))
        return body.content if body else ""

    @strawberry.field(metadata=c.cost(c.item(model.User)), graphql_type=User | None)
    def author(self, info: Ctx) -> User | Awaitable[User | None] | None:
        return author_field(info, self)

    @strawberry.field(
        description="The post's comments, oldest first.", metadata=c.cost(c.comments_page)
    )
    async def comments(
        self, info: Ctx, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Comment]:
        query = store.CommentsByPost(self.post_id, first=first, after=after)
        return await list_field(info, query, Comment.of)

    @strawberry.field(
        description="The caller's vote on this post; null for anonymous callers.",
        metadata=c.cost(c.viewers(model.Vote)),
    )
    async def viewer_vote(self, info: Ctx) -> VoteDirection | None:
        viewer_id = await info.context.viewer_id()
        if viewer_id is None:
            return None
        vote = await info.context.loaders.get(
            model.Vote.key_of(post_id=self.post_id, user_id=viewer_id)
        )
        return VoteDirection(vote.direction) if vote else VoteDirection.NONE


@strawberry.type
class Comment(Node):
    body: str
    created_at: datetime
    post_id: strawberry.Private[str]
    author_id: strawberry.Private[str]
    loaded_author: strawberry.Private[asyncio.Future[Any] | None] = None  # by its list

    @classmethod
    def of(cls, comment: model.Comment) -> Comment:
        return cls(
            id=strawberry.ID(global_id("Comment", comment.post_id, comment.id)),
            body=comment.body,
            created_at=_time(comment.created_at),
            post_id=comment.post_id,
            author_id=comment.author_id,
        )

    @strawberry.field(metadata=c.cost(c.item(model.Post)))
    async def post(self, info: Ctx) -> Post | None:
        return await load_post(info, self.post_id)

    @strawberry.field(metadata=c.cost(c.item(model.User)), graphql_type=User | None)
    def author(self, info: Ctx) -> User | Awaitable[User | None] | None:
        return author_field(info, self)
