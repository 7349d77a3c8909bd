"""Faults DynamoDB Local does not produce, injected at the botocore layer (event hooks).

The request still goes to the real DynamoDB Local; only what it was asked, or what botocore
hands back, is altered the way DynamoDB does under load.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


_HELD = "singlet_withheld"


class Unprocessed:
    """The next `times` batch calls process only their first request (none with
    `process_none`, answered without reaching the database, as DynamoDB does when it processes
    nothing); the rest come back as UnprocessedKeys (BatchGetItem) or UnprocessedItems
    (BatchWriteItem)."""

    def __init__(
        self, client: DynamoDBClient, operation: str, times: int, process_none: bool = False
    ) -> None:
        self.client = client
        self.operation = operation
        self.times = times
        self.process_none = process_none
        self.injected = 0
        field = "Keys" if operation == "BatchGetItem" else None
        self._field = field
        self._result = "UnprocessedKeys" if field else "UnprocessedItems"

    def __enter__(self) -> Unprocessed:
        events = self.client.meta.events
        events.register(f"provide-client-params.dynamodb.{self.operation}", self._before)
        events.register(f"before-call.dynamodb.{self.operation}", self._short_circuit)
        events.register(f"after-call.dynamodb.{self.operation}", self._after)
        return self

    def __exit__(self, *_: object) -> None:
        events = self.client.meta.events
        events.unregister(f"provide-client-params.dynamodb.{self.operation}", self._before)
        events.unregister(f"before-call.dynamodb.{self.operation}", self._short_circuit)
        events.unregister(f"after-call.dynamodb.{self.operation}", self._after)

    # What a call withholds lives in botocore's per-call context, which the hooks of one call
    # share: calls run concurrently, so no state on `self` may say which call is which.
    def _before(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if self.injected >= self.times:
            return
        if self.process_none:
            self.injected += 1
            context[_HELD] = params["RequestItems"]
            return
        held: dict[str, Any] = {}
        sent: dict[str, Any] = {}
        for table, request in params["RequestItems"].items():
            requests = request[self._field] if self._field else request
            if len(requests) < 2:
                sent[table] = request
                continue
            if self._field:
                sent[table] = {**request, self._field: requests[:1]}
                held[table] = {**request, self._field: requests[1:]}
            else:
                sent[table] = requests[:1]
                held[table] = requests[1:]
        if held:
            self.injected += 1
            params["RequestItems"] = sent
            context[_HELD] = held

    def _short_circuit(self, context: dict[str, Any], **_: Any) -> Any:
        if self.process_none and context.get(_HELD):
            return SimpleNamespace(status_code=200, headers={}), {"Responses": {}}
        return None

    def _after(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if context.get(_HELD):
            parsed[self._result] = context[_HELD]


class Throttled:
    """The next `times` calls of `operation` fail with ProvisionedThroughputExceeded, as if
    botocore had already spent its own retries."""

    def __init__(self, client: DynamoDBClient, operation: str, times: int) -> None:
        self.client = client
        self.event = f"before-call.dynamodb.{operation}"
        self.times = times

    def __enter__(self) -> Throttled:
        self.client.meta.events.register(self.event, self._fail)
        return self

    def __exit__(self, *_: object) -> None:
        self.client.meta.events.unregister(self.event, self._fail)

    def _fail(self, **_: Any) -> Any:
        if self.times <= 0:
            return None
        self.times -= 1
        error = {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}
        http = SimpleNamespace(status_code=400, headers={})
        return http, {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}


class AnswerLost:
    """The next `times` calls of `operation` reach DynamoDB Local and are applied, but their
    answer is lost on the way back (a connection reset, a timeout): botocore sends the same
    request again, as it does for those."""

    def __init__(self, client: DynamoDBClient, operation: str, times: int = 1) -> None:
        self.client = client
        self.event = f"needs-retry.dynamodb.{operation}"
        self.times = times
        self.lost = 0

    def __enter__(self) -> AnswerLost:
        # First: botocore's own retry handler must not see the answer it would accept.
        self.client.meta.events.register_first(self.event, self._lose)
        return self

    def __exit__(self, *_: object) -> None:
        self.client.meta.events.unregister(self.event, self._lose)

    def _lose(self, response: Any, attempts: int, **_: Any) -> Any:
        if response is None or self.lost >= self.times:
            return None
        http, _parsed = response
        if http.status_code != 200:
            return None  # only an applied write's answer is lost here
        self.lost += 1
        return 0  # retry now
