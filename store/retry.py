"""Capped exponential backoff with full jitter, shared by every retry loop in the store."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """`attempts` tries in all; before try n+1 sleep uniform(0, min(cap, base * 2**n))."""

    attempts: int = 8
    base: float = 0.025
    cap: float = 1.0

    async def tries(self) -> AsyncIterator[int]:
        """Yields the attempt number, sleeping between attempts; stops after the last."""
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(random.uniform(0, min(self.cap, self.base * 2**attempt)))
            yield attempt


DEFAULT_BACKOFF = Backoff()
