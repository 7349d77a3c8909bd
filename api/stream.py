"""The stream function (StreamFunction in infra/template.yaml): the table's stream records in,
normalized entity events out to EventBridge (changes/), answered with Lambda's partial batch
failure.

The EventBridge client is aiobotocore's, like the DynamoDB one: a batch's PutEvents requests
(up to ten for a hundred records) go out concurrently on one event loop, which this container
keeps across warm invocations together with the client (as Mangum does for the API).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from aiobotocore.session import AioSession

from changes.decode import Undecodable, sequence_of
from changes.events import entry_for, normalize
from changes.publishers.eventbridge import Entry, Publisher, open_events_client

from . import logs
from .settings import StreamSettings

log = logging.getLogger("singlet.stream")


# The Lambda function


class StreamFunction:
    """Lambda's handler: `handler(event, context)`. Made at import (no network: Lambda's
    init), the loop and the client on the first invocation."""

    def __init__(self, settings: StreamSettings, session: AioSession | None = None) -> None:
        self.settings = settings
        self.session = session  # botocore hooks for tests; None: a default session
        self._loop: asyncio.AbstractEventLoop | None = None
        self._publisher: Publisher | None = None
        self._configured = False

    def __call__(self, event: Mapping[str, Any], context: object) -> dict[str, Any]:
        if not self._configured:
            logs.configure(self.settings.log_level)
            self._configured = True
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(self.process(event.get("Records", [])))

    async def publisher(self) -> Publisher:
        if self._publisher is None:
            client = await open_events_client(self.settings.region, self.session)
            self._publisher = Publisher(client, self.settings.bus)
        return self._publisher

    async def close(self) -> None:
        if self._publisher is not None:
            await self._publisher.client.close()
            self._publisher = None

    def shutdown(self) -> None:
        """The container goes away: the client closed on its own loop, then the loop."""
        if self._loop is not None:
            self._loop.run_until_complete(self.close())
            self._loop.close()
            self._loop = None

    async def process(self, records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Publishes the records' events; fails (by sequence number) exactly the records that
        could not be decoded or delivered. Lambda then retries from the first of those."""
        failed: set[str] = set()
        entries: list[Entry] = []
        for raw in records:
            try:
                event = normalize(raw)
            except Undecodable as error:
                number = sequence_of(raw)
                if number is None:
                    raise  # not reportable by itself: the function fails, Lambda bisects
                log.error("stream record %s cannot be decoded: %s", number, error,
                          extra={"sequenceNumber": number})  # fmt: skip
                failed.add(number)
                continue
            if event is not None:
                entries.append(entry_for(event, self.settings.source))
        if entries:
            publisher = await self.publisher()
            failed.update(f.entry.ref for f in await publisher.publish(entries))
        order = [sequence_of(raw) for raw in records]
        return {"batchItemFailures": [{"itemIdentifier": n} for n in order if n in failed]}


handler = StreamFunction(StreamSettings.from_env())
