"""What the fault tests look at from outside: a disk filled to the last block, a file appearing,
a process still running, a server healthy again."""

from __future__ import annotations

import asyncio
import errno
import os
import time
from pathlib import Path

from conftest import Server


def fill(disk: Path) -> Path:
    """Write a file until the disk is full."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


async def appears(path: Path, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return path.exists()


async def healthy_again(server: Server, timeout: float = 30.0) -> float:
    """Seconds until /healthz says ok again."""
    started = time.monotonic()
    while server.request("GET", "/healthz")[0] != 200:
        assert time.monotonic() - started < timeout, server.request("GET", "/healthz")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
