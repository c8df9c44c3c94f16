"""Telling a running server that users or tokens changed in another process (the CLI).

The CLI connects to an abstract Unix socket named after the data dir and closes it; the server
then re-checks the credentials of its open connections at once. The poke carries nothing: the
store stays the only source of truth, so a stray poke costs one re-check and no more.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path


def address(data_dir: Path) -> str:
    key = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:32]
    return f"\0litmus-live/{key}"


def poke(data_dir: Path) -> bool:
    """Wake the server of `data_dir`, if one runs; whether one was there."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(2.0)
        try:
            sock.connect(address(data_dir))
            sock.sendall(b"changed\n")
        except OSError:
            return False
    return True


async def listen(data_dir: Path, on_change: Callable[[], Awaitable[None]]) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(reader.read(64), 2.0)
        writer.close()
        await on_change()

    return await asyncio.start_unix_server(handle, path=address(data_dir))
