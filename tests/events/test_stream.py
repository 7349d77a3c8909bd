"""singlet_tools/stream.py: reading a stream from where it is asked to, on DynamoDB Local's real
stream; shard lineage (which Local does not produce) on DynamoDB Streams answered at the
botocore layer.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
from aiobotocore.session import get_session
from singlet_tools.stream import StreamReader, StreamsClient, lambda_record, stream_arn

from model import StoreError
from store import Store
from tests.conftest import REGION

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


async def read(reader: StreamReader) -> list[dict[str, Any]]:
    return [r async for batch in reader.batches() for r in batch.records]


def usernames(records: list[dict[str, Any]]) -> list[str]:
    return [r["dynamodb"]["NewImage"]["username"]["S"] for r in records
            if r["dynamodb"]["Keys"]["SK"]["S"] == "USER"]  # fmt: skip


async def test_latest_starts_after_what_is_there(
    stream_store: Store, stream_client: DynamoDBClient, streams: StreamsClient, stream_table: str
) -> None:
    await stream_store.create_user("s-ada", "ada")
    arn = await stream_arn(stream_client, stream_table)
    reader = StreamReader(streams, arn, start="LATEST")
    assert await read(reader) == []
    await stream_store.create_user("s-bob", "bob")
    assert usernames(await read(reader)) == ["bob"]
    everything = await read(StreamReader(streams, arn))
    assert usernames(everything) == ["ada", "bob"]
    # Lambda's shape: the time in epoch seconds, the stream named.
    assert isinstance(everything[0]["dynamodb"]["ApproximateCreationDateTime"], float)
    assert {r["eventSourceARN"] for r in everything} == {arn}


async def test_positions_resume_after_them(
    stream_store: Store, stream_client: DynamoDBClient, streams: StreamsClient, stream_table: str
) -> None:
    for name in ("ada", "bob", "cyd"):
        await stream_store.create_user(f"s-{name}", name)
    arn = await stream_arn(stream_client, stream_table)
    batches = [b async for b in StreamReader(streams, arn).batches()]
    records = [r for b in batches for r in b.records]
    bob = next(r for r in records if usernames([r]) == ["bob"])
    positions = {batches[0].shard: bob["dynamodb"]["SequenceNumber"]}
    after_bob = await read(StreamReader(streams, arn, positions=positions))
    assert usernames(after_bob) == ["cyd"]
    assert after_bob == records[records.index(bob) + 1 :]


async def test_a_table_without_a_stream_says_so(
    stream_client: DynamoDBClient, stream_table: str
) -> None:
    await stream_client.update_table(
        TableName=stream_table, StreamSpecification={"StreamEnabled": False}
    )
    with pytest.raises(StoreError, match="has no stream"):
        await stream_arn(stream_client, stream_table)


ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-01-01T00:00:00.000"


PARENT, CHILD = "shardId-00000001700000000000-aaaaaaaa", "shardId-00000001700000100000-bbbbbbbb"


def n(number: int) -> str:
    """A sequence number as DynamoDB writes them (21 digits at least)."""
    return f"{number:021d}"


class Lineage:
    """A stream whose first shard closed and split (as DynamoDB's do every few hours): the
    parent holds records 1-2, its child 3 and, once an expired iterator is renewed, 4."""

    def __init__(self) -> None:
        self.shards = {
            CHILD: {"ShardId": CHILD, "ParentShardId": PARENT,
                    "SequenceNumberRange": {"StartingSequenceNumber": n(3)}},
            PARENT: {"ShardId": PARENT, "SequenceNumberRange": {
                "StartingSequenceNumber": n(1), "EndingSequenceNumber": n(2)}},
        }  # fmt: skip
        self.records = {PARENT: [n(1), n(2)], CHILD: [n(3), n(4)]}
        self.expired = 1
        self.iterators: list[tuple[str, str, str | None]] = []

    def register(self, events: Any) -> None:
        answers = {"DescribeStream": self.describe, "GetShardIterator": self.iterator,
                   "GetRecords": self.get_records}  # fmt: skip
        for operation, answer in answers.items():
            events.register(f"before-call.dynamodbstreams.{operation}", answer)

    def describe(self, **_: Any) -> Any:
        return _ok({"StreamDescription": {"Shards": list(self.shards.values())}})

    def iterator(self, params: dict[str, Any], **_: Any) -> Any:
        body = _body(params)
        kind, shard, after = body["ShardIteratorType"], body["ShardId"], body.get("SequenceNumber")
        self.iterators.append((shard, kind, after))
        numbers = self.records[shard]
        position = numbers.index(after) + 1 if after else 0
        return _ok({"ShardIterator": f"{shard}:{position}"})

    def get_records(self, params: dict[str, Any], **_: Any) -> Any:
        shard, position = _body(params)["ShardIterator"].split(":")
        if shard == CHILD and position == "1" and self.expired:
            self.expired -= 1
            http = SimpleNamespace(status_code=400, headers={})
            return http, {"Error": {"Code": "ExpiredIteratorException", "Message": "old"},
                          "ResponseMetadata": {"HTTPStatusCode": 400}}  # fmt: skip
        numbers = self.records[shard][int(position) :][:1]  # a page of one record
        end = int(position) + len(numbers)
        closed = "EndingSequenceNumber" in self.shards[shard]["SequenceNumberRange"]
        page: dict[str, Any] = {"Records": [_record(n) for n in numbers]}
        if not (closed and end == len(self.records[shard])):
            page["NextShardIterator"] = f"{shard}:{end}"
        return _ok(page)


def _body(params: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(params["body"]))


def _ok(parsed: dict[str, Any]) -> Any:
    return SimpleNamespace(status_code=200, headers={}), parsed


def _record(number: str) -> dict[str, Any]:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    change = {"SequenceNumber": number, "ApproximateCreationDateTime": moment}
    return {"eventID": f"e{number}", "eventName": "INSERT", "dynamodb": change}


@pytest.fixture
async def lineage() -> AsyncIterator[tuple[Lineage, StreamsClient]]:
    stream = Lineage()
    session = get_session()
    session.set_credentials("fake", "fake")
    stream.register(session)
    async with session.create_client("dynamodbstreams", region_name=REGION) as client:
        yield stream, client


async def test_a_parent_shard_is_read_to_its_end_before_its_child(
    lineage: tuple[Lineage, StreamsClient],
) -> None:
    stream, client = lineage
    records = await read(StreamReader(client, ARN, poll_interval=0))
    assert [r["dynamodb"]["SequenceNumber"] for r in records] == [n(1), n(2), n(3), n(4)]
    # The expired iterator was renewed after the last record read, not from the start.
    assert stream.iterators == [(PARENT, "TRIM_HORIZON", None), (CHILD, "TRIM_HORIZON", None),
                                (CHILD, "AFTER_SEQUENCE_NUMBER", n(3))]  # fmt: skip


async def test_positions_and_latest_across_shards(
    lineage: tuple[Lineage, StreamsClient],
) -> None:
    stream, client = lineage
    stream.expired = 0
    resumed = await read(StreamReader(client, ARN, positions={PARENT: n(1)}))
    assert [r["dynamodb"]["SequenceNumber"] for r in resumed] == [n(2), n(3), n(4)]
    # LATEST: the closed parent has nothing new; the open child starts at its tip.
    latest = StreamReader(client, ARN, start="LATEST")
    stream.iterators.clear()
    await read(latest)
    assert stream.iterators == [(CHILD, "LATEST", None)]


def test_lambda_record_keeps_everything_but_the_time_format() -> None:
    raw = _record(n(7))
    converted = lambda_record(raw, "arn:x")
    assert converted["dynamodb"]["ApproximateCreationDateTime"] == raw["dynamodb"][
        "ApproximateCreationDateTime"].timestamp()  # fmt: skip
    assert converted["eventSourceARN"] == "arn:x"
    assert raw["dynamodb"]["ApproximateCreationDateTime"] != converted["dynamodb"][
        "ApproximateCreationDateTime"]  # the original is left as it was  # fmt: skip
