"""The baseline's four tables (its own definition: Singlet's template knows nothing of them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class Tables:
    users: str
    posts: str
    comments: str
    votes: str

    @classmethod
    def named(cls, prefix: str) -> Tables:
        return cls(f"{prefix}-Users", f"{prefix}-Posts", f"{prefix}-Comments", f"{prefix}-Votes")

    def all(self) -> list[str]:
        return [self.users, self.posts, self.comments, self.votes]


def _s(*names: str) -> list[dict[str, str]]:
    return [{"AttributeName": n, "AttributeType": "S"} for n in names]


def _key(hash_key: str, range_key: str | None = None) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def _index(name: str, hash_key: str, range_key: str | None = None) -> dict[str, Any]:
    return {"IndexName": name, "KeySchema": _key(hash_key, range_key),
            "Projection": {"ProjectionType": "ALL"}}  # fmt: skip


def definitions(tables: Tables) -> list[dict[str, Any]]:
    return [
        {"TableName": tables.users, "KeySchema": _key("id"),
         "AttributeDefinitions": _s("id", "usernameLower", "subject"),
         "GlobalSecondaryIndexes": [_index("byUsername", "usernameLower"),
                                    _index("bySubject", "subject")]},
        {"TableName": tables.posts, "KeySchema": _key("id"),
         "AttributeDefinitions": _s("id", "authorId", "createdAt"),
         "GlobalSecondaryIndexes": [_index("byAuthor", "authorId", "createdAt")]},
        {"TableName": tables.comments, "KeySchema": _key("postId", "id"),
         "AttributeDefinitions": _s("postId", "id", "authorId"),
         "GlobalSecondaryIndexes": [_index("byAuthor", "authorId", "id")]},
        {"TableName": tables.votes, "KeySchema": _key("postId", "subject"),
         "AttributeDefinitions": _s("postId", "subject")},
    ]  # fmt: skip


async def create(client: DynamoDBClient, tables: Tables) -> None:
    for definition in definitions(tables):
        await client.create_table(BillingMode="PAY_PER_REQUEST", **definition)


async def delete(client: DynamoDBClient, tables: Tables) -> None:
    for name in tables.all():
        await client.delete_table(TableName=name)
