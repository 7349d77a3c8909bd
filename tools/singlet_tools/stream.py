"""Reading a table's stream directly (DescribeStream, GetShardIterator, GetRecords), where no
Lambda polls it: `singlet events tail|sink` on DynamoDB Local, the tests and the benchmark.

Records come out in the shape Lambda delivers them (ApproximateCreationDateTime in epoch
seconds, the stream's ARN as eventSourceARN), so the stream function's code decodes both.
Shards are read parents first, as Lambda does: an item's changes stay in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from model.errors import StoreError
from store.client import LOCAL_CREDENTIALS, call_config, is_local

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

Start = Literal["TRIM_HORIZON", "LATEST"]
# The dynamodbstreams client (no type stubs are installed for it: its four calls are used).
StreamsClient = Any


async def open_streams_client(region: str, endpoint_url: str | None = None) -> StreamsClient:
    """A DynamoDB Streams client to keep open; close it with `await client.close()`. As the
    DynamoDB client (store/client.py): placeholder credentials for DynamoDB Local only."""
    credentials = LOCAL_CREDENTIALS if is_local(endpoint_url) else {}
    session = get_session()
    context = session.create_client(
        "dynamodbstreams",
        region_name=region,
        endpoint_url=endpoint_url,
        config=call_config(session),
        **credentials,
    )
    return await context.__aenter__()


async def stream_arn(client: DynamoDBClient, table: str) -> str:
    """The table's current stream; StoreError if it has none (see tables.create_table)."""
    description = (await client.describe_table(TableName=table))["Table"]
    arn = description.get("LatestStreamArn")
    if not arn or not description.get("StreamSpecification", {}).get("StreamEnabled"):
        raise StoreError(f"table {table} has no stream: create it with stream=True")
    return arn


def lambda_record(record: Mapping[str, Any], arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda's event carries it."""
    change = dict(record["dynamodb"])
    moment = change.get("ApproximateCreationDateTime")
    if isinstance(moment, datetime):
        change["ApproximateCreationDateTime"] = moment.timestamp()
    return {**record, "dynamodb": change, "eventSourceARN": arn}


@dataclass(frozen=True)
class Batch:
    """One GetRecords page of one shard, in stream order."""

    shard: str
    records: list[dict[str, Any]]

    @property
    def last_sequence(self) -> str:
        return str(self.records[-1]["dynamodb"]["SequenceNumber"])


@dataclass
class _Shard:
    id: str
    parent: str | None
    closed: bool
    iterator: str | None = None
    last: str | None = None  # the last sequence number read
    done: bool = False


@dataclass
class StreamReader:
    """Pages of records, shard by shard, parents before children.

    `positions` (shard id to the last sequence number processed) resumes after them; other
    shards start at `start`, except shards born while reading, which are read from their
    beginning. With `follow`, waits for new records; without, stops once every shard has
    answered with nothing new.
    """

    client: StreamsClient
    arn: str
    start: Start = "TRIM_HORIZON"
    positions: Mapping[str, str] = field(default_factory=dict)
    page_size: int = 1000
    poll_interval: float = 0.25
    _shards: dict[str, _Shard] = field(default_factory=dict, init=False, repr=False)
    _first_look: bool = field(default=True, init=False, repr=False)

    async def position(self) -> None:
        """Takes the starting positions now (LATEST: this moment), not at the first read."""
        await self._discover()

    async def batches(self, follow: bool = False) -> AsyncIterator[Batch]:
        while True:
            await self._discover()
            busy = False
            for shard in self._readable():
                batch = await self._read(shard)
                if batch is not None:
                    busy = True
                    yield batch
            if not busy:
                if not follow:
                    return
                await asyncio.sleep(self.poll_interval)

    async def _discover(self) -> None:
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {"StreamArn": self.arn}
        while True:
            description = (await self.client.describe_stream(**params))["StreamDescription"]
            found.extend(description.get("Shards", []))
            last = description.get("LastEvaluatedShardId")
            if not last:
                break
            params["ExclusiveStartShardId"] = last
        for raw in found:
            shard_id = raw["ShardId"]
            closed = "EndingSequenceNumber" in raw.get("SequenceNumberRange", {})
            if shard_id in self._shards:
                self._shards[shard_id].closed = closed
                continue
            shard = _Shard(shard_id, raw.get("ParentShardId"), closed)
            # LATEST means "from now": for shards that were there when reading began. A closed
            # one then has nothing new; a later child shard is new in its entirety.
            if self._first_look and self.start == "LATEST" and shard_id not in self.positions:
                shard.done = closed
                shard.iterator = None if closed else await self._iterator(shard_id, "LATEST")
            self._shards[shard_id] = shard
        self._first_look = False

    def _readable(self) -> list[_Shard]:
        def parent_done(shard: _Shard) -> bool:
            parent = self._shards.get(shard.parent) if shard.parent else None
            return parent is None or parent.done  # (a parent trimmed away is done)

        return [s for s in self._shards.values() if not s.done and parent_done(s)]

    async def _iterator(self, shard_id: str, kind: str, after: str | None = None) -> str:
        params: dict[str, Any] = {
            "StreamArn": self.arn,
            "ShardId": shard_id,
            "ShardIteratorType": kind,
        }
        if after is not None:
            params["SequenceNumber"] = after
        return str((await self.client.get_shard_iterator(**params))["ShardIterator"])

    async def _start(self, shard: _Shard) -> str:
        after = shard.last or self.positions.get(shard.id)
        if after is not None:
            return await self._iterator(shard.id, "AFTER_SEQUENCE_NUMBER", after)
        return await self._iterator(shard.id, "TRIM_HORIZON")

    async def _read(self, shard: _Shard) -> Batch | None:
        for renewals in range(2):
            if shard.iterator is None:
                shard.iterator = await self._start(shard)
            try:
                page = await self.client.get_records(
                    ShardIterator=shard.iterator, Limit=self.page_size
                )
                break
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code")
                if code != "ExpiredIteratorException" or renewals:
                    raise
                shard.iterator = None  # 15 minutes old: a new one from where the shard stood
        shard.iterator = page.get("NextShardIterator")
        if shard.iterator is None:
            shard.done = True  # a closed shard, read to its end
        records = page.get("Records", [])
        if not records:
            return None
        batch = Batch(shard.id, [lambda_record(r, self.arn) for r in records])
        shard.last = batch.last_sequence
        return batch
