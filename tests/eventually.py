"""Waiting for something another process does: ask again until it holds, or fail saying why.

For effects of real processes (a runner finishing jobs, a service coming back), where there is
no event to await. Work this process can do itself (`run_once()`) is called, never waited for.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    check: Callable[[], Awaitable[T]],
    until: Callable[[T], bool] = bool,
    seconds: float = 20,
    every: float = 0.05,
) -> T:
    """Call `check` until `until(answer)` is true; return that answer. After `seconds`,
    fail with the last answer, so a test that times out says what it saw."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        answer = await check()
        if until(answer):
            return answer
        if asyncio.get_running_loop().time() > deadline:
            name = getattr(check, "__name__", repr(check))
            raise AssertionError(f"{name} never held within {seconds} s; last answer: {answer!r}")
        await asyncio.sleep(every)


async def value_becomes(
    read: Callable[[], Awaitable[object]], expected: object, seconds: float = 20
) -> None:
    """`read()` answers `expected` within `seconds` (a count reaching its total, say)."""
    await eventually(read, lambda answer: answer == expected, seconds)
