"""Commands for a station from any node of the fleet: launch, abort, a prompt's decision.

Each station reads one Redis stream of its own (through the store's one blocking read); a
sender that wants an answer names a reply list and waits on it with a deadline, so an offline
or stuck station costs the sender a clear error, never a hang.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable

import msgspec
import redis

from litmus_live.store.follow import Entries
from litmus_live.store.redis import RedisStore

log = logging.getLogger(__name__)
REPLY_TTL = 60
Handler = Callable[[bytes], Awaitable[bytes]]


def inbox_key(station: str) -> str:
    return f"litmus:inbox:{station}"


class NoReply(TimeoutError):
    pass


class Inbox:
    def __init__(self, store: RedisStore, node: str) -> None:
        self._client = store.client
        self._follower = store.follower
        self._node = node
        self._handlers: dict[str, Handler] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def serve(self, handlers: dict[str, Handler]) -> None:
        """Run this node's commands (`kind` -> handler of the body, returning the reply body)."""
        self._handlers = handlers
        self._follower.listen(inbox_key(self._node), self._on_entries)

    async def send(self, station: str, kind: str, body: bytes, *, timeout: float = 10.0) -> bytes:
        """Send a command to `station` and wait for its reply; raises NoReply after `timeout`."""
        reply_key = f"litmus:reply:{uuid.uuid4().hex}"
        fields = {"k": kind, "b": body, "r": reply_key}

        def exchange() -> bytes | None:
            self._client.xadd(inbox_key(station), fields, maxlen=1000, approximate=True)
            got = self._client.blpop([reply_key], timeout=timeout)
            return None if got is None else got[1]

        try:
            answer = await asyncio.to_thread(exchange)
        except redis.TimeoutError:
            answer = None
        if answer is None:
            raise NoReply(f"station {station} did not answer a {kind} within {timeout:g} s")
        return answer

    def post(self, station: str, kind: str, body: bytes) -> None:
        """Send a command that needs no reply (blocking: one short Redis call)."""
        self._client.xadd(inbox_key(station), {"k": kind, "b": body}, maxlen=1000, approximate=True)

    def _on_entries(self, entries: Entries) -> None:
        for _, fields in entries:
            task = asyncio.create_task(self._run(fields))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, fields: dict[bytes, bytes]) -> None:
        kind = fields.get(b"k", b"").decode()
        handler = self._handlers.get(kind)
        if handler is None:
            log.warning("inbox: no handler for command %r", kind)
            return
        answer = await handler(fields.get(b"b", b""))
        reply_key = fields.get(b"r")
        if reply_key:
            await asyncio.to_thread(self._reply, reply_key, answer)

    def _reply(self, key: bytes, answer: bytes) -> None:
        pipe = self._client.pipeline()
        pipe.rpush(key, answer)
        pipe.expire(key, REPLY_TTL)
        pipe.execute()


def encode(message: msgspec.Struct) -> bytes:
    return msgspec.json.encode(message)
