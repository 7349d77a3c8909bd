"""Table I/O: every DynamoDB call the store makes goes through `Table`.

It batches and retries (UnprocessedKeys, UnprocessedItems, transaction conflicts) and turns
botocore errors into the store's typed errors, so nothing raw leaves the package.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from .attrs import Item, RawItem, marshal, marshal_item, unmarshal_item
from .errors import InvalidInput, StoreError, Unavailable
from .keys import PK, SK, TABLE, Index, Key
from .retry import DEFAULT_BACKOFF, Backoff
from .tasks import gather
from .usage import retrying

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

log = logging.getLogger(__name__)

BATCH_GET_LIMIT = 100  # keys per BatchGetItem
BATCH_WRITE_LIMIT = 25  # requests per BatchWriteItem
BATCH_WRITE_CONCURRENCY = 8  # BatchWriteItem calls in flight at once (bulk loads, sweeps)

_THROTTLED = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
}


class ConditionFailed(Exception):
    """A conditional write failed; `item` is the item as it was (None if absent)."""

    def __init__(self, item: Item | None) -> None:
        super().__init__("condition failed")
        self.item = item


@dataclass(frozen=True)
class Reason:
    code: str  # "None", "ConditionalCheckFailed", "TransactionConflict", ...
    item: Item | None


class TransactionCancelled(Exception):
    def __init__(self, reasons: list[Reason]) -> None:
        super().__init__(", ".join(r.code for r in reasons))
        self.reasons = reasons

    def failed(self, index: int) -> bool:
        return self.reasons[index].code == "ConditionalCheckFailed"


class Expr:
    """Collects expression attribute names and values, so no caller formats placeholders."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attribute: str) -> str:
        placeholder = f"#{attribute}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: object) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = marshal(value)
        return placeholder

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if self.names:
            params["ExpressionAttributeNames"] = self.names
        if self.values:
            params["ExpressionAttributeValues"] = self.values
        return params


def key_attributes(key: Key) -> RawItem:
    return {PK: {"S": key.pk}, SK: {"S": key.sk}}


def key_of(item: Mapping[str, Any]) -> Key:
    return Key(item[PK], item[SK])


