"""Records the DynamoDB calls a client makes, through botocore's event hooks.

Used by tests (call counts are part of the contract) and benchmarks (round trips, capacity).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


@dataclass
class Call:
    operation: str
    started: float
    ended: float | None = None
    capacity: float = 0.0


@dataclass
class CallLog:
    calls: list[Call] = field(default_factory=list)

    def attach(self, client: DynamoDBClient) -> CallLog:
        client.meta.events.register("before-call.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)
        client.meta.events.register("after-call-error.dynamodb", self._after)
        return self

    def detach(self, client: DynamoDBClient) -> None:
        client.meta.events.unregister("before-call.dynamodb", self._before)
        client.meta.events.unregister("after-call.dynamodb", self._after)
        client.meta.events.unregister("after-call-error.dynamodb", self._after)

    def clear(self) -> None:
        self.calls.clear()

    def _before(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        call = Call(model.name, time.perf_counter())
        context["singlet_call"] = call
        self.calls.append(call)

    def _after(self, context: dict[str, Any], parsed: Any = None, **_: Any) -> None:
        call: Call | None = context.get("singlet_call")
        if call is None:
            return
        call.ended = time.perf_counter()
        consumed = (parsed or {}).get("ConsumedCapacity")
        if isinstance(consumed, dict):
            consumed = [consumed]
        call.capacity = sum(c.get("CapacityUnits", 0.0) for c in consumed or [])

    @property
    def counts(self) -> Counter[str]:
        return Counter(c.operation for c in self.calls)

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
