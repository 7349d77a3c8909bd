"""Query root fields."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from graphql import GraphQLObjectType
from graphql.execution.collect_fields import FieldDetails, FragmentDetails, collect_subfields
from graphql.execution.values import VariableValues, get_argument_values

import model
import store
from cost import rules as c
from cost.rules import PostRead, post_read
from model import InvalidInput, keys
from model.ids import parse_global_id, parse_typed_id
from model.pagination import DEFAULT_PAGE_SIZE

from .internals import resolve_info
from .types import (
    Comment,
    Connection,
    Ctx,
    Node,
    Post,
    User,
    list_field,
    load_post,
    load_user,
    posts_field,
)


async def load_node(info: Ctx, node_id: str) -> Node | None:
    type_name, parts = parse_global_id(node_id)
    if type_name == "User" and len(parts) == 1:
        return await load_user(info, parts[0])
    if type_name == "Post" and len(parts) == 1:
        return await load_post(info, parts[0])
    if type_name == "Comment" and len(parts) == 2:
        post_id, comment_id = parts
        comment = await info.context.loaders.get(
            model.Comment.key_of(post_id=post_id, id=comment_id)
        )
        return Comment.of(comment) if comment else None
    raise InvalidInput("malformed id")


def _post_read(info: Ctx) -> PostRead:
    """Look-ahead: the post's subfields as graphql-core collects them for execution
    (fragments, aliases, @skip and @include, variables), as the prediction sees them too."""
    raw = resolve_info(info)
    post_type = raw.schema.get_type("Post")
    assert isinstance(post_type, GraphQLObjectType)
    fragments = {name: FragmentDetails(d) for name, d in raw.fragments.items()}
    details = [FieldDetails(node, None) for node in raw.field_nodes]
    # Strawberry's execution gives resolvers the coerced values alone; their sources matter
    # only to fragment variables, which this API's documents cannot declare.
    variables = VariableValues({}, raw.variable_values)  # type: ignore[arg-type]
    collected = collect_subfields(raw.schema, fragments, variables, raw.operation, post_type,
                                  details)  # fmt: skip
    selected: dict[str, list[dict[str, Any]]] = {}
    for found in collected.grouped_field_set.values():
        name = found[0].node.name.value
        arguments: dict[str, Any] = {}
        if name == "comments":  # the only one whose arguments decide the read
            definition = post_type.fields[name]
            arguments = get_argument_values(definition, found[0].node, variables)
        selected.setdefault(name, []).append(arguments)
    return post_read(selected)


@strawberry.type
class Query:
    @strawberry.field(description="Any object by its global id.", metadata=c.cost(c.node))
    async def node(self, info: Ctx, id: strawberry.ID) -> Node | None:
        return await load_node(info, id)

    @strawberry.field(
        description="A user by global id or by username (case-insensitive).",
        metadata=c.cost(c.user_lookup),
    )
    async def user(
        self, info: Ctx, id: strawberry.ID | None = None, username: str | None = None
    ) -> User | None:
        if (id is None) == (username is None):
            raise InvalidInput("give exactly one of id and username")
        if id is not None:
            return await load_user(info, parse_typed_id(id, "User")[0])
        assert username is not None
        keys.check_username(username)
        found = await info.context.loaders.usernames.load(username.lower())
        return User.of(found) if found else None

    @strawberry.field(
        description="The signed-in caller's profile; null if anonymous or none.",
        metadata=c.cost(c.viewers(model.User)),
    )
    async def viewer(self, info: Ctx) -> User | None:
        user_id = await info.context.viewer_id()
        return await load_user(info, user_id) if user_id else None

    @strawberry.field(metadata=c.cost(c.post))
    async def post(self, info: Ctx, id: strawberry.ID) -> Post | None:
        (post_id,) = parse_typed_id(id, "Post")
        read = _post_read(info)
        if read.comments is not None:
            # One Query for the post, its body and the comments it shows.
            post = await info.context.loaders.posts_with_comments.load((post_id, read.comments))
            return Post.of(post) if post else None
        if read.content:
            # The head and the body in the same batch.
            loaders = info.context.loaders
            head, _ = await asyncio.gather(
                loaders.get(model.Post.key_of(id=post_id)),
                loaders.get(model.PostBody.key_of(post_id=post_id)),
            )
            return Post.of(head) if head else None
        return await load_post(info, post_id)

    @strawberry.field(
        description="All posts, newest first.",
        metadata=c.cost(c.page(model.Post, keys.GSI2, queries=keys.FEED_SHARDS)),
    )
    async def posts(
        self, info: Ctx, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Post]:
        return await list_field(info, store.AllPosts(first=first, after=after), Post.of)

    @strawberry.field(
        description="Posts with a tag, newest first.",
        metadata=c.cost(c.ids_then_items(model.Post, model.TagLink, keys.GSI1)),
    )
    async def posts_by_tag(
        self, info: Ctx, tag: str, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Post]:
        keys.check_tag(tag)
        return await posts_field(info, store.PostIdsByTag(tag, first=first, after=after))