class Table:
    def __init__(
        self, client: DynamoDBClient, name: str, backoff: Backoff = DEFAULT_BACKOFF
    ) -> None:
        self.client = client
        self.name = name
        self.backoff = backoff

    async def call(self, operation: str, *, retry: bool = False, **params: Any) -> dict[str, Any]:
        """One DynamoDB call; failures come out as store errors (or ConditionFailed).
        `retry` marks it as a retry of an earlier call (the request's cost counts those
        apart from the calls its access patterns make)."""
        try:
            with retrying(retry):
                response: dict[str, Any] = await getattr(self.client, operation)(**params)
        except ClientError as error:
            raise _translate(error) from error
        except BotoCoreError as error:
            log.warning("dynamodb %s failed: %s", operation, error)
            raise Unavailable("the database did not answer") from error
        return response

    async def get_items(self, keys: Sequence[Key], consistent: bool = False) -> dict[Key, Item]:
        """BatchGetItem for any number of keys: de-duplicated, 100 per call, concurrently."""
        unique = list(dict.fromkeys(keys))
        chunks = [unique[i : i + BATCH_GET_LIMIT] for i in range(0, len(unique), BATCH_GET_LIMIT)]
        found: dict[Key, Item] = {}
        for part in await gather(*(self._get_chunk(c, consistent) for c in chunks)):
            found.update(part)
        return found

    async def _get_chunk(self, keys: list[Key], consistent: bool) -> dict[Key, Item]:
        found: dict[Key, Item] = {}
        request: dict[str, Any] = {
            self.name: {"Keys": [key_attributes(k) for k in keys], "ConsistentRead": consistent}
        }
        async for attempt in self.backoff.tries():
            response = await self.call("batch_get_item", retry=attempt > 0, RequestItems=request)
            for raw in response.get("Responses", {}).get(self.name, []):
                item = unmarshal_item(raw)
                found[key_of(item)] = item
            # BatchGetItem reports what it skipped under UnprocessedKeys (not UnprocessedItems,
            # which is BatchWriteItem's): retry exactly those.
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return found
        raise Unavailable("DynamoDB kept returning unprocessed keys")

    async def query(
        self,
        index: Index,
        partition: str,
        *,
        condition: str | None = None,
        expr: Expr | None = None,
        forward: bool = True,
        limit: int,
        start: Mapping[str, Any] | None = None,
        keys_only: bool = False,
        consistent: bool = False,
    ) -> tuple[list[Item], bool]:
        """Up to `limit` items of one partition in sort order; True if more may follow.

        `condition` is an extra sort-key condition written with `expr`'s placeholders.
        Follows LastEvaluatedKey (the 1 MB page limit) until `limit` items are in hand.
        """
        expr = expr or Expr()
        key_condition = f"{expr.name(index.pk)} = {expr.value(partition)}"
        if condition:
            key_condition += f" AND {condition}"
        params: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": key_condition,
            "ScanIndexForward": forward,
            "ConsistentRead": consistent,
            **expr.params(),
        }
        if index.name:
            params["IndexName"] = index.name
        if keys_only:
            params["ProjectionExpression"] = f"{PK}, {SK}"
        if start:
            params["ExclusiveStartKey"] = marshal_item(start)
        items: list[Item] = []
        while True:
            params["Limit"] = limit - len(items)
            response = await self.call("query", **params)
            items.extend(unmarshal_item(raw) for raw in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if last is None:
                return items, False
            if len(items) >= limit:
                return items, True
            params["ExclusiveStartKey"] = last

    async def transact(self, actions: list[dict[str, Any]], **params: Any) -> dict[str, Any]:
        """TransactWriteItems; conflicts with concurrent transactions are retried."""
        for action in actions:
            for body in action.values():
                body.setdefault("TableName", self.name)
        async for attempt in self.backoff.tries():
            try:
                return await self.call(
                    "transact_write_items", retry=attempt > 0, TransactItems=actions, **params
                )
            except TransactionCancelled as cancelled:
                conflict = any(r.code == "TransactionConflict" for r in cancelled.reasons)
                if not conflict or attempt == self.backoff.attempts - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def delete_keys(self, keys: Sequence[Key]) -> None:
        """BatchWriteItem deletes, 25 per call, several calls at once; UnprocessedItems
        retried. Idempotent."""
        await self._write_batches([{"DeleteRequest": {"Key": key_attributes(k)}} for k in keys])

    async def put_items(self, items: Sequence[Item]) -> None:
        """BatchWriteItem puts (unconditional: bulk loads), 25 per call, several calls at
        once; UnprocessedItems retried."""
        await self._write_batches([{"PutRequest": {"Item": marshal_item(i)}} for i in items])

    async def _write_batches(self, requests: list[dict[str, Any]]) -> None:
        batches = [
            requests[i : i + BATCH_WRITE_LIMIT] for i in range(0, len(requests), BATCH_WRITE_LIMIT)
        ]
        for i in range(0, len(batches), BATCH_WRITE_CONCURRENCY):
            await gather(*(self._write_batch(b) for b in batches[i : i + BATCH_WRITE_CONCURRENCY]))

    async def _write_batch(self, batch: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self.name: batch}
        async for attempt in self.backoff.tries():
            response = await self.call("batch_write_item", retry=attempt > 0, RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return
        raise Unavailable("DynamoDB kept returning unprocessed items")


def _translate(error: ClientError) -> Exception:
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "")
    if code == "ConditionalCheckFailedException":
        raw = error.response.get("Item")
        return ConditionFailed(unmarshal_item(raw) if raw else None)
    if code == "TransactionCanceledException":
        reasons = [
            Reason(r.get("Code", "None"), unmarshal_item(r["Item"]) if r.get("Item") else None)
            for r in error.response.get("CancellationReasons", [])
        ]
        return TransactionCancelled(reasons)
    if code in _THROTTLED:
        log.warning("dynamodb throttled after retries: %s", code)
        return Unavailable("the database is busy; try again")
    if code == "ValidationException" and "size" in message.lower():
        return InvalidInput("the item is too large to store")
    log.error("dynamodb error %s: %s", code, message)
    return StoreError(f"database error {code}")


__all__ = ["TABLE", "ConditionFailed", "Expr", "Reason", "Table", "TransactionCancelled"]
