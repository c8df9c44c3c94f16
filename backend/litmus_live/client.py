"""The Python client for scripts and dashboards: protocol v1 over one `websockets` connection.

A reader task dispatches every frame by run_id and request id, so one `Client` serves several
`watch()`es, `active()` feeds and `answer()`s at once. After a lost connection it reconnects
and resubscribes each run from the last seq it delivered, with the epoch its records came
with: every seq arrives exactly once, unless the server's store lost the history they were of
(a fleet's Redis): then a `Subscribed` with `resync` says so, and the whole log follows again.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import enum
import logging
import os
import random
import uuid
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import msgspec
import websockets

from litmus_live import protocol as p
from litmus_live.events import Complete, Event, Progress, Prompt, Record

log = logging.getLogger(__name__)
_decode_one = msgspec.json.Decoder(p.ServerMessage).decode
_decode_raw_list = msgspec.json.Decoder(list[msgspec.Raw]).decode
_RECORDS = (Event, Progress, Prompt, Complete)
_QUEUE = 20_000  # records held per watch before it drops to catching up from the server's store


class ServerError(Exception):
    def __init__(self, error: p.Error) -> None:
        super().__init__(f"{error.code}: {error.message}")
        self.error = error


class ClientClosedError(ConnectionError):
    """The client was closed, or gave up reconnecting, while this call waited."""


class AnswerOutcome(enum.StrEnum):
    ACCEPTED = "accepted"
    ALREADY_ANSWERED = "already_answered"
    INVALID = "invalid"
    NOT_FOUND = "not_found"


class AnswerResult(msgspec.Struct, frozen=True, kw_only=True):
    """What became of an answer: it won, or why not (the server's message)."""

    outcome: AnswerOutcome
    run_id: str
    prompt_id: str
    reason: str = ""

    @property
    def is_accepted(self) -> bool:
        return self.outcome is AnswerOutcome.ACCEPTED


# errors about a watched run that do not end its watch: the server goes on (a store read it
# retries at its next wake, a late reply to an unsubscribe)
_PASSING = (p.ErrorCode.NOT_SUBSCRIBED, p.ErrorCode.STORE_UNAVAILABLE)
_OUTCOMES = {
    p.ErrorCode.INVALID_ANSWER: AnswerOutcome.INVALID,
    p.ErrorCode.PROMPT_ALREADY_ANSWERED: AnswerOutcome.ALREADY_ANSWERED,
    p.ErrorCode.PROMPT_NOT_FOUND: AnswerOutcome.NOT_FOUND,
}


class Skipped(msgspec.Struct, frozen=True, kw_only=True):
    """A log record of a type or event kind this client does not know: it only advances the seq."""

    run_id: str
    seq: int


class _Header(msgspec.Struct):
    type: str = ""
    run_id: str | None = None
    seq: int | None = None


_decode_header = msgspec.json.Decoder(_Header).decode


def decode_frame(data: str | bytes) -> list[p.ServerMessage | Skipped]:
    """The messages of one frame, in order; unknown message types are dropped (PROTOCOL.md §6)."""
    raw = data.encode() if isinstance(data, str) else data
    items = _decode_raw_list(raw) if raw.lstrip()[:1] == b"[" else [raw]
    out: list[p.ServerMessage | Skipped] = []
    for item in items:
        try:
            out.append(_decode_one(item))
        except msgspec.ValidationError as exc:
            header = _decode_header(item)
            if header.run_id is not None and header.seq is not None:
                out.append(Skipped(run_id=header.run_id, seq=header.seq))
            else:
                log.debug("ignoring a message this client does not understand: %s", exc)
    return out


_WAKE = object()  # tells a waiting watch to look at its `behind` flag


class _Watch:
    """One caller's watch of a run: the records it has not consumed yet, and the last seq queued."""

    def __init__(self, run_id: str, since_seq: int, epoch: str | None = None) -> None:
        self.run_id, self.last, self.epoch = run_id, since_seq, epoch
        self.queue: asyncio.Queue[object] = asyncio.Queue(_QUEUE)
        self.behind = False

    def offer(self, record: Record | Skipped) -> None:
        if record.seq <= self.last:
            return
        if record.seq > self.last + 1 or self.queue.full():
            self._fall_behind()
            return
        self.last = record.seq
        if not isinstance(record, Skipped):
            self.queue.put_nowait(record)

    def notify(self, item: object) -> None:
        if not self.queue.full():
            self.queue.put_nowait(item)

    def subscribed(self, message: p.Subscribed) -> None:
        """The epoch the records are of; on a resync, they start again from seq 1."""
        self.epoch = message.epoch
        if message.resync:
            self.last = 0
            self.behind = False
            while not self.queue.empty():  # of the history the store lost: the caller is told so
                self.queue.get_nowait()
            self.queue.put_nowait(message)
        else:
            self.notify(message)

    def fail(self, error: BaseException) -> None:
        """Whatever is still queued is dropped: the caller gets `error` next."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(error)

    def _fall_behind(self) -> None:
        if not self.behind:
            self.behind = True
            self.notify(_WAKE)


class _Latest:
    """The newest active-runs snapshot for one feed; older ones are of no use."""

    def __init__(self) -> None:
        self.value: p.ActiveRuns | BaseException | None = None
        self.changed = asyncio.Event()

    def offer(self, value: p.ActiveRuns | BaseException) -> None:
        self.value = value
        self.changed.set()

    async def next(self) -> p.ActiveRuns:
        await self.changed.wait()
        self.changed.clear()
        if isinstance(self.value, BaseException):
            raise self.value
        assert self.value is not None
        return self.value


def connect(url: str, *, origin: str | None = None, retries: int = 10, token: str | None = None) -> Client:
    """A client for `url` (ws://host:port/ws); use it as `async with connect(url) as client:`.

    `token` is an API token (default: the LITMUS_TOKEN environment variable), sent as
    `Authorization: Bearer` on every (re)connect."""
    return Client(url, origin=origin, retries=retries, token=token)


class Client:
    """One connection shared by every watch, feed and answer; reconnects up to `retries` times in a row."""

    def __init__(self, url: str, *, origin: str | None = None, retries: int = 10, token: str | None = None) -> None:
        self.url, self.origin, self.retries = url, origin, retries
        token = token or os.environ.get("LITMUS_TOKEN")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.welcome: p.Welcome | None = None
        self._ws: websockets.ClientConnection | None = None
        self._watches: dict[str, list[_Watch]] = {}
        self._feeds: list[_Latest] = []
        self._answers: dict[str, tuple[p.PromptResponse, asyncio.Future[AnswerResult]]] = {}
        self._tag = uuid.uuid4().hex[:8]
        self._count = 0
        self._reader: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._outbox: collections.deque[p.ClientMessage] = collections.deque()
        self._error: BaseException | None = None

    async def __aenter__(self) -> Client:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def open(self) -> None:
        """Connect once; a server that cannot be reached here raises at once (no retries)."""
        ws = await websockets.connect(
            self.url, subprotocols=[p.SUBPROTOCOL], origin=self.origin, additional_headers=self._headers
        )
        self._reader = asyncio.create_task(self._read_forever(ws))

    async def close(self) -> None:
        for task in [self._reader, *self._background]:
            if task is not None:
                task.cancel()
        for task in [self._reader, *self._background]:
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._end(ClientClosedError("the client was closed"))

    # -- the three things a caller does ----------------------------------------------------

    async def watch(
        self, run_id: str, since_seq: int = 0, epoch: str | None = None
    ) -> AsyncIterator[Record | p.Subscribed]:
        """Yield `run_id`'s records after `since_seq` in seq order, each once, through reconnects.

        A `Subscribed` comes first and after every resubscription (its `head_seq` tells when the
        caller has caught up); the iteration ends after the `complete` record. `epoch` is the
        one of the `Subscribed` that the caller's records up to `since_seq` came with. One with
        `resync` true says those records are of a history the server's store lost: drop them,
        the whole log follows from seq 1.
        """
        watch = _Watch(run_id, since_seq, epoch)
        self._watches.setdefault(run_id, []).append(watch)
        finished = False
        try:
            await self._subscribe(run_id)
            while True:
                if watch.behind and watch.queue.empty():
                    watch.behind = False
                    await self._subscribe(run_id)
                item = await watch.queue.get()
                if isinstance(item, BaseException):
                    raise item
                if item is _WAKE:
                    continue
                # Set before the yield: a caller that stops at `complete` closes us at the yield,
                # and the server already forgot a finished subscription (no unsubscribe to send).
                finished = isinstance(item, Complete)
                yield item  # type: ignore[misc]
                if finished:
                    return
        finally:
            self._forget(watch, unsubscribe=not finished)

    async def active(self) -> AsyncIterator[p.ActiveRuns]:
        """Yield the active-runs snapshot now and each time it changes; each replaces the last."""
        feed = _Latest()
        self._feeds.append(feed)
        try:
            await self._send(p.SubscribeActive(id=self._next_id("f")))  # a fresh snapshot for this feed
            while True:
                yield await feed.next()
        finally:
            self._feeds.remove(feed)
            if not self._feeds:
                self._post(p.UnsubscribeActive())

    async def answer(
        self, run_id: str, prompt_id: str, value: object, *, who: str | None = None,
        via: p.AnswerVia = p.AnswerVia.SCRIPT,
    ) -> AnswerResult:  # fmt: skip
        """Answer an open prompt; resent as the same request after a reconnect (the server dedupes)."""
        if self._error is not None:
            raise self._error
        request = p.PromptResponse(
            id=self._next_id("a"), run_id=run_id, prompt_id=prompt_id, value=value, who=who, via=via
        )
        future: asyncio.Future[AnswerResult] = asyncio.get_running_loop().create_future()
        self._answers[request.id] = (request, future)
        try:
            await self._send(request)
            return await future
        finally:
            self._answers.pop(request.id, None)

    # -- the connection --------------------------------------------------------------------

    async def _read_forever(self, ws: websockets.ClientConnection) -> None:
        failures = 0
        while True:
            await self._read(ws)
            if ws.close_code is not None and ws.close_code not in p.RESUMABLE_CLOSES:
                self._end(ClientClosedError(f"the server closed the connection: {ws.close_code} {ws.close_reason}"))
                return
            ws = None  # type: ignore[assignment]
            while ws is None:
                failures += 1
                if failures > self.retries:
                    self._end(ClientClosedError(f"lost {self.url}; gave up after {self.retries} reconnects"))
                    return
                await asyncio.sleep(min(0.1 * 2**failures, 5.0) * random.uniform(0.5, 1.0))  # jittered
                ws = await self._reconnect()
            failures = 0

    async def _reconnect(self) -> websockets.ClientConnection | None:
        try:
            ws = await websockets.connect(
                self.url, subprotocols=[p.SUBPROTOCOL], origin=self.origin, additional_headers=self._headers
            )
        except (OSError, TimeoutError, websockets.WebSocketException) as exc:
            log.info("reconnecting to %s failed: %s", self.url, exc)
            return None
        log.info("reconnected to %s; resuming %d runs", self.url, len(self._watches))
        return ws

    async def _read(self, ws: websockets.ClientConnection) -> None:
        self._ws = ws
        try:
            await self._resume()
            async for data in ws:
                for message in decode_frame(data):
                    self._dispatch(message)
        except websockets.ConnectionClosed:
            pass
        finally:
            self._ws = None
            self._outbox.clear()  # the next connection's `_resume` states everything afresh
            await ws.close()

    async def _resume(self) -> None:
        """Restart everything a fresh connection must carry: subscriptions, the feed, answers."""
        for run_id in list(self._watches):
            await self._subscribe(run_id)
        if self._feeds:
            await self._send(p.SubscribeActive(id=self._next_id("f")))
        for request, _ in list(self._answers.values()):
            await self._send(request)

    def _dispatch(self, message: p.ServerMessage | Skipped) -> None:
        match message:
            case Event() | Progress() | Prompt() | Complete() | Skipped():
                for watch in self._watches.get(message.run_id, []):
                    watch.offer(message)
            case p.Subscribed():
                for watch in self._watches.get(message.run_id, []):
                    watch.subscribed(message)
            case p.ActiveRuns():
                for feed in self._feeds:
                    feed.offer(message)
            case p.PromptAccepted(id=request_id):
                self._settle(request_id, AnswerOutcome.ACCEPTED, "")
            case p.Error():
                self._fail(message)
            case p.Welcome():
                self.welcome = message

    def _fail(self, error: p.Error) -> None:
        if error.id in self._answers and error.code in _OUTCOMES:
            self._settle(error.id, _OUTCOMES[error.code], error.message)
        elif error.id in self._answers:
            self._answers[error.id][1].set_exception(ServerError(error))
        elif error.run_id in self._watches and error.code not in _PASSING:
            for watch in self._watches[error.run_id]:
                watch.fail(ServerError(error))
        else:
            log.warning("server error: %s: %s", error.code, error.message)

    def _settle(self, request_id: str | None, outcome: AnswerOutcome, reason: str) -> None:
        if request_id not in self._answers:
            return
        request, future = self._answers[request_id]
        if not future.done():
            future.set_result(
                AnswerResult(outcome=outcome, run_id=request.run_id, prompt_id=request.prompt_id, reason=reason)
            )

    def _end(self, error: BaseException) -> None:
        """No more messages will come: every waiting caller gets `error`."""
        self._error = error
        for watches in self._watches.values():
            for watch in watches:
                watch.fail(error)
        for feed in self._feeds:
            feed.offer(error)
        for _, future in self._answers.values():
            if not future.done():
                future.set_exception(error)

    # -- sending ---------------------------------------------------------------------------

    async def _subscribe(self, run_id: str) -> None:
        watches = self._watches[run_id]
        since = min(watch.last for watch in watches)
        epoch = next((watch.epoch for watch in watches if watch.epoch is not None), None)
        await self._send(p.Subscribe(run_id=run_id, since_seq=since, epoch=epoch, id=self._next_id("s")))

    def _forget(self, watch: _Watch, *, unsubscribe: bool) -> None:
        watches = self._watches[watch.run_id]
        watches.remove(watch)
        if not watches:
            del self._watches[watch.run_id]
            if unsubscribe:
                self._post(p.Unsubscribe(run_id=watch.run_id))

    async def _send(self, message: p.ClientMessage) -> None:
        """Send now if connected; otherwise the reconnect's `_resume` carries it."""
        if self._error is not None:
            raise self._error
        if self._ws is None:
            return
        await self._flush()
        await self._transmit(self._ws, message)

    def _post(self, message: p.ClientMessage) -> None:
        """Send without waiting (from a generator's `finally`, which must not block), yet before
        anything sent after it: an unsubscribe must not overtake a new watch's subscribe."""
        if self._error is None and self._ws is not None:
            self._outbox.append(message)
            self._spawn(self._flush())

    async def _flush(self) -> None:
        while self._outbox and self._ws is not None:
            await self._transmit(self._ws, self._outbox.popleft())

    @staticmethod
    async def _transmit(ws: websockets.ClientConnection, message: p.ClientMessage) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            await ws.send(p.encode_client(message))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _next_id(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}{self._tag}-{self._count}"


async def watch(
    url: str, run_id: str, since_seq: int = 0, *, retries: int = 10, origin: str | None = None, token: str | None = None
) -> AsyncIterator[Record | p.Subscribed]:
    """Yield the records of `run_id` after `since_seq`, reconnecting as needed; ends after `complete`.
    Only a resync comes between them: a `Subscribed` saying the records before it are of a
    history the server's store lost, and the whole log follows from seq 1."""
    async with connect(url, origin=origin, retries=retries, token=token) as client:
        async for message in client.watch(run_id, since_seq):
            if isinstance(message, _RECORDS) or (isinstance(message, p.Subscribed) and message.resync):
                yield message
