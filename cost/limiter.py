"""Each caller held to a share of DynamoDB's bill: a bucket of capacity per caller, in the table.

The unit is DynamoDB's own: a read unit counts 1, a write unit 5 (cost/meter.py). A caller is
the token's subject when signed in, else the address the request came from (api/callers.py).

How a request is charged (what docs/cost.md calls requested and actual):

1. Before it runs, it reserves from its caller's budget: as much as its worst case, but at
   most a step (a twentieth of the bucket) at a time, and what the budget holds when that is
   less. Too little left for the minimum (what every request costs Lambda, even one DynamoDB
   never sees): refused, RATE_LIMITED, with the seconds until there is enough.
2. While it runs, its calls pass a gate (cost/meter.py) that compares what the request has
   consumed (DynamoDB's figures, as its answers come) with what it reserved. Once consumed
   reaches reserved, the next call waits for another step, or fails with RATE_LIMITED when
   the bucket is empty, or with COST_LIMIT_EXCEEDED when the request has consumed its own
   limit. Calls already in flight finish: one wave's worst case is the most a request can
   overshoot what it reserved (the overshoot is charged: the container owes it to the bucket).
3. When it ends it is charged what it consumed (at least the minimum) and the rest of its
   reservation goes back.

Budget moves between the table and a container in leases: a container takes a lease (a
tenth of the bucket, two steps) from the caller's bucket (one conditional UpdateItem,
cost/buckets.py) and hands it out to that
caller's requests, which give back what they did not spend. So a request costs the table no
write of its own: one take in the table per lease spent, whatever the number of requests,
and none for a refusal the container can decide itself (it remembers when the bucket is next
full, which only other containers' takes can move later: refusing from that is always right,
and one abusive caller makes at most one take per lease per container, on their own item).
What a container holds for a caller is away from their bucket: less than a lease and a step,
plus what the caller's requests in flight there will give back. Those units were taken from
the bucket, so they are the caller's, but the bucket refills meanwhile: a caller idle long
enough to fill it can spend it whole and then what containers hold for them, at most a lease
and a step each (15% of the capacity). That is the bound on a burst; over time, no caller
spends more than the capacity, the refill and those leases.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from model.errors import CostLimitReached, RateLimited, StoreError
from store import Table

from .buckets import MICROSECONDS, Rate, take
from .meter import READS, Usage, metering

MINIMUM = 1.0  # units every request is charged (Lambda bills it even when DynamoDB does not)
LEASES_PER_BUCKET = 10  # a lease is a tenth of the bucket
STEPS_PER_LEASE = 2  # a request reserves half a lease at a time
CALLERS = 10_000  # callers a container keeps leases for (least recently seen first out)


@dataclass(frozen=True)
class Limits:
    """Per-request limits on what a request consumes (None: none) and the callers' rates
    (None: not limited)."""

    read_units: float | None = 20_000
    write_units: float | None = None
    anonymous: Rate | None = None
    signed_in: Rate | None = None

    def rate(self, signed_in: bool) -> Rate | None:
        return self.signed_in if signed_in else self.anonymous


@dataclass
class Lease:
    """What this container holds of one caller's bucket."""

    units: float = 0.0  # taken from the bucket and not yet reserved (negative: owed to it)
    full_at: int | None = None  # the bucket's full_at, as last seen (never later than it is)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class Allowance:
    """One request's reservation and the gate its calls pass."""

    limiter: Limiter
    caller: str
    rate: Rate | None
    worst: float  # the request's predicted worst case, in units
    usage: Usage  # what the request consumes
    spent: Usage = field(default_factory=Usage)  # the limiter's own calls for this request
    reserved: float = 0.0
    charged: float | None = None
    # The calls of one wave pass the gate together: one of them asks for the next step.
    _asking: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def __call__(self, operation: str) -> None:
        limits = self.limiter.limits
        if operation in READS:
            self._check(self.usage.read_units, limits.read_units, "read units")
        else:
            self._check(self.usage.write_units, limits.write_units, "write units")
        if self.rate is None:
            return
        if self.usage.units < self.reserved:
            return
        async with self._asking:
            if self.usage.units < self.reserved:
                return  # another call of this wave asked, and got it
            if not await self.limiter.reserve(self, *self._step()):
                raise RateLimited(
                    "This request has spent its caller's budget of DynamoDB capacity: the"
                    " fields that needed more were not read.",
                    self.limiter.retry_after(self),
                )

    def _check(self, consumed: float, limit: float | None, what: str) -> None:
        if limit is not None and consumed >= limit:
            raise CostLimitReached(
                f"This request has consumed {consumed:,.10g} {what}, the most a request may"
                f" (limit {limit:,.10g}): the fields that needed more were not read. Ask for"
                " fewer items (a smaller `first`) or fewer nested lists, or split it."
            )

    def _step(self) -> tuple[float, float]:
        """How much more to reserve: a step, but no more than the worst case still needs; and
        the least that will do: what the request has consumed past its reservation (a wave's
        overshoot), and the minimum."""
        assert self.rate is not None
        least = max(MINIMUM, self.usage.units - self.reserved + MINIMUM)
        step = lease_size(self.rate) / STEPS_PER_LEASE
        return max(min(step, self.worst - self.reserved), least), least


