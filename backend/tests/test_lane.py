"""The store's lane: blocking calls on one thread of their own, in order, results back on the loop."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from litmus_live.store.lane import Lane


async def test_calls_run_on_one_thread_of_their_own_in_the_order_they_were_made() -> None:
    lane = Lane("test-lane")
    ran: list[tuple[int, str]] = []

    def work(n: int) -> int:
        time.sleep(0.001 * (5 - n))  # the first calls take longest: order must not follow speed
        ran.append((n, threading.current_thread().name))
        return n * n

    try:
        results = await asyncio.gather(*(lane.call(work, n) for n in range(5)))
    finally:
        lane.close()
    assert results == [0, 1, 4, 9, 16]
    assert [n for n, _ in ran] == [0, 1, 2, 3, 4]
    assert {name for _, name in ran} == {"test-lane"}


async def test_what_a_call_raises_reaches_its_awaiter_and_the_next_call_still_runs() -> None:
    lane = Lane("test-lane")

    def fail() -> None:
        raise OSError(28, "No space left on device")

    try:
        with pytest.raises(OSError, match="No space left"):
            await lane.call(fail)
        assert await lane.call(lambda: "after") == "after"
    finally:
        lane.close()


async def test_an_awaiter_that_gave_up_does_not_stop_the_call_or_the_lane() -> None:
    lane = Lane("test-lane")
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        release.wait(10)
        finished.set()

    try:
        call = lane.call(slow)
        await asyncio.to_thread(started.wait, 10)
        call.cancel()
        release.set()
        assert await lane.call(lambda: 7) == 7  # the cancelled call's result was dropped quietly
        assert finished.is_set()
    finally:
        lane.close()


async def test_close_runs_what_was_queued_and_refuses_calls_after_it() -> None:
    lane = Lane("test-lane")
    ran: list[int] = []
    calls = [lane.call(ran.append, n) for n in range(3)]
    lane.close()  # blocks until the queued calls have run and the thread has ended
    assert ran == [0, 1, 2]
    await asyncio.gather(*calls)  # their results were handed back to the loop
    with pytest.raises(RuntimeError, match="test-lane is closed"):
        lane.call(ran.append, 3)
    assert not [t for t in threading.enumerate() if t.name == "test-lane"]


async def test_a_lane_never_called_starts_no_thread() -> None:
    before = {t.ident for t in threading.enumerate()}
    lane = Lane("test-lane")
    lane.close()
    assert {t.ident for t in threading.enumerate()} == before


async def test_the_lanes_thread_carries_its_name_in_the_os() -> None:
    lane = Lane("store-write")
    try:
        tid = await lane.call(threading.get_native_id)
        assert Path(f"/proc/self/task/{tid}/comm").read_text().strip() == "store-write"
    finally:
        lane.close()
