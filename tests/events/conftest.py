"""Fixtures for the change events: stream-enabled tables on a DynamoDB Local of their own, the
API pointed at them, a tap on the stream, and an EventBridge answered at the botocore layer.

Own Local: once a stream has existed, DynamoDB Local answers Queries several times slower for
the rest of its life (tools/singlet_tools/tables.py), so the session's shared one never gets a
stream from these tests.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
from aiobotocore.session import AioSession, get_session
from singlet_tools.stream import StreamReader, StreamsClient, open_streams_client, stream_arn
from singlet_tools.tables import create_table, delete_table

from api.app import create_app
from api.settings import Settings
from changes.events import normalize
from changes.publishers.eventbridge import MAX_ENTRIES, MAX_REQUEST_BYTES
from store import Store, Table
from store.client import open_client
from tests.api.conftest import SECRET, Api, Member, lambda_container, make_token
from tests.conftest import FAST_BACKOFF, REGION, local_dynamodb

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

Event = dict[str, Any]


@pytest.fixture(scope="session")
def stream_endpoint() -> Iterator[str]:
    """A DynamoDB Local of the stream tests' own: it answers slower once it holds streams."""
    yield from local_dynamodb()


@pytest.fixture(scope="session")
async def stream_client(stream_endpoint: str) -> AsyncIterator[DynamoDBClient]:
    dynamodb = await open_client(REGION, stream_endpoint)
    yield dynamodb
    await dynamodb.close()


@pytest.fixture(scope="session")
async def streams(stream_endpoint: str) -> AsyncIterator[StreamsClient]:
    client = await open_streams_client(REGION, stream_endpoint)
    yield client
    await client.close()


@pytest.fixture
async def stream_table(stream_client: DynamoDBClient) -> AsyncIterator[str]:
    """A fresh table with the template's stream, for this test alone."""
    name = f"test-events-{uuid.uuid4().hex[:10]}"
    await create_table(stream_client, name, stream=True)
    yield name
    await delete_table(stream_client, name)


@pytest.fixture
def stream_store(stream_client: DynamoDBClient, stream_table: str) -> Store:
    return Store(Table(stream_client, stream_table, FAST_BACKOFF))


@pytest.fixture
def stream_settings(stream_endpoint: str, stream_table: str) -> Settings:
    return Settings(
        table_name=stream_table,
        region=REGION,
        endpoint_url=stream_endpoint,
        jwt_secret=SECRET,
        cursor_secret="cursor-" + SECRET,
        log_level="WARNING",
    )


@pytest.fixture
def events_api(stream_settings: Settings) -> Iterator[Api]:
    """The API on the stream-enabled table, as Lambda runs it."""
    with lambda_container(create_app(stream_settings)) as api:
        yield api


@pytest.fixture
def join(events_api: Api) -> Any:
    """Creates a profile through the API; returns the member."""

    async def create(username: str) -> Member:
        token = make_token(f"auth0|{username}")
        result = await events_api.graphql(
            "mutation($u: String!) { createUser(input: {username: $u}) { id } }",
            {"u": username},
            token=token,
        )
        assert "errors" not in result, result
        return Member(username, token, result["data"]["createUser"]["id"])

    return create


@dataclass
class Tap:
    """The table's stream, read on from where the last read stopped."""

    reader: StreamReader

    async def records(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        # Until a read brings nothing: every record of a write that returned is there.
        while True:
            batches = [b async for b in self.reader.batches(follow=False)]
            if not batches:
                return found
            found.extend(r for b in batches for r in b.records)

    async def events(self) -> list[Event]:
        return [e for e in map(normalize, await self.records()) if e is not None]


@pytest.fixture
async def tap(stream_client: DynamoDBClient, streams: StreamsClient, stream_table: str) -> Tap:
    arn = await stream_arn(stream_client, stream_table)
    return Tap(StreamReader(streams, arn, poll_interval=0.01))


def summary(events: list[Event]) -> list[tuple[str, str, tuple[str, ...], str]]:
    """What each event says changed, in a comparable order (a transaction's items may reach
    the stream in any order)."""
    return sorted((e["entity"], e["change"], tuple(e["changed"]), e["cause"]) for e in events)


# EventBridge, answered at the botocore layer (it has no local version)


def entry_size(entry: dict[str, Any]) -> int:
    """EventBridge's rule, applied to the entry as it was sent."""
    size = 14 if "Time" in entry else 0
    return size + sum(len(entry[k].encode()) for k in ("Source", "DetailType", "Detail"))


@dataclass
class FakeEventBridge:
    """Answers PutEvents before anything is sent, as EventBridge would: a request over its
    limits is refused whole; entries named in `fail` fail with that code, `times` times."""

    requests: list[list[dict[str, Any]]] = field(default_factory=list)
    fail: dict[str, tuple[str, int]] = field(default_factory=dict)  # Detail id -> (code, times)
    refuse_requests: list[tuple[str, int]] = field(default_factory=list)  # (code, status)

    def session(self) -> AioSession:
        session = get_session()
        session.set_credentials("fake", "fake")  # never used: nothing is signed or sent
        session.register("before-call.events.PutEvents", self._answer)
        return session

    accepted: list[dict[str, Any]] = field(default_factory=list)

    @property
    def delivered(self) -> list[Event]:
        """The events accepted, in the order they were."""
        return [json.loads(e["Detail"]) for e in self.accepted]

    def _answer(self, params: dict[str, Any], **_: Any) -> Any:
        entries = json.loads(params["body"])["Entries"]
        if self.refuse_requests:
            code, status = self.refuse_requests.pop(0)
            self.requests.append(entries)
            return _error(code, status)
        if len(entries) > MAX_ENTRIES or sum(map(entry_size, entries)) > MAX_REQUEST_BYTES:
            return _error("ValidationException", 400)
        self.requests.append(entries)
        results = []
        for entry in entries:
            event_id = json.loads(entry["Detail"]).get("id", "")
            code, times = self.fail.get(event_id, ("", 0))
            if times > 0:
                self.fail[event_id] = (code, times - 1)
                results.append({"ErrorCode": code, "ErrorMessage": "refused by the fake"})
            else:
                self.accepted.append(entry)
                results.append({"EventId": str(uuid.uuid4())})
        failed = sum("ErrorCode" in r for r in results)
        return SimpleNamespace(status_code=200, headers={}), {
            "FailedEntryCount": failed,
            "Entries": results,
        }


def _error(code: str, status: int) -> Any:
    http = SimpleNamespace(status_code=status, headers={})
    body = {"Error": {"Code": code, "Message": "refused by the fake"},
            "ResponseMetadata": {"HTTPStatusCode": status}}  # fmt: skip
    return http, body


@pytest.fixture
def eventbridge() -> FakeEventBridge:
    return FakeEventBridge()


def lambda_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}


async def invoke(function: Any, event: dict[str, Any]) -> Any:
    """The handler as Lambda calls it: synchronously, in its own thread."""
    return await asyncio.to_thread(function, event, SimpleNamespace(aws_request_id="test"))
