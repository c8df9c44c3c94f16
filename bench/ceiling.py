"""The ceiling: a bare Starlette/uvicorn server fanning out pre-encoded frames.

It does what Litmus Live's live path does minus the test process, the store, the hub and the
protocol checks: a producer makes `rate` output events a second in ticks of 2 ms (the store's
commit interval), encodes each once, and wakes one writer per connection, which sends all it
has not sent yet as one frame (an array when more than one). Same uvicorn settings as
`litmus-live serve`. Run as a script: `python bench/ceiling.py --port P`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import time
import uuid

import msgspec
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

SUBPROTOCOL = "litmus-live.v1"
TICK = 0.002
PAD = "x" * 60


class _Feed:
    """One run's log of encoded events and the wakers of the connections that follow it."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.log: list[bytes] = []
        self.wakers: set[asyncio.Event] = set()

    def extend(self, items: list[bytes]) -> None:
        self.log.extend(items)
        for waker in self.wakers:
            waker.set()


def _event(run_id: str, seq: int, emitted: float) -> bytes:
    data = {"kind": "output", "stream": "stdout", "line": f"t={emitted:.6f} n={seq} {PAD}"}
    ts = dt.datetime.fromtimestamp(emitted, dt.UTC)
    return msgspec.json.encode({"type": "event", "run_id": run_id, "seq": seq, "ts": ts, "data": data})


def _complete(run_id: str, seq: int) -> bytes:
    record = {"type": "complete", "run_id": run_id, "seq": seq, "ts": dt.datetime.now(dt.UTC), "status": "PASSED"}
    return msgspec.json.encode(record)


async def _produce(feed: _Feed, rate: int, seconds: float) -> None:
    """Events due at start + i/rate, stamped with that time, handed out once per tick."""
    start = time.time()
    sent = 0
    total = int(rate * seconds)
    while sent < total:
        await asyncio.sleep(TICK)
        due = min(total, int((time.time() - start) * rate))
        feed.extend([_event(feed.run_id, seq + 1, start + seq / rate) for seq in range(sent, due)])
        sent = max(sent, due)
    feed.extend([_complete(feed.run_id, total + 1)])


def create_app() -> Starlette:
    feeds: dict[str, _Feed] = {}
    tasks: set[asyncio.Task[None]] = set()

    async def start(request: Request) -> Response:
        body = msgspec.json.decode(await request.body())
        feed = _Feed(str(uuid.uuid4()))
        feeds[feed.run_id] = feed
        task = asyncio.create_task(_produce(feed, int(body["rate"]), float(body["seconds"])))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return Response(msgspec.json.encode({"run_id": feed.run_id}), 201, media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    async def websocket(ws: WebSocket) -> None:
        await ws.accept(subprotocol=SUBPROTOCOL)
        await ws.send_text('{"type":"welcome","protocol":"litmus-live.v1","server":"ceiling"}')
        request = msgspec.json.decode(await ws.receive_text())
        feed = feeds[request["run_id"]]
        waker = asyncio.Event()
        feed.wakers.add(waker)
        try:
            await _serve(ws, feed, waker)
        except WebSocketDisconnect:
            pass
        finally:
            feed.wakers.discard(waker)

    routes = [Route("/start", start, methods=["POST"]), Route("/healthz", healthz), WebSocketRoute("/ws", websocket)]
    return Starlette(routes=routes)


async def _serve(ws: WebSocket, feed: _Feed, waker: asyncio.Event) -> None:
    cursor = len(feed.log)
    subscribed = f'{{"type":"subscribed","run_id":"{feed.run_id}","since_seq":{cursor},"head_seq":{cursor}}}'
    await ws.send_text(subscribed)
    reader = asyncio.ensure_future(ws.receive())
    reader.add_done_callback(lambda _: waker.set())  # a disconnect ends the loop below
    try:
        while not reader.done():
            await waker.wait()
            waker.clear()
            parts, cursor = feed.log[cursor:], len(feed.log)
            if parts:
                frame = parts[0] if len(parts) == 1 else b"[" + b",".join(parts) + b"]"
                await ws.send_text(frame.decode())
    finally:
        reader.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        create_app(),
        host="127.0.0.1",
        port=args.port,
        ws="websockets-sansio",
        ws_max_size=1024 * 1024,
        ws_per_message_deflate=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
