"""Running awaitables concurrently without leaving any behind."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def gather(*awaitables: Awaitable[T]) -> list[T]:
    """Like asyncio.gather, but a failure cancels the others and waits for them to stop.

    With plain gather the siblings of a failed call keep running: on Lambda they would sit in
    the frozen container's event loop until some later invocation. The first exception is
    raised as itself (unlike TaskGroup's ExceptionGroup), so callers handle store errors as
    usual.

    One awaitable is awaited in the caller's task, as it would be on its own: a task of its
    own would cost two more turns of the event loop and change nothing.
    """
    if len(awaitables) == 1:
        return [await awaitables[0]]
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def settle(*awaitables: Awaitable[T]) -> list[T | Exception]:
    """Each awaitable's result or its own exception: one failure touches nothing else (a
    batch of independent loads, where one bad key must fail only its own load). One
    awaitable is awaited in the caller's task (see `gather`)."""
    if len(awaitables) == 1:
        try:
            return [await awaitables[0]]
        except Exception as error:
            return [error]
    results = await asyncio.gather(*awaitables, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, Exception):
            raise result  # cancelled (or KeyboardInterrupt): not one load's failure
    return results  # type: ignore[return-value]
