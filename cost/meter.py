"""What DynamoDB calls cost, metered through botocore's event hooks.

A `Meter` on the client makes every data call ask for ReturnConsumedCapacity=INDEXES and
records each call (operation, timing, capacity DynamoDB reports, retries) into every `Usage`
that is listening: the one current in the calling task (a ContextVar: the API sets one per
request, and the tasks a request starts inherit it) and any listener added to the meter
(tests and benchmarks, which want every call of a client).

Where DynamoDB reports no capacity (a failed conditional write, a cancelled transaction), the
figure is the cost model's estimate. DynamoDB Local does not bill transactions as AWS does: a
meter with a pricer (pricing.py) reports the cost model's figure for those calls instead, with
what the endpoint said kept beside it.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .billing import item_size, write_blocks
from .pricing import Pricer, unmetered

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

# Scan is here to be counted, not because anything on the request path issues one: only
# migrations (store/migrations/runner.py) Scan, and the tests' guard fails any other test
# whose meter counts one.
READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
DATA_OPERATIONS = READS | WRITES

_CALL = "singlet_call"  # where a call's record waits in botocore's per-call context


@dataclass
class Call:
    operation: str
    started: float
    ended: float | None = None
    read_units: float = 0.0
    write_units: float = 0.0
    reported: bool = False  # DynamoDB reported the capacity (else: the model's estimate)
    as_reported: float = 0.0  # what the endpoint said, before any correction (DynamoDB Local)
    retry: bool = False  # a retry by the store (unprocessed keys, conflicts, a lost race)
    sdk_retries: int = 0  # attempts botocore itself retried inside this call
    failed: bool = False

    @property
    def capacity(self) -> float:
        return self.read_units + self.write_units

    def abandoned(self) -> None:
        if self.ended is None:
            self.ended = time.perf_counter()


# A read unit is worth 1, a write unit 5: DynamoDB on-demand's prices ($0.125 and $0.625 a
# million in us-east-1) and the ratio of provisioned capacity's. Budgets count in these units.
WRITE_UNIT_WEIGHT = 5


class Gate(Protocol):
    """What a call must pass before it is made (cost/limiter.py's allowance): it returns when
    the call may go, and raises OverBudget (model/errors.py) when it may not."""

    async def __call__(self, operation: str) -> None: ...


@dataclass
class Usage:
    """The calls made on one request's behalf (or, as a listener, on a client). With a
    `gate`, each of its calls waits for the gate's leave before it is made."""

    calls: list[Call] = field(default_factory=list)
    gate: Gate | None = None

    def clear(self) -> None:
        self.calls.clear()

    @property
    def counts(self) -> Counter[str]:
        """Calls by operation, retries included."""
        return Counter(c.operation for c in self.calls)

    @property
    def first_attempts(self) -> Counter[str]:
        """Calls by operation, without the store's retries: what an undisturbed run makes."""
        return Counter(c.operation for c in self.calls if not c.retry)

    @property
    def retries(self) -> int:
        return sum(c.retry for c in self.calls) + sum(c.sdk_retries for c in self.calls)

    @property
    def read_units(self) -> float:
        return sum(c.read_units for c in self.calls)

    @property
    def write_units(self) -> float:
        return sum(c.write_units for c in self.calls)

    @property
    def capacity(self) -> float:
        return self.read_units + self.write_units

    @property
    def units(self) -> float:
        """Read-unit equivalents: what a budget counts (WRITE_UNIT_WEIGHT)."""
        return self.read_units + WRITE_UNIT_WEIGHT * self.write_units

    @property
    def estimated(self) -> bool:
        """Some figure is the model's, not DynamoDB's (a call reported no capacity)."""
        return any(not c.reported for c in self.calls)

    @property
    def round_trips(self) -> int:
        """Sequential waves: calls that overlap in time count as one round trip."""
        waves = 0
        wave_end = float("-inf")
        for call in sorted(self.calls, key=lambda c: c.started):
            ended = call.ended if call.ended is not None else call.started
            if call.started > wave_end:
                waves += 1
                wave_end = ended
            else:
                wave_end = max(wave_end, ended)
        return waves

    def summary(self) -> dict[str, Any]:
        """As the API reports it (`extensions.cost.actual`, the request's log line)."""
        return {
            "calls": dict(sorted(self.first_attempts.items())),
            "retries": self.retries,
            "roundTrips": self.round_trips,
            "readUnits": self.read_units,
            "writeUnits": self.write_units,
            "units": self.units,
        }


current: ContextVar[Usage | None] = ContextVar("singlet_usage", default=None)
_retrying: ContextVar[bool] = ContextVar("singlet_retrying", default=False)


@contextmanager
def metering(usage: Usage) -> Iterator[Usage]:
    """Makes `usage` collect the calls made from here (and by tasks started from here)."""
    token = current.set(usage)
    try:
        yield usage
    finally:
        current.reset(token)


@contextmanager
def retrying(retry: bool = True) -> Iterator[None]:
    """Marks the calls made inside as retries (when `retry`; an outer mark stays)."""
    token = _retrying.set(retry or _retrying.get())
    try:
        yield
    finally:
        _retrying.reset(token)


class Meter:
    """Botocore hooks on one client; see the module docstring."""

    def __init__(self, pricer: Pricer | None = None) -> None:
        self.pricer = pricer
        self.listeners: list[Usage] = []

    def attach(self, client: DynamoDBClient) -> Meter:
        events = client.meta.events
        events.register("provide-client-params.dynamodb", self._issued)
        events.register("after-call.dynamodb", self._after)
        events.register("after-call-error.dynamodb", self._after_error)
        _meters[client] = self
        return self

    @contextmanager
    def listening(self, usage: Usage | None = None) -> Iterator[Usage]:
        """Every call of this client, whoever makes it, while the block runs."""
        usage = usage if usage is not None else Usage()
        self.listeners.append(usage)
        try:
            yield usage
        finally:
            self.listeners.remove(usage)

    async def _issued(self, params: dict[str, Any], model: Any, context: dict[str, Any],
                      **_: Any) -> None:  # fmt: skip
        """A call begins when our code makes it: botocore emits this first, before anything
        that can yield to the loop, so calls issued together overlap (round trips are the
        waves of calls that overlap). A gate yields only when it must ask for more budget,
        and the call begins when it has passed; a gate that refuses stops the call here,
        before botocore sends anything."""
        if model.name not in DATA_OPERATIONS:
            return
        params.setdefault("ReturnConsumedCapacity", "INDEXES")
        if unmetered():
            return
        usage = current.get()
        if usage is not None and usage.gate is not None:
            await usage.gate(model.name)
        call = Call(model.name, time.perf_counter(), retry=_retrying.get())
        context[_CALL] = call
        if (task := asyncio.current_task()) is not None:
            # A call cancelled in flight (its siblings' gather failed) gets no answer: it
            # ends when its task stops waiting for it, not at its start.
            task.add_done_callback(lambda _: call.abandoned())
        if usage is not None:
            usage.calls.append(call)
        for listener in self.listeners:
            if listener is not usage:
                listener.calls.append(call)

    async def _after(self, context: dict[str, Any], parsed: Any = None, **_: Any) -> None:
        call: Call | None = context.get(_CALL)
        if call is None:
            return
        parsed = parsed or {}
        call.sdk_retries = int(parsed.get("ResponseMetadata", {}).get("RetryAttempts", 0))
        consumed = parsed.get("ConsumedCapacity")
        if consumed is None and "Error" in parsed:
            call.ended = time.perf_counter()
            call.failed = True
            call.write_units = _refused_write_units(call.operation, parsed)
            return
        if isinstance(consumed, dict):
            consumed = [consumed]
        units = sum(float(c.get("CapacityUnits", 0.0)) for c in consumed or [])
        call.as_reported = units
        call.reported = consumed is not None
        call.ended = time.perf_counter()  # DynamoDB's answer: before any pricing reads
        if self.pricer is not None:
            priced = await self.pricer.price(call.operation, context, parsed, units)
            if priced is not None:
                units = priced
        if call.operation in READS:
            call.read_units = units
        else:
            call.write_units = units

    def _after_error(self, context: dict[str, Any], **_: Any) -> None:
        call: Call | None = context.get(_CALL)
        if call is not None:
            call.ended = time.perf_counter()
            call.failed = True


def _refused_write_units(operation: str, parsed: Mapping[str, Any]) -> float:
    """The model's estimate for a write DynamoDB refused (a failed condition still bills
    the larger of the existing item and the one written; the error reports nothing)."""
    if operation == "TransactWriteItems":
        reasons = parsed.get("CancellationReasons") or []
        return sum(2.0 * write_blocks(item_size(r.get("Item") or {})) for r in reasons)
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        old = parsed.get("Item") or {}
        return float(write_blocks(item_size(old)))
    return 0.0


_meters: weakref.WeakKeyDictionary[Any, Meter] = weakref.WeakKeyDictionary()


def meter_of(client: DynamoDBClient) -> Meter:
    """The meter attached to `client` (open_client attaches one to every client)."""
    return _meters[client]
