"""Bulk-loads a dataset into each design (BatchWriteItem, concurrently), as final state."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from singlet_tools.tables import create_table

from model import AuthorLink, PostBody, SubjectLink, TagLink, UsernameClaim
from model.attrs import Item
from store import Table
from store.client import open_client

from .baseline.tables import Tables
from .data import Dataset, generate

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


def singlet_items(data: Dataset) -> list[Item]:
    items: list[Item] = []
    for user in data.users:
        items += [user.item(), UsernameClaim(username=user.username, user_id=user.id).item(),
                  SubjectLink(subject=data.subjects[user.id], user_id=user.id).item()]  # fmt: skip
    for post in data.posts:
        items += [post.item(), PostBody(post_id=post.id, content=data.contents[post.id]).item(),
                  AuthorLink(post_id=post.id, author_id=post.author_id).item()]  # fmt: skip
        items.extend(TagLink(post_id=post.id, tag=tag).item() for tag in post.tags)
    items.extend(c.item() for c in data.comments)
    items.extend(v.item() for v in data.votes)
    return items


async def load_singlet(client: DynamoDBClient, table: str, data: Dataset) -> int:
    items = singlet_items(data)
    await Table(client, table).put_items(items)
    return len(items)


async def loaded_table(endpoint: str, scale: str, purpose: str) -> tuple[Dataset, str]:
    """A new Singlet table on `endpoint` holding the `scale` dataset, and the dataset."""
    data = generate(scale)
    table = f"{purpose}-{scale}-{os.getpid()}"
    loader = await open_client("us-east-1", endpoint)
    try:
        await create_table(loader, table)
        await load_singlet(loader, table, data)
    finally:
        await loader.close()
    return data, table


async def load_baseline(client: DynamoDBClient, tables: Tables, data: Dataset) -> int:
    users = [
        {"id": u.id, "username": u.username, "usernameLower": u.username.lower(),
         "displayName": u.display_name, "bio": u.bio, "createdAt": u.created_at,
         "subject": data.subjects[u.id]}
        for u in data.users
    ]  # fmt: skip
    posts = [
        {"id": p.id, "authorId": p.author_id, "title": p.title, "content": data.contents[p.id],
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
