"""changes/publishers/eventbridge.py against an EventBridge answered at the botocore layer:
requests within both limits, failed entries retried alone, what never went reported entry by
entry."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from changes.publishers.eventbridge import MAX_REQUEST_BYTES, Entry, Publisher, open_events_client
from store.retry import Backoff
from tests.conftest import REGION
from tests.events.conftest import FakeEventBridge, entry_size

FAST = Backoff(attempts=5, base=0.001, cap=0.01)


@pytest.fixture
async def publisher(eventbridge: FakeEventBridge) -> AsyncIterator[Publisher]:
    client = await open_events_client(REGION, eventbridge.session())
    yield Publisher(client, "singlet-test", FAST)
    await client.close()


def entry(n: int, size: int = 0) -> Entry:
    detail = json.dumps({"id": f"event-{n}", "padding": "x" * size})
    return Entry("singlet", "Post updated", detail, datetime(2026, 1, 1, tzinfo=UTC), f"seq-{n}")


def ids(entries: list[dict[str, Any]]) -> list[str]:
    return [json.loads(e["Detail"])["id"] for e in entries]


async def test_requests_keep_within_ten_entries(
    publisher: Publisher, eventbridge: FakeEventBridge
) -> None:
    entries = [entry(n) for n in range(25)]
    assert await publisher.publish(entries) == []
    assert sorted(len(r) for r in eventbridge.requests) == [5, 10, 10]
    assert sorted(ids(eventbridge.accepted)) == sorted(f"event-{n}" for n in range(25))
    assert {e["EventBusName"] for e in eventbridge.accepted} == {"singlet-test"}


async def test_requests_keep_within_256_kb(
    publisher: Publisher, eventbridge: FakeEventBridge
) -> None:
    entries = [entry(n, size=100_000) for n in range(5)]  # two fit in a request, three do not
    assert await publisher.publish(entries) == []
    assert sorted(len(r) for r in eventbridge.requests) == [1, 2, 2]
    for request in eventbridge.requests:
        assert sum(map(entry_size, request)) <= MAX_REQUEST_BYTES


async def test_an_entry_over_the_limit_fails_alone_and_is_never_sent(
    publisher: Publisher, eventbridge: FakeEventBridge
) -> None:
    entries = [entry(0), entry(1, size=MAX_REQUEST_BYTES), entry(2)]
    (failure,) = await publisher.publish(entries)
    assert (failure.entry.ref, failure.code) == ("seq-1", "EntryTooLarge")
    assert sorted(ids(eventbridge.accepted)) == ["event-0", "event-2"]
    assert all("event-1" not in ids(r) for r in eventbridge.requests)


async def test_failed_entries_are_retried_alone(
    publisher: Publisher, eventbridge: FakeEventBridge
) -> None:
    eventbridge.fail = {"event-3": ("InternalFailure", 2), "event-5": ("ThrottlingException", 1)}
    assert await publisher.publish([entry(n) for n in range(8)]) == []
    assert [ids(r) for r in eventbridge.requests] == [
        [f"event-{n}" for n in range(8)],
        ["event-3", "event-5"],
        ["event-3"],
    ]
    assert sorted(ids(eventbridge.accepted)) == [f"event-{n}" for n in range(8)]


async def test_entries_that_cannot_go_are_reported(
    publisher: Publisher, eventbridge: FakeEventBridge
) -> None:
    eventbridge.fail = {"event-1": ("InternalFailure", 99), "event-2": ("MalformedDetail", 1)}
    failures = await publisher.publish([entry(n) for n in range(4)])
    assert sorted((f.entry.ref, f.code) for f in failures) == [
        ("seq-1", "InternalFailure"),  # retried until the tries ran out
        ("seq-2", "MalformedDetail"),  # not worth a retry: fails the same way every time
    ]
    sent = [ids(r) for r in eventbridge.requests]
    assert sum(r.count("event-1") for r in sent) == FAST.attempts
    assert sum(r.count("event-2") for r in sent) == 1


async def test_a_refused_request_fails_its_entries(
    publisher: Publisher, eventbridge: FakeEventBridge
) -> None:
    eventbridge.refuse_requests = [("AccessDeniedException", 400)]
    failures = await publisher.publish([entry(n) for n in range(3)])
    assert sorted((f.entry.ref, f.code) for f in failures) == [
        ("seq-0", "AccessDeniedException"),
        ("seq-1", "AccessDeniedException"),
        ("seq-2", "AccessDeniedException"),
    ]
    assert len(eventbridge.requests) == 1  # refused for good: not tried again


async def test_a_throttled_request_is_sent_again(
    publisher: Publisher, eventbridge: FakeEventBridge
) -> None:
    eventbridge.refuse_requests = [("ThrottlingException", 400)]
    assert await publisher.publish([entry(n) for n in range(3)]) == []
    assert len(eventbridge.requests) == 2
    assert sorted(ids(eventbridge.accepted)) == ["event-0", "event-1", "event-2"]
