"""Bulk-loads a dataset into each design (BatchWriteItem, concurrently), as final state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from store import Table
from store.attrs import Item
from store.items import comment_item, post_item, tag_item, user_items, vote_item

from .baseline.tables import Tables
from .data import Dataset

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


def singlet_items(data: Dataset) -> list[Item]:
    items: list[Item] = []
    for user in data.users:
        items.extend(user_items(user, data.subjects[user.id]))
    for post in data.posts:
        items.append(post_item(post))
        items.extend(tag_item(post.id, tag) for tag in post.tags)
    items.extend(comment_item(c) for c in data.comments)
    items.extend(vote_item(v) for v in data.votes)
    return items


async def load_singlet(client: DynamoDBClient, table: str, data: Dataset) -> int:
    items = singlet_items(data)
    await Table(client, table).put_items(items)
    return len(items)


async def load_baseline(client: DynamoDBClient, tables: Tables, data: Dataset) -> int:
    users = [
        {"id": u.id, "username": u.username, "usernameLower": u.username.lower(),
         "displayName": u.display_name, "bio": u.bio, "createdAt": u.created_at,
         "subject": data.subjects[u.id]}
        for u in data.users
    ]  # fmt: skip
    posts = [
        {"id": p.id, "authorId": p.author_id, "title": p.title, "content": p.content,
         "url": p.url, "tags": list(p.tags), "ups": p.ups, "downs": p.downs,
         "version": p.version, "commentCount": p.comment_count, "createdAt": p.created_at,
         "updatedAt": p.updated_at}
        for p in data.posts
    ]  # fmt: skip
    comments = [
        {"postId": c.post_id, "id": c.id, "authorId": c.author_id, "body": c.body,
         "createdAt": c.created_at}
        for c in data.comments
    ]  # fmt: skip
    votes = [
        {"postId": v.post_id, "subject": data.subjects[v.user_id], "direction": v.direction}
        for v in data.votes
    ]
    for name, items in ((tables.users, users), (tables.posts, posts),
                        (tables.comments, comments), (tables.votes, votes)):  # fmt: skip
        await Table(client, name).put_items(items)
    return len(users) + len(posts) + len(comments) + len(votes)
