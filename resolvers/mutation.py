"""Mutation root fields: each acts as the authenticated viewer."""

from __future__ import annotations

import strawberry

import model
from cost import plans, rules
from model.ids import parse_typed_id

from .types import Comment, Ctx, Post, User, VoteDirection


@strawberry.input
class CreateUserInput:
    username: str
    display_name: str | None = None
    bio: str = ""


@strawberry.input
class CreatePostInput:
    title: str
    content: str
    url: str | None = None
    tags: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class UpdatePostInput:
    id: strawberry.ID
    expected_version: int
    title: str | None = None
    content: str | None = None
    url: str | None = strawberry.field(
        default=None, description='A new URL; "" removes it; null leaves it as it is.'
    )


@strawberry.input
class AddCommentInput:
    post_id: strawberry.ID
    body: str


def _post_id(value: str) -> str:
    return parse_typed_id(value, "Post")[0]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Creates the caller's profile; its identity is the token.",
        metadata=rules.cost(plans.mutation(plans.create_user_steps, subject_only=True)),
    )
    async def create_user(self, info: Ctx, input: CreateUserInput) -> User:
        subject = info.context.require_subject()
        user = await info.context.store.create_user(
            subject, input.username, input.display_name, input.bio
        )
        return User.of(user)

    @strawberry.mutation(metadata=rules.cost(plans.mutation(plans.create_post_steps)))
    async def create_post(self, info: Ctx, input: CreatePostInput) -> Post:
        author_id = await info.context.require_viewer_id()
        post, body = await info.context.store.create_post(
            author_id, input.title, input.content, input.url, input.tags
        )
        info.context.loaders.prime(body)
        return Post.of(post)

    @strawberry.mutation(
        description="Fails with CONFLICT unless the post is at expectedVersion.",
        metadata=rules.cost(plans.mutation(plans.update_post_steps)),
    )
    async def update_post(self, info: Ctx, input: UpdatePostInput) -> Post:
        actor_id = await info.context.require_viewer_id()
        post = await info.context.store.update_post(
            actor_id,
            _post_id(input.id),
            input.expected_version,
            title=input.title,
            content=input.content,
            url=input.url,
        )
        return Post.of(post)

    @strawberry.mutation(
        description="Deletes the post with its comments, tags and votes.",
        metadata=rules.cost(plans.mutation(plans.delete_post_steps)),
    )
    async def delete_post(
        self, info: Ctx, id: strawberry.ID, expected_version: int
    ) -> strawberry.ID:
        actor_id = await info.context.require_viewer_id()
        await info.context.store.delete_post(actor_id, _post_id(id), expected_version)
        return id

    @strawberry.mutation(
        description="Sets the caller's vote; NONE withdraws it.",
        metadata=rules.cost(plans.mutation(plans.vote_steps)),
    )
    async def vote(self, info: Ctx, post_id: strawberry.ID, direction: VoteDirection) -> Post:
        user_id = await info.context.require_viewer_id()
        value: model.Direction | None = None if direction is VoteDirection.NONE else direction.value
        post = await info.context.store.vote(user_id, _post_id(post_id), value)
        # viewerVote on the result must show this vote, not an eventually consistent read.
        vote_key = model.Vote.key_of(post_id=post.id, user_id=user_id)
        vote = model.Vote(post_id=post.id, user_id=user_id, direction=value) if value else None
        info.context.loaders.items.clear(vote_key).prime(vote_key, vote)
        return Post.of(post)

    @strawberry.mutation(metadata=rules.cost(plans.mutation(plans.tag_steps)))
    async def add_tag(self, info: Ctx, post_id: strawberry.ID, tag: str) -> Post:
        actor_id = await info.context.require_viewer_id()
        return Post.of(await info.context.store.add_tag(actor_id, _post_id(post_id), tag))

    @strawberry.mutation(metadata=rules.cost(plans.mutation(plans.tag_steps)))
    async def remove_tag(self, info: Ctx, post_id: strawberry.ID, tag: str) -> Post:
        actor_id = await info.context.require_viewer_id()
        return Post.of(await info.context.store.remove_tag(actor_id, _post_id(post_id), tag))

    @strawberry.mutation(metadata=rules.cost(plans.mutation(plans.add_comment_steps)))
    async def add_comment(self, info: Ctx, input: AddCommentInput) -> Comment:
        author_id = await info.context.require_viewer_id()
        comment = await info.context.store.add_comment(
            author_id, _post_id(input.post_id), input.body
        )
        return Comment.of(comment)

    @strawberry.mutation(
        description="Allowed to the comment's author and the post's author.",
        metadata=rules.cost(plans.mutation(plans.delete_comment_steps)),
    )
    async def delete_comment(self, info: Ctx, id: strawberry.ID) -> strawberry.ID:
        actor_id = await info.context.require_viewer_id()
        post_id, comment_id = parse_typed_id(id, "Comment", parts=2)
        await info.context.store.delete_comment(actor_id, post_id, comment_id)
        return id
