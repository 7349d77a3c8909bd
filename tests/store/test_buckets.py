"""Callers' buckets on DynamoDB Local: one conditional UpdateItem a take, never overspent."""

from __future__ import annotations

import asyncio

from cost.buckets import MICROSECONDS, Rate, take
from cost.meter import Usage
from model.entities import Bucket
from store import Store

RATE = Rate(capacity=20, per_second=1)
NOW = 1_800_000_000 * MICROSECONDS


async def full_at(store: Store, caller: str) -> int:
    key = Bucket.key_of(caller=caller)
    item = (await store.table.get_items([key], consistent=True))[key]
    return int(item[Bucket.full_at.name])


async def test_concurrent_takes_never_take_more_than_the_bucket_holds(
    store: Store, calls: Usage
) -> None:
    taken = await asyncio.gather(*(take(store.table, "ip:a", 1, RATE, NOW) for _ in range(30)))
    assert sum(t.units for t in taken) == 20
    assert await full_at(store, "ip:a") == NOW + 20 * MICROSECONDS
    # All guessed the bucket full (they knew nothing of it): the first was right, in one
    # UpdateItem; each other found it not full and tried again, once.
    assert calls.counts["UpdateItem"] == 1 + 29 * 2
    # A refusal says when the bucket is full again: no read needed.
    assert {t.full_at for t in taken if not t.units} == {NOW + 20 * MICROSECONDS}


async def test_the_refill_is_the_passing_of_time(store: Store, calls: Usage) -> None:
    first = await take(store.table, "ip:a", 20, RATE, NOW)
    assert first.units == 20
    assert (await take(store.table, "ip:a", 1, RATE, NOW, first.full_at)).units == 0
    later = NOW + 5 * MICROSECONDS  # 5 units back
    assert (await take(store.table, "ip:a", 6, RATE, later, first.full_at)).units == 0
    five = await take(store.table, "ip:a", 5, RATE, later, first.full_at)
    assert five.units == 5
    assert five.full_at == later + 20 * MICROSECONDS  # empty again, at `later`
    # Long idle: full, and no fuller than its capacity.
    idle = NOW + 3600 * MICROSECONDS
    assert (await take(store.table, "ip:a", 20, RATE, idle, five.full_at)).units == 20
    assert calls.counts["UpdateItem"] == 5


async def test_a_stale_guess_costs_one_more_call(store: Store, calls: Usage) -> None:
    await take(store.table, "ip:a", 4, RATE, NOW)  # another container's take
    with_guess = await take(store.table, "ip:a", 1, RATE, NOW + 1, full_at=None)
    assert with_guess.units == 1
    assert with_guess.full_at == NOW + 5 * MICROSECONDS
    assert calls.counts["UpdateItem"] == 1 + 2  # guessed full, found it not, took it


async def test_callers_have_items_of_their_own(store: Store) -> None:
    await take(store.table, "ip:a", 20, RATE, NOW)
    assert (await take(store.table, "user:auth0|b", 20, RATE, NOW)).units == 20
    assert (await take(store.table, "ip:a#x", 1, RATE, NOW)).units == 1  # escaped, not a's
