"""Table I/O: batching, retries of unprocessed work, error translation."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from cost.meter import Usage
from model import Key, Unavailable, User, keys
from store import PostsByUser, Store
from tests.faults import Throttled, Unprocessed

from .conftest import MakeUser

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


async def _put_users(store: Store, count: int) -> list[Key[User]]:
    users = [User(id=(i := keys.new_id()), username=f"u{i[-6:]}", display_name="d", bio="",
                  created_at="2026-01-01T00:00:00.000Z") for _ in range(count)]  # fmt: skip
    await store.table.put_items([u.item() for u in users])
    return [u.primary_key() for u in users]


def _id(key: Key[User]) -> str:
    return User.parse_key(key)["id"]


async def test_get_many_chunks_dedupes_and_keeps_request_order(store: Store, calls: Usage) -> None:
    present = await _put_users(store, 150)
    missing = [User.key_of(id=keys.new_id()) for _ in range(3)]
    asked = [*reversed(present), missing[0], present[0], *missing[1:], present[1]]
    calls.clear()
    users = await store.get_many(asked)
    assert [u.id if isinstance(u, User) else None for u in users] == [
        _id(k) if k in present else None for k in asked
    ]
    # 153 distinct keys: two BatchGetItem calls (100 + 53), issued concurrently.
    assert calls.counts == {"BatchGetItem": 2}
    assert calls.round_trips == 1


async def test_unprocessed_keys_are_retried_until_all_arrive(
    store: Store, client: DynamoDBClient, calls: Usage
) -> None:
    item_keys = await _put_users(store, 5)
    calls.clear()
    with Unprocessed(client, "BatchGetItem", times=3) as fault:
        users = await store.get_many(item_keys)
    assert fault.injected == 3
    assert all(users)
    assert [u.id for u in users if isinstance(u, User)] == [_id(k) for k in item_keys]
    assert calls.counts == {"BatchGetItem": 4}  # 1 + 3 retries of what was left


async def test_unprocessed_keys_forever_give_unavailable(
    store: Store, client: DynamoDBClient
) -> None:
    item_keys = await _put_users(store, 2)
    fault = Unprocessed(client, "BatchGetItem", times=100, process_none=True)
    with fault, pytest.raises(Unavailable):
        await store.get_many(item_keys)
    assert fault.injected == store.table.backoff.attempts  # gave up after the last attempt


async def test_unprocessed_items_of_batch_deletes_are_retried(
    store: Store, client: DynamoDBClient
) -> None:
    item_keys = await _put_users(store, 30)
    with Unprocessed(client, "BatchWriteItem", times=2) as fault:
        await store.table.delete_keys(item_keys)
    assert fault.injected == 2
    assert await store.get_many(item_keys) == [None] * 30


async def test_throttling_after_botocore_retries_is_unavailable_not_a_raw_error(
    store: Store, client: DynamoDBClient
) -> None:
    with Throttled(client, "Query", times=1), pytest.raises(Unavailable):
        await store.page(PostsByUser(keys.new_id()))


async def test_calls_leave_the_event_loop_nothing_to_finalize(
    store: Store, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An async generator left unfinished by its loop (the retry loop's, after a first try
    # that succeeds) is closed by asyncio through call_soon_threadsafe: a self-pipe write and
    # one more turn of the event loop on every call.
    author = await make_user()
    item_keys = await _put_users(store, 2)
    await store.get_many(item_keys)  # the connections are open: nothing else wakes the loop
    loop = asyncio.get_running_loop()
    woken: list[object] = []
    original = loop.call_soon_threadsafe

    def counting(callback: Callable[..., object], *args: Any, **kwargs: Any) -> Any:
        woken.append(callback)
        return original(callback, *args, **kwargs)

    monkeypatch.setattr(loop, "call_soon_threadsafe", counting)
    await store.get_many(item_keys)  # BatchGetItem
    await store.page(PostsByUser(author.id))  # Query
    await store.create_post(author.id, "a post", "content")  # TransactWriteItems
    gc.collect()
    assert woken == []
