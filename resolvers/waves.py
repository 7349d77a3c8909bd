"""One request's dataloaders, dispatched together in waves.

aiodataloader dispatches a loader's queue one event-loop tick after its first load, so which
loads share a batch depends on timing: a load that arrives a tick late (its resolver was
waiting on a DynamoDB answer that came back a moment after another's) rides alone, costing
a call and sometimes a round trip. Here every loader of the request queues into one schedule:
a wave is dispatched when the previous wave's calls have all answered and every resolver
has run as far as it can (nothing else is ready to run on the event loop), so the calls a
query makes, and its round trips, follow from the query alone, never from timing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar, cast

from .internals import Load, QueuingDataLoader, dispatch, ready_callbacks

K = TypeVar("K")
V = TypeVar("V")

# While other requests keep the event loop busy (a local server with concurrent clients),
# a wave goes out after this many ticks even if something is still runnable.
MAX_WAIT_TICKS = 64

# A batch answers key by key, a value or that key's own exception (aiodataloader rejects
# just that key's load with it).
Batch = Callable[[list[K]], Coroutine[Any, Any, list[V | Exception]]]


class Waves:
    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.count = 0  # waves dispatched
        self._loaders: list[WaveLoader[Any, Any]] = []
        self._in_flight: set[asyncio.Future[None]] = set()
        self._scheduled = False
        self._ticks = 0
        self._closed = False

    def loader(self, batch: Batch[K, V]) -> WaveLoader[K, V]:
        loader: WaveLoader[K, V] = WaveLoader(batch, self)
        self._loaders.append(loader)
        return loader

    def queued(self) -> None:
        if not self._scheduled and not self._closed:
            self._scheduled = True
            self._ticks = 0
            self.loop.call_soon(self._check)

    def _check(self) -> None:
        if self._closed:
            self._scheduled = False
            return
        if self._in_flight:
            self._scheduled = False  # the last batch to finish schedules the next check
            return
        ready = ready_callbacks(self.loop)  # None: a loop that does not say (uvloop)
        if self._ticks < MAX_WAIT_TICKS and (ready is None or ready > 0):
            # Resolvers woken by the last wave are still running: let them queue their loads.
            self._ticks += 1
            self.loop.call_soon(self._check)
            return
        self._scheduled = False
        self._dispatch()

    def _dispatch(self) -> None:
        batches = [(loader, loader.take()) for loader in self._loaders if loader.pending]
        if not batches:
            return
        self.count += 1
        for loader, queue in batches:
            task = asyncio.ensure_future(dispatch(loader, queue))
            self._in_flight.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Future[None]) -> None:
        self._in_flight.discard(task)
        if not self._in_flight and any(loader.pending for loader in self._loaders):
            self.queued()

    async def close(self) -> None:
        """At the end of the request: loads never dispatched are cancelled, and the calls
        in flight are waited for, so no work outlives the request."""
        self._closed = True
        for loader in self._loaders:
            for pending in loader.take():
                pending.future.cancel()
        while self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)


class WaveLoader(QueuingDataLoader[K, V], Generic[K, V]):
    """A DataLoader whose dispatch is the request's schedule, and whose futures no consumer
    can cancel: a resolver cancelled by graphql-core (a sibling's error nulled their parent)
    must not cancel a load another field awaits too."""

    def __init__(self, batch: Batch[K, V], waves: Waves) -> None:
        # aiodataloader's own annotation has no room for per-key exceptions, which it handles.
        super().__init__(
            cast(Callable[[list[K]], Coroutine[Any, Any, list[V]]], batch), loop=waves.loop
        )
        self.waves = waves
        self.loads: list[Load] = []  # queued for the next wave

    def load(self, key: K) -> asyncio.Future[V]:
        return asyncio.shield(super().load(key))

    def queue(self, load: Load) -> None:
        self.loads.append(load)
        self.waves.queued()

    @property
    def pending(self) -> bool:
        return bool(self.loads)

    def take(self) -> list[Load]:
        loads, self.loads = self.loads, []
        return loads
