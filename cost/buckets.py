"""Callers' budgets in the table: a generic cell rate algorithm on one item per caller.

A bucket of `capacity` units that refills at `rate` units a second is one number: `full_at`,
the moment it is full again (a bucket never seen, or whose moment has passed, is full). What
it holds at `now` is `capacity - (full_at - now) * rate`. Taking `n` units moves `full_at`
`n / rate` later, and is allowed only while it stays within `capacity / rate` of now. Each
take is one conditional UpdateItem: DynamoDB adds to the stored number itself, so concurrent
takes from any number of containers never overspend, and the refill needs no write at all
(it is the passing of time). Times are whole microseconds: DynamoDB's arithmetic is exact.

A take that does not fit fails its condition, and DynamoDB returns the item as it was
(ReturnValuesOnConditionCheckFailure): the caller learns what the bucket holds and when it
will hold enough, without another read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from model.entities import Bucket
from model.expressions import Action, Condition, Update
from model.keys import TABLE
from store.table import ConditionFailed, Table, Write, update

MICROSECONDS = 1_000_000


@dataclass(frozen=True)
class Rate:
    """A bucket's size and refill, in units (read-unit equivalents) and units a second."""

    capacity: float
    per_second: float

    def duration(self, units: float) -> int:
        """Microseconds of refill that `units` take (rounded up: never in the caller's favour)."""
        return math.ceil(units * MICROSECONDS / self.per_second)

    @property
    def span(self) -> int:
        """Microseconds an empty bucket takes to fill."""
        return self.duration(self.capacity)

    def holds(self, full_at: int, now: int) -> float:
        """Units in the bucket at `now`."""
        return self.capacity - max(0, full_at - now) * self.per_second / MICROSECONDS


@dataclass(frozen=True)
class Taken:
    """The result of a take: `units` taken (0: the bucket held too little), and the bucket's
    `full_at` after it (or as it was, when nothing was taken)."""

    units: float
    full_at: int


async def take(table: Table, caller: str, units: float, rate: Rate, now: int,
               full_at: int | None = None) -> Taken:  # fmt: skip
    """Takes `units` from `caller`'s bucket if it holds them, in one UpdateItem (two when
    `full_at`, what this container last knew, was wrong about whether the bucket is full).
    `units` must not be more than the capacity."""
    assert 0 < units <= rate.capacity
    full = full_at is None or full_at <= now
    found = now if full_at is None else full_at
    for _ in range(2):
        try:
            item = await table.write(_taking(caller, units, rate, now, full), return_new=True)
        except ConditionFailed as failed:
            found = _full_at(failed.item, now)
            if (found <= now) != full:  # the other case: try it
                full = not full
                continue
            return Taken(0.0, found)
        assert item is not None
        return Taken(units, int(item[Bucket.full_at.name]))
    return Taken(0.0, found)  # other containers moved it back and forth: nothing taken


def _taking(caller: str, units: float, rate: Rate, now: int, full: bool) -> Write:
    key = Bucket.key_of(caller=caller)
    step = rate.duration(units)
    # Idle buckets go (TTL): once full, an item says nothing its absence does not.
    expires = Bucket.expires.set(math.ceil((now + rate.span) / MICROSECONDS) + 60)
    full_at = Bucket.full_at
    if full:
        # The whole item, as its entity declares it (its type and version too: the stream
        # decodes every item it sees), over whatever was there.
        whole = Bucket(caller=caller, full_at=now + step, expires=0).item()
        kept = (TABLE.pk, TABLE.sk, Bucket.expires.name)
        change = Update(*(_set(k, v) for k, v in whole.items() if k not in kept), expires)
        condition = full_at.absent() | _at_most(now)
    else:
        change = Update(full_at.increment(step), expires)
        condition = _after(now) & _at_most(now + rate.span - step)
    return update(key, change, condition)


def _set(name: str, value: object) -> Action:
    return Action("SET", lambda e: f"{e.name(name)} = {e.value(value)}")


def _at_most(value: int) -> Condition:
    name = Bucket.full_at.name
    return Condition(lambda e: f"{e.name(name)} <= {e.value(value)}")


def _after(value: int) -> Condition:
    name = Bucket.full_at.name
    return Condition(lambda e: f"{e.name(name)} > {e.value(value)}")


def _full_at(item: dict[str, Any] | None, now: int) -> int:
    if item is None or Bucket.full_at.name not in item:
        return now
    return int(item[Bucket.full_at.name])
