"""Which CPU each side of a benchmark runs on: the server on one core, everything else on the other.

On a 2-core machine this keeps the server from competing with its own load generators, so
figures move less from run to run. `run.py --no-pin` turns it off.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

SERVER = frozenset({0})
LOAD = frozenset({1})
TEST_ENV = "LITMUS_BENCH_TEST_CPUS"
_enabled = True


def disable() -> None:
    global _enabled
    _enabled = False


def is_pinning() -> bool:
    return _enabled and len(os.sched_getaffinity(0) | SERVER | LOAD) >= 2 and os.cpu_count() >= 2


def pin(pid: int, cpus: frozenset[int]) -> None:
    """Move `pid` (0: this process) onto `cpus`; threads and children it starts later inherit it."""
    if is_pinning():
        os.sched_setaffinity(pid, cpus)


def describe() -> str:
    if not is_pinning():
        return "No CPU pinning"
    return (
        f"Server pinned to CPU {_list(SERVER)}; test processes, load generators and the bench itself "
        f"pinned to CPU {_list(LOAD)}; the browser workload's Chromium on any CPU"
    )


def test_env() -> dict[str, str]:
    """Environment for the server: its pytest children move themselves onto the load CPUs."""
    return {TEST_ENV: ",".join(map(str, sorted(LOAD)))} if is_pinning() else {}


def _list(cpus: frozenset[int]) -> str:
    return ",".join(map(str, sorted(cpus)))


@contextlib.contextmanager
def unpinned() -> Iterator[None]:
    """Everything started inside (servers, their test processes, plain pytest) may run on every CPU."""
    global _enabled
    was, before = _enabled, os.sched_getaffinity(0)
    _enabled = False
    os.sched_setaffinity(0, range(os.cpu_count() or 1))
    try:
        yield
    finally:
        _enabled = was
        os.sched_setaffinity(0, before)
