"""Capped exponential backoff with full jitter, shared by every retry loop in the store."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """`attempts` tries in all; before try n+1 sleep uniform(0, min(cap, base * 2**n))."""

    attempts: int = 8
    base: float = 0.025
    cap: float = 1.0

    def tries(self) -> Tries:
        """Yields the attempt number, sleeping between attempts; stops after the last."""
        return Tries(self)


class Tries:
    """`async for attempt in backoff.tries()`. An iterator object, not an async generator:
    a loop that stops early (nearly every one: the first try succeeds) leaves an async
    generator unfinished, and asyncio finalizes each such generator through
    `call_soon_threadsafe`: a write to its self-pipe and one more turn of the event loop,
    on every DynamoDB call of a request (tests/store/test_table.py counts them)."""

    def __init__(self, backoff: Backoff) -> None:
        self.backoff = backoff
        self.attempt = 0

    def __aiter__(self) -> Tries:
        return self

    async def __anext__(self) -> int:
        attempt, b = self.attempt, self.backoff
        if attempt >= b.attempts:
            raise StopAsyncIteration
        if attempt:
            await asyncio.sleep(random.uniform(0, min(b.cap, b.base * 2**attempt)))
        self.attempt = attempt + 1
        return attempt


DEFAULT_BACKOFF = Backoff()
