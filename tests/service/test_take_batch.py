"""``take_batch``: what is queued, plus what arrives within ``linger`` of the first
item, up to the batch size; ``DONE`` ends a batch and is put back."""

from __future__ import annotations

import asyncio
from typing import Any

from service._pipeline_items import DONE, take_batch


async def turns(n: int = 20) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_without_linger_only_what_is_queued() -> None:
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    for n in range(3):
        inbox.put_nowait(n)
    assert await take_batch(inbox, 16) == ([0, 1, 2], False)
    assert inbox.empty()


async def test_items_arriving_within_the_linger_join_the_batch() -> None:
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    batch = asyncio.create_task(take_batch(inbox, 16, linger=60.0))
    await inbox.put("a")
    await turns()
    assert not batch.done()  # waiting for more
    await inbox.put("b")
    await turns()
    await inbox.put("c")
    await inbox.put(DONE)
    assert await batch == (["a", "b", "c"], True)
    assert inbox.get_nowait() is DONE  # put back for the sibling readers


async def test_a_full_batch_does_not_wait() -> None:
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    batch = asyncio.create_task(take_batch(inbox, 3, linger=60.0))
    for n in range(5):
        await inbox.put(n)
    assert await batch == ([0, 1, 2], False)
    assert [inbox.get_nowait() for _ in range(2)] == [3, 4]


async def test_when_the_linger_ends_the_batch_is_what_came_and_nothing_is_lost() -> None:
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    await inbox.put("a")
    assert await take_batch(inbox, 16, linger=0.01) == (["a"], False)
    # the cancelled wait left no getter behind: the next item is the next batch's
    await inbox.put("b")
    assert await take_batch(inbox, 16) == (["b"], False)