class Limiter:
    """One container's side of every caller's bucket: its leases, and the clock (injectable:
    tests move time)."""

    def __init__(
        self, table: Table, limits: Limits, clock: Callable[[], float] = time.time
    ) -> None:
        self.table = table
        self.limits = limits
        self.clock = clock
        self.leases: OrderedDict[str, Lease] = OrderedDict()

    def now(self) -> int:
        return int(self.clock() * MICROSECONDS)

    def lease(self, caller: str) -> Lease:
        lease = self.leases.get(caller)
        if lease is None:
            lease = self.leases[caller] = Lease()
            while len(self.leases) > CALLERS:
                self.leases.popitem(last=False)
        else:
            self.leases.move_to_end(caller)
        return lease

    async def admit(self, caller: str, signed_in: bool, worst: float, usage: Usage) -> Allowance:
        """The request's allowance, with its first reservation; RateLimited when its caller's
        bucket cannot give it the minimum."""
        rate = self.limits.rate(signed_in)
        allowance = Allowance(self, caller, rate, worst, usage)
        if rate is None:
            return allowance
        if not await self.reserve(allowance, *allowance._step()):
            raise RateLimited(
                "This caller has spent their budget of DynamoDB capacity for now:"
                " try again after Retry-After seconds.",
                self.retry_after(allowance),
            )
        return allowance

    async def reserve(self, allowance: Allowance, units: float, least: float) -> bool:
        """Moves up to `units` from the caller's lease into the allowance, taking a lease from
        the bucket first when it holds less (what the bucket holds, when that is less). False
        (nothing moved): not even `least` is to be had."""
        rate = allowance.rate
        assert rate is not None
        lease = self.lease(allowance.caller)
        async with lease.lock:
            if lease.units < units:
                await self._take(allowance, lease, rate, units - lease.units, least - lease.units)
            granted = min(units, lease.units)
            if granted < least:
                return False
            lease.units -= granted
            allowance.reserved += granted
            return True

    async def _take(self, allowance: Allowance, lease: Lease, rate: Rate, need: float,
                    least: float) -> None:  # fmt: skip
        """`need` more units into the lease from the bucket (a whole lease if it holds one), or
        what it holds if that is at least `least`."""
        least = max(least, MINIMUM / 1000)  # something, even when the lease would do
        if least > rate.capacity:
            return  # more than the bucket can ever hold: owed beyond its size
        now = self.now()
        known = rate.capacity if lease.full_at is None else rate.holds(lease.full_at, now)
        if known < least:
            return  # the bucket holds too little even as this container last saw it
        amount = min(max(lease_size(rate), need), known)
        with metering(allowance.spent):
            try:
                taken = await take(self.table, allowance.caller, amount, rate, now, lease.full_at)
                if not taken.units and (held := rate.holds(taken.full_at, now)) >= least:
                    # What it holds, to the thousandth below (the condition rounds up).
                    held = max(least, math.floor(held * 1000) / 1000)
                    taken = await take(self.table, allowance.caller, held, rate, now,
                                       taken.full_at)  # fmt: skip
            except StoreError as error:
                # Fail closed, for this caller only: their item is throttled or the table
                # does not answer. Other callers' items are elsewhere.
                raise RateLimited(
                    "The budget of DynamoDB capacity could not be checked: try again shortly.",
                    1,
                ) from error
        lease.full_at = taken.full_at
        lease.units += taken.units

    def settle(self, allowance: Allowance) -> None:
        """The request is over: charged what it consumed, the rest of its reservation back."""
        if allowance.rate is None or allowance.charged is not None:
            return
        allowance.charged = max(MINIMUM, allowance.usage.units)
        self.lease(allowance.caller).units += allowance.reserved - allowance.charged

    def status(self, caller: str, signed_in: bool) -> dict[str, float] | None:
        """`throttleStatus` (Shopify's names): the bucket's size, what it holds as this
        container knows it (what it last saw of the bucket, refilled since, with its own
        lease), and its refill a second. None: the caller is not limited."""
        rate = self.limits.rate(signed_in)
        if rate is None:
            return None
        return {
            "maximumAvailable": rate.capacity,
            "currentlyAvailable": round(self.available(caller, rate), 1),
            "restoreRate": rate.per_second,
        }

    def available(self, caller: str, rate: Rate) -> float:
        lease = self.leases.get(caller) or Lease()
        bucket = rate.capacity if lease.full_at is None else rate.holds(lease.full_at, self.now())
        return max(0.0, min(rate.capacity, bucket + lease.units))

    def retry_after(self, allowance: Allowance) -> int:
        """Seconds until the caller's bucket holds the least the request needs."""
        rate = allowance.rate
        assert rate is not None
        wanted = min(rate.capacity, allowance._step()[1])
        missing = wanted - self.available(allowance.caller, rate)
        return max(1, math.ceil(missing / rate.per_second))


def lease_size(rate: Rate) -> float:
    return rate.capacity / LEASES_PER_BUCKET


def parse_rate(name: str, raw: str) -> Rate | None:
    """`CAPACITY/RESTORE_PER_SECOND` (e.g. `200/10`), or `none`."""
    if raw.strip().lower() == "none":
        return None
    capacity, slash, per_second = raw.partition("/")
    try:
        rate = Rate(float(capacity), float(per_second))
    except ValueError:
        rate = None
    smallest = MINIMUM * LEASES_PER_BUCKET * STEPS_PER_LEASE  # a step is at least the minimum
    if not slash or rate is None or not (rate.capacity >= smallest and rate.per_second > 0):
        raise ValueError(
            f"{name} must be CAPACITY/RESTORE_PER_SECOND in read-unit equivalents (like"
            f" '200/10', a capacity of at least {smallest:g}) or 'none', got {raw!r}"
        )
    return rate
