"""One thread that runs a store's blocking calls in order, for the event loop.

What `run_in_executor` on a one-thread pool does, at a fraction of its cost per call, which
the store pays once per commit: a call is one put on a C queue (the thread wakes on it), and
its result comes back with one `call_soon_threadsafe`. No concurrent Future, no condition
variable, no chaining of two futures. The thread starts with the first call; `close` lets
every call already queued run, then ends it; a call after that raises RuntimeError. On Linux
the thread carries the lane's name in the OS too, so `top -H` and /proc show what commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

_Call = tuple[asyncio.AbstractEventLoop, asyncio.Future[Any], Callable[..., Any], tuple[Any, ...]]


class Lane:
    def __init__(self, name: str) -> None:
        self._name = name
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._is_closed = False

    def call(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        """`fn(*args)` on the lane's thread, after every call made before it; await the result."""
        if self._is_closed:
            raise RuntimeError(f"{self._name} is closed")
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
            self._thread.start()
        self._calls.put((loop, done, fn, args))
        return done

    def close(self) -> None:
        """Run what is queued, then end the thread (blocks until it has ended)."""
        self._is_closed = True
        if self._thread is not None:
            self._calls.put(None)
            self._thread.join()
            self._thread = None

    def _serve(self) -> None:
        with contextlib.suppress(OSError):  # /proc/self/task/<tid>/comm: Linux only, 15 bytes at most
            Path(f"/proc/self/task/{threading.get_native_id()}/comm").write_bytes(self._name.encode()[:15])
        while (call := self._calls.get()) is not None:
            loop, done, fn, args = call
            try:
                result, error = fn(*args), None
            except BaseException as exc:  # handed to the awaiter, as an executor would
                result, error = None, exc
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits any more
                loop.call_soon_threadsafe(_settle, done, result, error)


def _settle(done: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if done.cancelled():
        return
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(result)
