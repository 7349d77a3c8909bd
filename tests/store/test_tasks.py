from __future__ import annotations

import asyncio

import pytest

from store import NotFound
from store.tasks import gather


async def test_results_in_order() -> None:
    async def value(v: int, delay: float) -> int:
        await asyncio.sleep(delay)
        return v

    assert await gather(value(1, 0.02), value(2, 0), value(3, 0.01)) == [1, 2, 3]


async def test_a_failure_cancels_the_rest_and_is_raised_as_itself() -> None:
    finished: list[str] = []
    cancelled: list[str] = []

    async def slow(name: str) -> str:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.append(name)
            raise
        finished.append(name)
        return name

    async def failing() -> str:
        await asyncio.sleep(0.01)
        raise NotFound("gone")

    with pytest.raises(NotFound):
        await gather(slow("a"), failing(), slow("b"))
    assert sorted(cancelled) == ["a", "b"]  # stopped, not left running
    assert finished == []
