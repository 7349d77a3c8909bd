"""Table I/O: every DynamoDB call the store makes goes through `Table`.

It batches and retries (UnprocessedKeys, UnprocessedItems, transaction conflicts) and turns
botocore errors into the store's typed errors, so nothing raw leaves the package.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from cost.meter import retrying
from model.attrs import Item, RawItem, marshal_item, unmarshal_item
from model.declarations import Key
from model.errors import InvalidInput, StoreError, Unavailable
from model.expressions import Condition, Expr, Update
from model.keys import TABLE
from model.shape import Index

from .retry import DEFAULT_BACKOFF, Backoff
from .tasks import gather

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
    """A transaction was cancelled for a reason no write's refusal explains (a concurrent
    change the caller may retry after reading again)."""

    def __init__(self, reasons: list[Reason]) -> None:
        super().__init__(", ".join(r.code for r in reasons))
        self.reasons = reasons


# What a failed condition means, from the item as it was (None: absent). A refusal of None
# means the condition failed for a reason the caller handles (typically: read and retry).
Refusal = Callable[[Item | None], StoreError | None]


def refuse(error: StoreError) -> Refusal:
    """A condition whose failure always means `error`."""
    return lambda _: error


@dataclass(frozen=True)
class Write:
    """One write, alone or in a transaction: a Put of `item`, an Update, a Delete or a
    ConditionCheck of `key`, under `condition`, with what that condition failing means."""

    kind: str  # "Put", "Update", "Delete" or "ConditionCheck"
    key: Key[Any]
    item: Item | None = None
    update: Update | None = None
    condition: Condition | None = None
    refusal: Refusal | None = None
    # For a write whose condition fails: does the item as it is show this very write, already
    # applied? (A retry of a write whose answer was lost: botocore sent it again.)
    applied: Callable[[Item], bool] | None = None

    def body(self, table: str) -> dict[str, Any]:
        expr = Expr()
        body: dict[str, Any] = {"TableName": table}
        if self.kind == "Put":
            assert self.item is not None
            body["Item"] = marshal_item(self.item)
        else:
            body["Key"] = key_attributes(self.key)
        if self.update is not None:
            body["UpdateExpression"] = self.update.render(expr)
        if self.condition is not None:
            body["ConditionExpression"] = self.condition.render(expr)
            body["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return {**body, **expr.params()}


def put(item: Item, condition: Condition | None = None, refusal: Refusal | None = None) -> Write:
    return Write("Put", key_of(item), item=item, condition=condition, refusal=refusal)


def update(
    key: Key[Any], change: Update, condition: Condition | None = None,
    refusal: Refusal | None = None, *, retry_safe: bool = False,
) -> Write:  # fmt: skip
    """`retry_safe`: the change sets values no other write would set together (a version
    number and a timestamp of this request), so an item showing them all is this write's
    own doing: when a retry's condition fails on such an item, the write succeeded."""
    return Write("Update", key, update=change, condition=condition, refusal=refusal,
                 applied=change.holds if retry_safe else None)  # fmt: skip


def delete(key: Key[Any], condition: Condition | None = None,
           refusal: Refusal | None = None) -> Write:  # fmt: skip
    return Write("Delete", key, condition=condition, refusal=refusal)


def check(key: Key[Any], condition: Condition, refusal: Refusal) -> Write:
    return Write("ConditionCheck", key, condition=condition, refusal=refusal)


# Sort-key conditions of a Query


def begins_with(prefix: str) -> SortCondition:
    return lambda e, sk: f"begins_with({e.name(sk)}, {e.value(prefix)})"


def between(low: str, high: str) -> SortCondition:
    return lambda e, sk: f"{e.name(sk)} BETWEEN {e.value(low)} AND {e.value(high)}"


def below(value: str) -> SortCondition:
    return lambda e, sk: f"{e.name(sk)} < {e.value(value)}"


SortCondition = Callable[[Expr, str], str]


def key_attributes(key: Key[Any]) -> RawItem:
    return {TABLE.pk: {"S": key.pk}, TABLE.sk: {"S": key.sk}}


def key_of(item: Mapping[str, Any]) -> Key[Any]:
    return Key(item[TABLE.pk], item[TABLE.sk])


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

    async def get_items(
        self, keys: Sequence[Key[Any]], consistent: bool = False
    ) -> dict[Key[Any], Item]:
        """BatchGetItem for any number of keys: de-duplicated, 100 per call, concurrently."""
        unique = list(dict.fromkeys(keys))
        chunks = [unique[i : i + BATCH_GET_LIMIT] for i in range(0, len(unique), BATCH_GET_LIMIT)]
        found: dict[Key[Any], Item] = {}
        for part in await gather(*(self._get_chunk(c, consistent) for c in chunks)):
            found.update(part)
        return found

    async def _get_chunk(self, keys: list[Key[Any]], consistent: bool) -> dict[Key[Any], Item]:
        found: dict[Key[Any], Item] = {}
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
        sort: SortCondition | None = None,
        forward: bool = True,
        limit: int,
        start: Mapping[str, Any] | None = None,
        keys_only: bool = False,
        consistent: bool = False,
    ) -> tuple[list[Item], bool]:
        """Up to `limit` items of one partition in sort order; True if more may follow.

        `sort` narrows the sort key. Follows LastEvaluatedKey (the 1 MB page limit) until
        `limit` items are in hand.
        """
        expr = Expr()
        key_condition = f"{expr.name(index.pk)} = {expr.value(partition)}"
        if sort is not None:
            key_condition += f" AND {sort(expr, index.sk)}"
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
            params["ProjectionExpression"] = f"{TABLE.pk}, {TABLE.sk}"
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

    async def write(self, one: Write, *, return_new: bool = False) -> Item | None:
        """One Put, Update or Delete; a failed condition raises its refusal (or
        ConditionFailed when it has none). Returns the new item with `return_new`."""
        operation = {"Put": "put_item", "Update": "update_item", "Delete": "delete_item"}
        params = one.body(self.name)
        if return_new:
            params["ReturnValues"] = "ALL_NEW"
        try:
            response = await self.call(operation[one.kind], **params)
        except ConditionFailed as failed:
            if one.applied is not None and failed.item is not None and one.applied(failed.item):
                log.info("a retried %s found itself applied", operation[one.kind])
                return failed.item if return_new else None
            refusal = one.refusal(failed.item) if one.refusal is not None else None
            if refusal is not None:
                raise refusal from None
            raise
        attributes = response.get("Attributes")
        return unmarshal_item(attributes) if attributes else None

    async def transact(self, writes: Sequence[Write]) -> None:
        """TransactWriteItems. Conflicts with concurrent transactions are retried; a failed
        condition raises the refusal of its write (TransactionCancelled when none has one)."""
        actions = [{w.kind: w.body(self.name)} for w in writes]
        async for attempt in self.backoff.tries():
            try:
                await self.call("transact_write_items", retry=attempt > 0, TransactItems=actions)
                return
            except TransactionCancelled as cancelled:
                conflict = any(r.code == "TransactionConflict" for r in cancelled.reasons)
                if conflict and attempt < self.backoff.attempts - 1:
                    continue
                for write, reason in zip(writes, cancelled.reasons, strict=False):
                    if reason.code == "ConditionalCheckFailed" and write.refusal is not None:
                        refusal = write.refusal(reason.item)
                        if refusal is not None:
                            raise refusal from None
                raise

    async def delete_keys(self, keys: Sequence[Key[Any]]) -> None:
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
