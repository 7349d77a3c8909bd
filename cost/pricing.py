"""What AWS would bill for a call, by the cost model (cost/billing.py), where the endpoint does
not say it: DynamoDB Local reports transactions its own way (4 units per KB, and a multi-item
transaction's table figure that is not the sum of its items: tests/store/test_cost.py).

Reads are priced by the items they returned; writes by the items as they were before and after
the call, read around it on the same client, unmetered (so the request's own cost is not
changed by it, only its latency: this is for DynamoDB Local and benchmarks, never AWS). A Scan
or Query with a filter reads items it does not return: those keep the endpoint's figure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from model.shape import Shape

from .billing import (
    EVENTUAL,
    STRONG,
    batch_read_units,
    condition_check_units,
    item_size,
    query_read_units,
    write_units,
)

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
_STATE = "singlet_pricing"  # the call's parameters and images, in botocore's per-call context
_pricing: ContextVar[bool] = ContextVar("singlet_pricing", default=False)


def unmetered() -> bool:
    """True inside the pricer's own reads: no meter counts them."""
    return _pricing.get()


@contextmanager
def _reading() -> Iterator[None]:
    token = _pricing.set(True)
    try:
        yield
    finally:
        _pricing.reset(token)


class Pricer:
    """Prices the calls of `operations` made on `client`; `shape_of` gives each table's."""

    def __init__(
        self,
        client: DynamoDBClient,
        shape_of: Callable[[str], Shape],
        operations: frozenset[str] = frozenset({"TransactWriteItems"}),
    ) -> None:
        self.client = client
        self.shape_of = shape_of
        self.operations = operations

    def attach(self) -> Pricer:
        events = self.client.meta.events
        events.register("provide-client-params.dynamodb", self._params)
        events.register("before-call.dynamodb", self._before)
        return self

    def _params(self, params: dict[str, Any], model: Any, context: dict[str, Any],
                **_: Any) -> None:  # fmt: skip
        if model.name in self.operations and not unmetered():
            context[_STATE] = {"params": dict(params)}

    async def _before(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        state = context.get(_STATE)
        if state is not None and model.name in WRITES:
            state["targets"] = _targets(model.name, state["params"], self.shape_of)
            state["before"] = await self._images(state["targets"])

    async def price(self, operation: str, context: Mapping[str, Any], parsed: Any,
                    reported: float) -> float | None:  # fmt: skip
        """The call's units by AWS's rules; None when it was not priced."""
        state = context.get(_STATE)
        if state is None:
            return None
        params = state["params"]
        if operation in ("Query", "Scan"):  # (a Scan: a migration's, billed as a Query is)
            if params.get("FilterExpression"):
                return reported  # items read but not returned: the model cannot see them
            rate = STRONG if params.get("ConsistentRead") else EVENTUAL
            return query_read_units([item_size(i) for i in parsed.get("Items", [])], rate)
        if operation == "GetItem":
            rate = STRONG if params.get("ConsistentRead") else EVENTUAL
            item = parsed.get("Item")
            return batch_read_units([item_size(item) if item else 0], rate)
        if operation == "BatchGetItem":
            units = 0.0
            for table, items in parsed.get("Responses", {}).items():
                strong = params["RequestItems"][table].get("ConsistentRead")
                units += batch_read_units([item_size(i) for i in items], STRONG if strong
                                          else EVENTUAL)  # fmt: skip
            return units
        if operation in WRITES:
            after = await self._images(state["targets"])
            transactional = operation == "TransactWriteItems"
            units = 0.0
            for target, old, new in zip(state["targets"], state["before"], after, strict=True):
                table, kind, _ = target
                if kind == "ConditionCheck":
                    units += condition_check_units(old).total
                else:
                    units += write_units(self.shape_of(table), old, new, transactional).total
            return units
        return None

    async def _images(self, targets: list[tuple[str, str, dict[str, Any]]]) -> list[Any]:
        images = []
        with _reading():
            for table, _, key in targets:
                response = await self.client.get_item(TableName=table, Key=key,
                                                      ConsistentRead=True)  # fmt: skip
                images.append(response.get("Item"))
        return images


def _targets(
    operation: str, params: Mapping[str, Any], shape_of: Callable[[str], Shape]
) -> list[tuple[str, str, dict[str, Any]]]:
    """(table, kind, key) of every item a write touches."""

    def key(table: str, body: Mapping[str, Any]) -> dict[str, Any]:
        if "Key" in body:
            return dict(body["Key"])
        return {k: body["Item"][k] for k in shape_of(table).table.keys}

    if operation == "TransactWriteItems":
        return [(body["TableName"], kind, key(body["TableName"], body))
                for action in params["TransactItems"] for kind, body in action.items()]  # fmt: skip
    if operation == "BatchWriteItem":
        found = []
        for table, requests in params["RequestItems"].items():
            for request in requests:
                ((kind, body),) = request.items()
                found.append((table, kind, key(table, body)))
        return found
    return [(params["TableName"], operation, key(params["TableName"], params))]
