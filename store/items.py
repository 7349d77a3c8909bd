"""Whole items: an entity's attributes with its keys and index keys, as the table holds them.

The one place that composes items, for the writes, bulk loads and migrations alike.
"""

from __future__ import annotations

from . import keys
from .attrs import Item
from .codecs import COMMENT, POST, SUBJECT_LINK, TAG_LINK, USER, USERNAME_CLAIM, VOTE
from .entities import Comment, Post, SubjectLink, TagLink, User, UsernameClaim, Vote
from .keys import key_item


def user_items(user: User, subject: str) -> tuple[Item, Item, Item]:
    """The user, the claim on its username, and the link from its identity."""
    return (
        {**key_item(keys.user_key(user.id)), **keys.user_index_keys(user.username),
         **USER.encode(user)},
        {**key_item(keys.username_key(user.username)),
         **USERNAME_CLAIM.encode(UsernameClaim(user.username, user.id))},
        {**key_item(keys.subject_key(subject)),
         **SUBJECT_LINK.encode(SubjectLink(subject, user.id))},
    )  # fmt: skip


def post_item(post: Post) -> Item:
    return {
        **key_item(keys.post_key(post.id)),
        **keys.post_index_keys(post.id, post.author_id),
        **POST.encode(post),
    }


def tag_item(post_id: str, tag: str) -> Item:
    return {
        **key_item(keys.tag_key(post_id, tag)),
        **keys.tag_index_keys(post_id, tag),
        **TAG_LINK.encode(TagLink(post_id, tag)),
    }


def comment_item(comment: Comment) -> Item:
    return {
        **key_item(keys.comment_key(comment.post_id, comment.id)),
        **keys.comment_index_keys(comment.id, comment.author_id),
        **COMMENT.encode(comment),
    }


def vote_item(vote: Vote) -> Item:
    return {**key_item(keys.vote_key(vote.post_id, vote.user_id)), **VOTE.encode(vote)}
