"""Publishing to EventBridge with PutEvents, within its limits: at most 10 entries and 256 KB
a request, sized by EventBridge's own rule; entries that fail for a reason worth retrying
(throttling, an internal failure) retried alone, with backoff; what could not be published
reported entry by entry, never raised, so a caller can fail exactly those.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiobotocore.session import AioSession, get_session
from botocore.exceptions import BotoCoreError, ClientError

from store.client import call_config
from store.retry import Backoff
from store.tasks import gather

log = logging.getLogger(__name__)

MAX_ENTRIES = 10  # entries a PutEvents request takes
MAX_REQUEST_BYTES = 256 * 1024  # the entries' total size, by `Entry.size`
# The size rule counts the entry's fields; the API reference says the event's JSON keys count
# too. This much per entry keeps a request under the limit either way.
ENVELOPE_BYTES = 200
# Per-entry error codes PutEvents documents as retryable; any other (MalformedDetail,
# AccessDeniedException, ...) fails the same way every time.
RETRYABLE = frozenset({"InternalFailure", "ThrottlingException"})
# Whole-request errors worth another try after botocore's own retries.
RETRYABLE_CALLS = frozenset(
    {"ThrottlingException", "InternalException", "InternalFailure", "ServiceUnavailable"}
)
# Between tries of the failed entries (botocore retries each request 4 times itself first).
DEFAULT_BACKOFF = Backoff(attempts=5, base=0.05, cap=2.0)

EventsClient = Any  # aiobotocore's EventBridge client (its type stubs are not installed)


async def open_events_client(region: str, session: AioSession | None = None) -> EventsClient:
    """An EventBridge client to keep open; close it with `await client.close()`. Configured
    as the DynamoDB client is (store/client.py: its timeouts, retries and per-call savings).
    A session may be given to carry botocore event hooks (the tests' fault injection)."""
    session = session or get_session()
    context = session.create_client("events", region_name=region, config=call_config(session))
    return await context.__aenter__()


@dataclass(frozen=True)
class Entry:
    """One event to put. `ref` is the caller's name for it (the stream record's sequence
    number), handed back with a failure."""

    source: str
    detail_type: str
    detail: str  # JSON
    time: datetime | None
    ref: str

    def size(self) -> int:
        """EventBridge's size of the entry ("Calculating PutEvents event entry size")."""
        size = 14 if self.time is not None else 0
        return size + sum(len(text.encode()) for text in (self.source, self.detail_type,
                                                          self.detail))  # fmt: skip

    def request(self, bus: str) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "Source": self.source,
            "DetailType": self.detail_type,
            "Detail": self.detail,
            "EventBusName": bus,
        }
        if self.time is not None:
            entry["Time"] = self.time
        return entry


@dataclass(frozen=True)
class Failure:
    entry: Entry
    code: str
    message: str


def fits(entry: Entry) -> bool:
    """Whether the entry can go at all: alone in a request, within the limit."""
    return entry.size() + ENVELOPE_BYTES <= MAX_REQUEST_BYTES


def requests(entries: Sequence[Entry]) -> list[list[Entry]]:
    """The entries in order, cut into requests within both limits."""
    cut: list[list[Entry]] = []
    size = 0
    for entry in entries:
        weight = entry.size() + ENVELOPE_BYTES
        if not cut or len(cut[-1]) == MAX_ENTRIES or size + weight > MAX_REQUEST_BYTES:
            cut.append([])
            size = 0
        cut[-1].append(entry)
        size += weight
    return cut


class Publisher:
    def __init__(self, client: EventsClient, bus: str, backoff: Backoff = DEFAULT_BACKOFF) -> None:
        self.client = client
        self.bus = bus
        self.backoff = backoff

    async def publish(self, entries: Sequence[Entry]) -> list[Failure]:
        """Puts every entry, the requests concurrently; returns those that failed."""
        too_large = [
            Failure(e, "EntryTooLarge", f"{e.size()} bytes: more than a request takes")
            for e in entries
            if not fits(e)
        ]
        sendable = [e for e in entries if fits(e)]
        outcomes = await gather(*(self._put(request) for request in requests(sendable)))
        return too_large + [failure for failures in outcomes for failure in failures]

    async def _put(self, request: list[Entry]) -> list[Failure]:
        """One request's entries, the failed ones retried until they go or the tries end."""
        pending = [Failure(entry, "NotSent", "") for entry in request]
        failed: list[Failure] = []
        async for _ in self.backoff.tries():
            try:
                response = await self.client.put_events(
                    Entries=[f.entry.request(self.bus) for f in pending]
                )
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "ClientError")
                message = error.response.get("Error", {}).get("Message", "")
                pending = [Failure(f.entry, code, message) for f in pending]
                if code in RETRYABLE_CALLS:
                    continue
                break
            except BotoCoreError as error:  # no answer (timeouts, connections), after retries
                pending = [Failure(f.entry, type(error).__name__, str(error)) for f in pending]
                continue
            retry: list[Failure] = []
            for sent, result in zip(pending, response.get("Entries", []), strict=True):
                code = result.get("ErrorCode")
                if not code:
                    continue
                failure = Failure(sent.entry, code, result.get("ErrorMessage", ""))
                (retry if code in RETRYABLE else failed).append(failure)
            pending = retry
            if not pending:
                break
        failed.extend(pending)
        for failure in failed:
            log.error("PutEvents failed for %s: %s %s", failure.entry.ref, failure.code,
                      failure.message)  # fmt: skip
        return failed
