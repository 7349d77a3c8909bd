"""The baseline's resolvers: each field issues its own request, as the tutorials' resolvers do.

No dataloaders and no batching: a field that needs an item fetches it, when it is resolved.
Strawberry still resolves sibling fields concurrently, so the baseline is not serialised
artificially: its round trips are its levels (plus a Scan's pages), its calls are per item.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.types import Info

from model import InvalidInput, NotFound, keys
from model.attrs import Item, marshal, marshal_item, unmarshal_item
from model.ids import global_id, parse_global_id, parse_typed_id
from model.limits import created_at
from resolvers.mutation import AddCommentInput, CreatePostInput
from resolvers.schema import Schema
from resolvers.types import Connection, Edge, Node, PageInfo, VoteDirection

from .tables import Tables

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


@dataclass
class BaselineContext:
    client: DynamoDBClient
    tables: Tables
    subject: str | None = None
    request_id: str = "-"

    async def settle(self) -> None:
        """Nothing to wait for: every resolver awaits its own calls."""


Ctx = Info[BaselineContext, None]


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def _uncursor(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor))
    except ValueError as error:
        raise InvalidInput("malformed cursor") from error


async def _get(info: Ctx, table: str, key: dict[str, str]) -> Item | None:
    response = await info.context.client.get_item(TableName=table, Key=marshal_item(key))
    return unmarshal_item(response["Item"]) if "Item" in response else None


async def _query_page(
    info: Ctx, first: int, after: str | None, **params: Any
) -> tuple[list[Item], str | None]:
    """One Query page, `nextToken` style: the raw LastEvaluatedKey, encoded."""
    if not 1 <= first <= 100:
        raise InvalidInput("first must be between 1 and 100")
    if after:
        params["ExclusiveStartKey"] = _uncursor(after)
    response = await info.context.client.query(Limit=first, **params)
    items = [unmarshal_item(i) for i in response.get("Items", [])]
    last = response.get("LastEvaluatedKey")
    return items, _cursor(last) if last else None


async def _scan_all(info: Ctx, table: str, **params: Any) -> list[Item]:
    """Every page of a Scan: the only way to order a table-per-entity list."""
    items: list[Item] = []
    while True:
        response = await info.context.client.scan(TableName=table, **params)
        items += [unmarshal_item(i) for i in response.get("Items", [])]
        if "LastEvaluatedKey" not in response:
            return items
        params["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _connection(nodes: list[Any], cursors: list[str], next_cursor: str | None) -> Connection[Any]:
    return Connection(
        edges=[Edge(cursors=cursors, index=i, node=n) for i, n in enumerate(nodes)],
        page_info=PageInfo(has_next_page=next_cursor is not None, end_cursor=next_cursor),
    )


def _newest_first_page(items: list[Item], first: int, after: str | None) -> Connection[Any]:
    """Sorts a whole Scan result in memory and cuts the page after `after`."""
    if not 1 <= first <= 100:
        raise InvalidInput("first must be between 1 and 100")
    ordered = sorted(items, key=lambda i: i["id"], reverse=True)
    start = 0
    if after:
        last_id = _uncursor(after)
        start = next((n + 1 for n, i in enumerate(ordered) if i["id"] == last_id), len(ordered))
    page = ordered[start : start + first]
    more = start + first < len(ordered)
    posts = [Post.of(i) for i in page]
    cursors = [_cursor(i["id"]) for i in page]
    return _connection(posts, cursors, cursors[-1] if more and cursors else None)


@strawberry.type(name="User")
class User(Node):
    username: str
    display_name: str
    bio: str
    created_at: datetime
    user_id: strawberry.Private[str]

    @classmethod
    def of(cls, item: Item) -> User:
        return cls(
            id=strawberry.ID(global_id("User", item["id"])),
            username=item["username"],
            display_name=item["displayName"],
            bio=item["bio"],
            created_at=datetime.fromisoformat(item["createdAt"]),
            user_id=item["id"],
        )

    @strawberry.field
    async def posts(self, info: Ctx, first: int = 20, after: str | None = None) -> Connection[Post]:
        items, next_cursor = await _query_page(
            info, first, after, TableName=info.context.tables.posts, IndexName="byAuthor",
            KeyConditionExpression="authorId = :a", ScanIndexForward=False,
            ExpressionAttributeValues={":a": marshal(self.user_id)},
        )  # fmt: skip
        return _connection([Post.of(i) for i in items], [_cursor(i["id"]) for i in items],
                           next_cursor)  # fmt: skip

    @strawberry.field
    async def comments(
        self, info: Ctx, first: int = 20, after: str | None = None
    ) -> Connection[Comment]:
        items, next_cursor = await _query_page(
            info, first, after, TableName=info.context.tables.comments, IndexName="byAuthor",
            KeyConditionExpression="authorId = :a", ScanIndexForward=False,
            ExpressionAttributeValues={":a": marshal(self.user_id)},
        )  # fmt: skip
        return _connection([Comment.of(i) for i in items], [_cursor(i["id"]) for i in items],
                           next_cursor)  # fmt: skip


@strawberry.type(name="Post")
class Post(Node):
    title: str
    content: str
    url: str | None
    tags: list[str]
    ups: int
    downs: int
    version: int
    comment_count: int
    created_at: datetime
    updated_at: datetime
    post_id: strawberry.Private[str]
    author_id: strawberry.Private[str]

    @classmethod
    def of(cls, item: Item) -> Post:
        return cls(
            id=strawberry.ID(global_id("Post", item["id"])),
            title=item["title"],
            content=item["content"],
            url=item.get("url"),
            tags=list(item.get("tags", [])),
            ups=item["ups"],
            downs=item["downs"],
            version=item["version"],
            comment_count=item["commentCount"],
            created_at=datetime.fromisoformat(item["createdAt"]),
            updated_at=datetime.fromisoformat(item["updatedAt"]),
            post_id=item["id"],
            author_id=item["authorId"],
        )

    @strawberry.field
    async def author(self, info: Ctx) -> User | None:
        item = await _get(info, info.context.tables.users, {"id": self.author_id})
        return User.of(item) if item else None

    @strawberry.field
    async def comments(
        self, info: Ctx, first: int = 20, after: str | None = None
    ) -> Connection[Comment]:
        items, next_cursor = await _query_page(
            info, first, after, TableName=info.context.tables.comments,
            KeyConditionExpression="postId = :p",
            ExpressionAttributeValues={":p": marshal(self.post_id)},
        )  # fmt: skip
        return _connection([Comment.of(i) for i in items], [_cursor(i["id"]) for i in items],
                           next_cursor)  # fmt: skip

    @strawberry.field
    async def viewer_vote(self, info: Ctx) -> VoteDirection | None:
        if info.context.subject is None:
            return None
        vote = await _get(info, info.context.tables.votes,
                          {"postId": self.post_id, "subject": info.context.subject})  # fmt: skip
        return VoteDirection(vote["direction"]) if vote else VoteDirection.NONE


@strawberry.type(name="Comment")
class Comment(Node):
    body: str
    created_at: datetime
    post_id: strawberry.Private[str]
    author_id: strawberry.Private[str]

    @classmethod
    def of(cls, item: Item) -> Comment:
        return cls(
            id=strawberry.ID(global_id("Comment", item["postId"], item["id"])),
            body=item["body"],
            created_at=datetime.fromisoformat(item["createdAt"]),
            post_id=item["postId"],
            author_id=item["authorId"],
        )

    @strawberry.field
    async def post(self, info: Ctx) -> Post | None:
        item = await _get(info, info.context.tables.posts, {"id": self.post_id})
        return Post.of(item) if item else None

    @strawberry.field
    async def author(self, info: Ctx) -> User | None:
        item = await _get(info, info.context.tables.users, {"id": self.author_id})
        return User.of(item) if item else None


async def _viewer_item(info: Ctx) -> Item | None:
    if info.context.subject is None:
        return None
    response = await info.context.client.query(
        TableName=info.context.tables.users, IndexName="bySubject",
        KeyConditionExpression="subject = :s",
        ExpressionAttributeValues={":s": marshal(info.context.subject)},
    )  # fmt: skip
    items = response.get("Items", [])
    return unmarshal_item(items[0]) if items else None


@strawberry.type
class Query:
    @strawberry.field
    async def node(self, info: Ctx, id: strawberry.ID) -> Node | None:
        type_name, parts = parse_global_id(id)
        tables = info.context.tables
        if type_name == "User":
            item = await _get(info, tables.users, {"id": parts[0]})
            return User.of(item) if item else None
        if type_name == "Post":
            item = await _get(info, tables.posts, {"id": parts[0]})
            return Post.of(item) if item else None
        if type_name == "Comment":
            item = await _get(info, tables.comments, {"postId": parts[0], "id": parts[1]})
            return Comment.of(item) if item else None
        raise InvalidInput("malformed id")

    @strawberry.field
    async def user(
        self, info: Ctx, id: strawberry.ID | None = None, username: str | None = None
    ) -> User | None:
        if id is not None:
            item = await _get(info, info.context.tables.users,
                              {"id": parse_typed_id(id, "User")[0]})  # fmt: skip
            return User.of(item) if item else None
        response = await info.context.client.query(
            TableName=info.context.tables.users, IndexName="byUsername",
            KeyConditionExpression="usernameLower = :u",
            ExpressionAttributeValues={":u": marshal((username or "").lower())},
        )  # fmt: skip
        items = response.get("Items", [])
        return User.of(unmarshal_item(items[0])) if items else None

    @strawberry.field
    async def viewer(self, info: Ctx) -> User | None:
        item = await _viewer_item(info)
        return User.of(item) if item else None

    @strawberry.field
    async def post(self, info: Ctx, id: strawberry.ID) -> Post | None:
        item = await _get(info, info.context.tables.posts, {"id": parse_typed_id(id, "Post")[0]})
        return Post.of(item) if item else None

    @strawberry.field
    async def posts(self, info: Ctx, first: int = 20, after: str | None = None) -> Connection[Post]:
        # AppSync's allPost: a Scan.
        return _newest_first_page(await _scan_all(info, info.context.tables.posts), first, after)

    @strawberry.field
    async def posts_by_tag(
        self, info: Ctx, tag: str, first: int = 20, after: str | None = None
    ) -> Connection[Post]:
        # AppSync's allPostsByTag: a Scan with contains().
        items = await _scan_all(
            info, info.context.tables.posts, FilterExpression="contains(tags, :t)",
            ExpressionAttributeValues={":t": marshal(tag)},
        )  # fmt: skip
        return _newest_first_page(items, first, after)


@strawberry.type
class Mutation:
    """The mutations the benchmark's mix uses."""

    @strawberry.mutation
    async def create_post(self, info: Ctx, input: CreatePostInput) -> Post:
        author = await _viewer_item(info)
        if author is None:
            raise NotFound("no profile")
        post_id = keys.new_id()
        stamp = created_at(post_id)
        item = {
            "id": post_id, "authorId": author["id"], "title": input.title,
            "content": input.content, "tags": list(input.tags), "ups": 0, "downs": 0,
            "version": 1, "commentCount": 0, "createdAt": stamp, "updatedAt": stamp,
        }  # fmt: skip
        if input.url:
            item["url"] = input.url
        await info.context.client.put_item(TableName=info.context.tables.posts,
                                           Item=marshal_item(item))  # fmt: skip
        return Post.of(item)

    @strawberry.mutation
    async def add_comment(self, info: Ctx, input: AddCommentInput) -> Comment:
        author = await _viewer_item(info)
        if author is None:
            raise NotFound("no profile")
        post_id = parse_typed_id(input.post_id, "Post")[0]
        comment_id = keys.new_id()
        item = {"postId": post_id, "id": comment_id, "authorId": author["id"],
                "body": input.body, "createdAt": created_at(comment_id)}  # fmt: skip
        client, tables = info.context.client, info.context.tables
        await client.put_item(TableName=tables.comments, Item=marshal_item(item))
        await client.update_item(
            TableName=tables.posts, Key=marshal_item({"id": post_id}),
            UpdateExpression="ADD commentCount :one",
            ExpressionAttributeValues={":one": marshal(1)},
        )  # fmt: skip
        return Comment.of(item)

    @strawberry.mutation
    async def vote(self, info: Ctx, post_id: strawberry.ID, direction: VoteDirection) -> Post:
        subject = info.context.subject
        if subject is None:
            raise NotFound("no profile")
        pid = parse_typed_id(post_id, "Post")[0]
        client, tables = info.context.client, info.context.tables
        key = {"postId": pid, "subject": subject}
        old = await _get(info, tables.votes, key)
        old_direction = old["direction"] if old else None
        new = None if direction is VoteDirection.NONE else direction.value
        if new is None:
            await client.delete_item(TableName=tables.votes, Key=marshal_item(key))
        else:
            await client.put_item(TableName=tables.votes,
                                  Item=marshal_item({**key, "direction": new}))  # fmt: skip
        response = await client.update_item(
            TableName=tables.posts, Key=marshal_item({"id": pid}),
            UpdateExpression="ADD ups :u, downs :d", ReturnValues="ALL_NEW",
            ExpressionAttributeValues={
                ":u": marshal(int(new == "UP") - int(old_direction == "UP")),
                ":d": marshal(int(new == "DOWN") - int(old_direction == "DOWN")),
            },
        )  # fmt: skip
        return Post.of(unmarshal_item(response["Attributes"]))


def build_schema() -> Schema:
    return Schema(query=Query, mutation=Mutation, types=[User, Post, Comment])


__all__ = ["BaselineContext", "build_schema"]
