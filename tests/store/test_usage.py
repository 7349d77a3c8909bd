"""Round trips as the meter counts them: the waves of calls that overlap."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from cost.meter import meter_of
from store.tasks import gather

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


async def missing_table(client: DynamoDBClient) -> object:
    return await client.query(TableName="no-such-table", KeyConditionExpression="PK = :p",
                              ExpressionAttributeValues={":p": {"S": "x"}})  # fmt: skip


async def test_a_call_cancelled_in_flight_stays_in_its_wave(
    client: DynamoDBClient, table_name: str
) -> None:
    """Two calls issued together; one fails, the store cancels the other in flight. Both
    were one round trip: the cancelled one ends when it is given up, not where it began."""

    async def never_answered(**_: Any) -> None:  # the GetItem's request is never sent
        await asyncio.Event().wait()

    client.meta.events.register("before-send.dynamodb.GetItem", never_answered)
    key = {"PK": {"S": "USER#x"}, "SK": {"S": "USER"}}
    try:
        with (
            meter_of(client).listening() as usage,
            pytest.raises(client.exceptions.ResourceNotFoundException),
        ):
            await gather(client.get_item(TableName=table_name, Key=key), missing_table(client))
    finally:
        client.meta.events.unregister("before-send.dynamodb.GetItem", never_answered)
    assert usage.counts == {"GetItem": 1, "Query": 1}
    assert all(call.ended is not None for call in usage.calls)
    assert usage.round_trips == 1
