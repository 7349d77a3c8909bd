"""api/stream.py, the Lambda handler: real stream records in, events on a bus answered at the
botocore layer, and Lambda's partial batch failure answer for exactly the records that could
not be decoded or delivered."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from api.settings import StreamSettings
from api.stream import StreamFunction
from changes.decode import Undecodable
from changes.events import normalize
from changes.publishers.eventbridge import MAX_REQUEST_BYTES
from model.attrs import marshal_item
from model.limits import MAX_CONTENT
from store import Store
from tests.events.conftest import FakeEventBridge, Tap, entry_size, invoke, lambda_event

SETTINGS = StreamSettings(region="us-east-1", bus="singlet-test", source="singlet.test")


@pytest.fixture
async def function(eventbridge: FakeEventBridge) -> AsyncIterator[StreamFunction]:
    handler = StreamFunction(SETTINGS, eventbridge.session())
    yield handler
    await asyncio.to_thread(handler.shutdown)


@pytest.fixture
def reported() -> Iterator[list[logging.LogRecord]]:
    """What the function logs (its own logger: the JSON logging set-up keeps it)."""
    found: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            found.append(record)

    logger, handler = logging.getLogger("singlet.stream"), Keep(logging.ERROR)
    logger.addHandler(handler)
    yield found
    logger.removeHandler(handler)


async def some_records(store: Store, tap: Tap) -> list[dict[str, Any]]:
    ada = await store.create_user("s-ada", "ada")
    bob = await store.create_user("s-bob", "bob")
    post, _ = await store.create_post(ada.id, "Title", "Body", tags=("a",))
    await store.vote(bob.id, post.id, "UP")
    await store.add_comment(bob.id, post.id, "Hi")
    return await tap.records()


def sequence(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


async def test_records_become_events_on_the_bus(
    function: StreamFunction, eventbridge: FakeEventBridge, stream_store: Store, tap: Tap
) -> None:
    records = await some_records(stream_store, tap)
    answer = await invoke(function, lambda_event(records))
    assert answer == {"batchItemFailures": []}
    expected = [e for e in map(normalize, records) if e is not None]
    assert len(expected) == 8  # 2 users; a post and its body; a vote, a comment, each + post
    assert sorted(e["id"] for e in eventbridge.delivered) == sorted(e["id"] for e in expected)
    by_id = {e["id"]: e for e in eventbridge.delivered}
    assert all(by_id[e["id"]] == e for e in expected)
    entry = eventbridge.accepted[0]
    assert (entry["Source"], entry["EventBusName"]) == ("singlet.test", "singlet-test")
    kinds = {"User created", "Post created", "Post updated", "Vote created", "Comment created"}
    assert {e["DetailType"] for e in eventbridge.accepted} == kinds


async def test_the_same_batch_again_gives_the_same_event_ids(
    function: StreamFunction, eventbridge: FakeEventBridge, stream_store: Store, tap: Tap
) -> None:
    """Lambda delivers a batch again after a failure: consumers recognise the events."""
    records = await some_records(stream_store, tap)
    await invoke(function, lambda_event(records))
    first = [e["id"] for e in eventbridge.delivered]
    eventbridge.accepted.clear()
    await invoke(function, lambda_event(records))
    assert [e["id"] for e in eventbridge.delivered] == first
    assert {e["id"] for e in eventbridge.delivered} <= {r["eventID"] for r in records}


async def test_a_record_that_cannot_be_decoded_fails_only_itself(
    function: StreamFunction,
    eventbridge: FakeEventBridge,
    stream_store: Store,
    tap: Tap,
    reported: list[logging.LogRecord],
) -> None:
    records = await some_records(stream_store, tap)
    bad = copy.deepcopy(records[4])
    image = bad["dynamodb"]["NewImage"]
    bad["dynamodb"]["NewImage"] = {**image, **marshal_item({"entity": "Gadget"})}
    batch = [*records[:4], bad, *records[5:]]

    answer = await invoke(function, lambda_event(batch))
    assert answer == {"batchItemFailures": [{"itemIdentifier": sequence(bad)}]}
    others = [e for e in map(normalize, batch[:4] + batch[5:]) if e is not None]
    assert sorted(e["id"] for e in eventbridge.delivered) == sorted(e["id"] for e in others)
    (line,) = reported
    assert sequence(bad) in line.getMessage()
    assert "Gadget" in line.getMessage()


async def test_a_record_with_no_sequence_number_fails_the_invocation(
    function: StreamFunction, stream_store: Store, tap: Tap
) -> None:
    """Nothing to name it by: the function fails, and Lambda bisects the batch."""
    records = await some_records(stream_store, tap)
    with pytest.raises(Undecodable, match="not a DynamoDB stream record"):
        await invoke(function, lambda_event([*records, {"eventID": "x"}]))


async def test_events_that_cannot_be_delivered_fail_their_records(
    function: StreamFunction, eventbridge: FakeEventBridge, stream_store: Store, tap: Tap
) -> None:
    records = await some_records(stream_store, tap)
    published = [(r, e) for r in records if (e := normalize(r)) is not None]
    (lost, _), (late, _) = published[1], published[6]
    eventbridge.fail = {
        lost["eventID"]: ("MalformedDetail", 1),  # for good
        late["eventID"]: ("ThrottlingException", 2),  # goes on a retry
    }
    answer = await invoke(function, lambda_event(records))
    assert answer == {"batchItemFailures": [{"itemIdentifier": sequence(lost)}]}
    assert late["eventID"] in {e["id"] for e in eventbridge.delivered}
    assert lost["eventID"] not in {e["id"] for e in eventbridge.delivered}


async def test_failures_come_in_stream_order(
    function: StreamFunction, eventbridge: FakeEventBridge, stream_store: Store, tap: Tap
) -> None:
    records = await some_records(stream_store, tap)
    published = [r for r in records if normalize(r) is not None]
    eventbridge.fail = {r["eventID"]: ("MalformedDetail", 1) for r in published[2:5]}
    answer = await invoke(function, lambda_event(records))
    assert answer == {"batchItemFailures": [{"itemIdentifier": sequence(r)}
                                            for r in published[2:5]]}  # fmt: skip


async def test_a_body_edit_too_large_for_one_event_omits_the_old_content(
    function: StreamFunction, eventbridge: FakeEventBridge, stream_store: Store, tap: Tap
) -> None:
    """Two contents at the limit, in 4-byte characters, are 400 KB: more than an event."""
    ada = await stream_store.create_user("s-ada", "ada")
    post, _ = await stream_store.create_post(ada.id, "Big", "\U0001f600" * MAX_CONTENT)
    await stream_store.update_post(ada.id, post.id, 1, content="\U0001f680" * MAX_CONTENT)
    records = await tap.records()
    answer = await invoke(function, lambda_event(records))
    assert answer == {"batchItemFailures": []}
    (edit,) = [e for e in eventbridge.delivered if e.get("omitted")]
    assert edit["omitted"] == ["before.content"]
    assert edit["before"] == {"id": edit["entityId"]}
    assert edit["after"]["content"] == "\U0001f680" * MAX_CONTENT
    assert all(entry_size(e) <= MAX_REQUEST_BYTES for e in eventbridge.accepted)
    assert json.loads(eventbridge.accepted[-1]["Detail"])  # (valid JSON, as sent)
