from __future__ import annotations

import asyncio

import pytest

from model import NotFound
from store.tasks import gather, settle


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


async def test_one_awaitable_runs_in_the_callers_task_with_the_same_outcomes() -> None:
    caller = asyncio.current_task()

    async def value() -> asyncio.Task[object] | None:
        await asyncio.sleep(0)
        return asyncio.current_task()

    async def failing() -> str:
        await asyncio.sleep(0)
        raise NotFound("gone")

    assert await gather(value()) == [caller]  # no task of its own
    assert await settle(value()) == [caller]
    with pytest.raises(NotFound):
        await gather(failing())
    [error] = await settle(failing())
    assert isinstance(error, NotFound)


@pytest.mark.parametrize("count", [1, 2])
async def test_settle_lets_a_cancellation_through(count: int) -> None:
    # A timeout cancels the task; had settle returned the cancellation as a result, the
    # block would end normally instead.
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await settle(*(asyncio.sleep(5) for _ in range(count)))
