"""The Python client for scripts and dashboards: protocol v1 over `websockets`.

`watch()` yields a run's log records in seq order and survives reconnects: it resumes from
the last seq it yielded, so every seq arrives exactly once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import msgspec
import websockets

from litmus_live import protocol as p
from litmus_live.events import Complete, Event, Progress, Record

log = logging.getLogger(__name__)
_decode_one = msgspec.json.Decoder(p.ServerMessage).decode
_decode_raw_list = msgspec.json.Decoder(list[msgspec.Raw]).decode
_RECORDS = (Event, Progress, Complete)


class ServerError(Exception):
    def __init__(self, error: p.Error) -> None:
        super().__init__(f"{error.code}: {error.message}")
        self.error = error


def decode_frame(data: str | bytes) -> list[p.ServerMessage]:
    """The messages of one frame, in order; message types this client does not know are skipped."""
    raw = data.encode() if isinstance(data, str) else data
    items = _decode_raw_list(raw) if raw.lstrip()[:1] == b"[" else [raw]
    out = []
    for item in items:
        try:
            out.append(_decode_one(item))
        except msgspec.ValidationError as exc:
            log.debug("skipping a message this client does not understand: %s", exc)
    return out


async def watch(
    url: str, run_id: str, since_seq: int = 0, *, retries: int = 10, origin: str | None = None
) -> AsyncIterator[Record]:
    """Yield the records of `run_id` after `since_seq`, reconnecting as needed; ends after `complete`."""
    last = since_seq
    failures = 0
    while True:
        try:
            async with websockets.connect(url, subprotocols=[p.SUBPROTOCOL], origin=origin) as ws:
                await ws.send(p.encode_client(p.Subscribe(run_id=run_id, since_seq=last)))
                async for data in ws:
                    for message in decode_frame(data):
                        if isinstance(message, p.Error):
                            raise ServerError(message)
                        if isinstance(message, _RECORDS) and message.seq > last:
                            failures = 0
                            last = message.seq
                            yield message
                            if isinstance(message, Complete):
                                return
        except (OSError, websockets.ConnectionClosed) as exc:
            failures += 1
            if failures > retries:
                raise
            log.info("connection lost (%s); resuming run %s after seq %d", exc, run_id, last)
            await asyncio.sleep(min(0.2 * 2**failures, 5.0))
