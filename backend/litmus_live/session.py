"""One WebSocket connection speaking protocol v1: the only module that touches a socket.

A reader decodes and validates each client message at the edge; one writer task owns all
sending, so a client that stops reading blocks only its own writer, which gives up after
`send_timeout` seconds and drops the connection (close 4408).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine

from starlette.websockets import WebSocket, WebSocketDisconnect

from litmus_live import __version__, batch
from litmus_live import protocol as p
from litmus_live.auth import Gate, Identity, Role
from litmus_live.auth.identity import Kind
from litmus_live.auth.store import IdentityUnavailable
from litmus_live.batch import Batch
from litmus_live.events import utcnow
from litmus_live.hub import FinishedWatch, Hub, SeqOutOfRange, Subscription
from litmus_live.prompts import Answer, Outcome
from litmus_live.store import StoreUnreadable, UnknownRun
from litmus_live.transport import EXTENSION, Transport, text_frame

log = logging.getLogger(__name__)


class SlowConsumer(Exception):
    pass


class ProtocolViolation(Exception):
    def __init__(
        self, code: p.ErrorCode, close: p.CloseCode, message: str, *, id: str | None = None, run_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.code, self.close, self.message = code, close, message
        self.id, self.run_id = id, run_id


# What each client message needs; anything else needs only a valid credential (viewer).
_NEEDS = {p.PromptResponse: Role.OPERATOR}
_ENDED = {  # why an open connection's credential stopped working, as far as the kind tells
    Kind.SESSION: "this session ended: signed out, expired, or its person was removed or changed role",
    Kind.TOKEN: "this token was revoked",
    None: "the credentials of this connection were revoked",
}
_AUDITED = {p.ErrorCode.UNAUTHORIZED, p.ErrorCode.FORBIDDEN, p.ErrorCode.ORIGIN_FORBIDDEN, p.ErrorCode.HOST_FORBIDDEN}


class Session:
    def __init__(
        self,
        websocket: WebSocket,
        hub: Hub,
        answer: Callable[[Answer], Awaitable[tuple[Outcome, str]]],
        gate: Gate,
        *,
        send_timeout: float = 15.0,
    ) -> None:
        self._ws = websocket
        # the connection's own transport, which takes frames built once for every viewer
        self._transport: Transport | None = websocket.scope.get("extensions", {}).get(EXTENSION)
        self._hub = hub
        self._answer = answer
        self._gate = gate
        self._client = websocket.client.host if websocket.client else "unknown"
        self._identity: Identity | None = None
        self._revoked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._active_sent: int | None = None  # None: not watching the active-runs feed
        self._finished: FinishedWatch | None = None  # None: not watching the finished-runs feed
        self._send_timeout = send_timeout
        self._subs: dict[str, Subscription] = {}
        self._outbox: list[bytes] = []
        # replies that follow the records collected with them (prompt_accepted after the
        # prompt_resolved it acknowledges, both durable by then)
        self._replies: list[bytes] = []
        self._waker = asyncio.Event()
        self._is_idle = False  # the writer waits for the waker, with nothing in hand
        self._answers: set[asyncio.Task[None]] = set()  # answers waiting to be durable
        self._unread: set[str] = set()  # runs whose last read failed (the client was told)
        self._fault_seen = 0  # the version of the hub's store-fault notice last sent
        self._is_welcomed = False

    # -- lifetime ------------------------------------------------------------------------

    async def run(self) -> None:
        offered = self._ws.scope.get("subprotocols") or []
        chosen = p.SUBPROTOCOL if p.SUBPROTOCOL in offered else None
        # A client that offered only other subprotocols gets its first one echoed: a browser
        # aborts a handshake whose reply names none, and would never see why it was refused.
        await self._ws.accept(subprotocol=chosen or (offered[0] if offered else None))
        if not self._gate.limits.open(self._client):
            await self._refuse(
                ProtocolViolation(
                    p.ErrorCode.TOO_MANY_CONNECTIONS,
                    p.CloseCode.TOO_MANY,
                    f"{self._client} holds {self._gate.limits.max_connections} connections already; close one first",
                )
            )
            return
        try:
            self._check_handshake(chosen)
            self._identity = await self._authenticate()
            await self._serve(self._identity)
        except ProtocolViolation as violation:
            await self._record_refusal("connect", violation.code)
            await self._refuse(violation)
        finally:
            self._gate.limits.close(self._client)

    async def _record_refusal(self, action: str, code: p.ErrorCode) -> None:
        """Refused credentials, roles, origins and hosts go to the audit log (bounded per client)."""
        presented = "authorization" in self._ws.headers or "cookie" in self._ws.headers
        if code not in _AUDITED or (code is p.ErrorCode.UNAUTHORIZED and not presented):
            return
        is_token = self._ws.headers.get("authorization", "").lower().startswith("bearer ")
        await self._gate.refusals.record(
            who=self._identity.name if self._identity else "unknown",
            via=self._identity.via.value if self._identity else ("script" if is_token else "ui"),
            action=action,
            target="/ws",
            code=code.value,
            client=self._client,
        )

    async def _serve(self, identity: Identity) -> None:
        self.send(p.Welcome(server=f"litmus-live/{__version__}", server_time=utcnow()))
        self._hub.attach(self._waker)
        self._gate.watch(self, identity, lambda: self._revoked.done() or self._revoked.set_result(None))
        writer = asyncio.create_task(self._write_loop(), name="session-writer")
        try:
            await self._read_loop(writer)
        finally:
            self._gate.unwatch(self)
            self._stop_writing(writer)
            for task in self._answers:
                task.cancel()
            for sub in self._subs.values():
                self._hub.unsubscribe(sub)
            self._hub.unwatch_active(self._waker)
            self._hub.detach(self._waker)
            self._hub.unwatch_finished(self._finished)

    async def _authenticate(self) -> Identity:
        try:
            identity = await self._gate.identify(self._ws.headers, self._ws.cookies)
        except IdentityUnavailable as exc:  # a fleet's Redis out of reach: try again later
            raise ProtocolViolation(
                p.ErrorCode.STORE_UNAVAILABLE, p.CloseCode.INTERNAL_ERROR, f"credentials cannot be checked now: {exc}"
            ) from None
        if identity is None:
            raise ProtocolViolation(
                p.ErrorCode.UNAUTHORIZED,
                p.CloseCode.UNAUTHORIZED,
                "no valid credentials: sign in, or send an API token (Authorization: Bearer)",
            )
        return identity

    def _check_handshake(self, chosen: str | None) -> None:
        host = self._ws.headers.get("host")
        if not self._gate.is_host_allowed(host):
            raise ProtocolViolation(
                p.ErrorCode.HOST_FORBIDDEN,
                p.CloseCode.ORIGIN_FORBIDDEN,
                f"this server does not answer to the host {json.dumps(host, ensure_ascii=False)}",
            )
        origin = self._ws.headers.get("origin")
        if origin is not None and not self._gate.is_origin_allowed(origin):
            raise ProtocolViolation(
                p.ErrorCode.ORIGIN_FORBIDDEN, p.CloseCode.ORIGIN_FORBIDDEN, f"origin {origin} is not allowed"
            )
        if chosen is None:
            offered = self._ws.scope.get("subprotocols") or []
            raise ProtocolViolation(
                p.ErrorCode.UNSUPPORTED_PROTOCOL,
                p.CloseCode.UNSUPPORTED_PROTOCOL,
                f"expected subprotocol {p.SUBPROTOCOL}, client offered {', '.join(offered) or 'none'}",
            )

    async def _refuse(self, violation: ProtocolViolation) -> None:
        log.info("closing a connection with %d: %s", violation.close, violation.message)
        error = p.Error(code=violation.code, message=violation.message, id=violation.id, run_id=violation.run_id)
        try:
            await asyncio.wait_for(self._ws.send_text(p.encode(error).decode()), 1.0)
            await asyncio.wait_for(self._ws.close(violation.close, p.close_reason(violation.message)), 1.0)
        except (TimeoutError, WebSocketDisconnect, RuntimeError):
            log.info("could not tell the client why it was refused: %s", violation.message)

    # -- reading -------------------------------------------------------------------------

    async def _read_loop(self, writer: asyncio.Task[None]) -> None:
        while True:
            receive = asyncio.ensure_future(self._ws.receive())
            done, _ = await asyncio.wait({receive, writer, self._revoked}, return_when=asyncio.FIRST_COMPLETED)
            if writer in done:
                receive.cancel()
                self._end_of(writer)
                return
            if self._revoked in done:
                receive.cancel()
                self._stop_writing(writer)
                await self._refuse(
                    ProtocolViolation(
                        p.ErrorCode.UNAUTHORIZED,
                        p.CloseCode.UNAUTHORIZED,
                        _ENDED.get(self._identity.kind if self._identity else None, _ENDED[None]),
                    )
                )
                return
            message = receive.result()
            if message["type"] == "websocket.disconnect":
                return
            try:
                self._check_rate()
                await self._handle(self._decode(message))
            except ProtocolViolation as violation:
                self._stop_writing(writer)
                await self._refuse(violation)
                return

    def _stop_writing(self, writer: asyncio.Task[None]) -> None:
        """End the writer, and with it the hub's handing records straight to this connection:
        nothing follows a refusal or the end of a connection (the cancel lands only later)."""
        self._is_idle = False
        writer.cancel()

    def _check_rate(self) -> None:
        if not self._gate.limits.message(self._client):
            raise ProtocolViolation(
                p.ErrorCode.RATE_LIMITED,
                p.CloseCode.TOO_MANY,
                f"more than {self._gate.limits.message_rate:g} messages per second from {self._client}",
            )

    @staticmethod
    def _end_of(writer: asyncio.Task[None]) -> None:
        try:
            writer.result()
        except (SlowConsumer, WebSocketDisconnect, OSError) as exc:
            log.info("connection ended by its writer: %r", exc)

    def _decode(self, message: dict) -> p.ClientMessage:
        """Text and binary frames alike hold UTF-8 JSON; the cap counts bytes, not characters."""
        data = message.get("text")
        if data is None:
            data = message.get("bytes") or b""
        size = len(data) if isinstance(data, bytes) else len(data.encode())
        if size > p.MAX_CLIENT_MESSAGE:
            raise ProtocolViolation(
                p.ErrorCode.MESSAGE_TOO_LARGE,
                p.CloseCode.MESSAGE_TOO_LARGE,
                f"message of {size} bytes exceeds the limit of {p.MAX_CLIENT_MESSAGE} bytes",
            )
        try:
            return p.decode_client(data)
        except p.BadMessage as bad:
            raise ProtocolViolation(
                p.ErrorCode.BAD_MESSAGE, p.CloseCode.BAD_MESSAGE, bad.message, id=bad.id, run_id=bad.run_id
            ) from None

    async def _handle(self, message: p.ClientMessage) -> None:
        needed = _NEEDS.get(type(message), Role.VIEWER)
        assert self._identity is not None
        if not self._identity.may(needed):
            await self._record_refusal(message.__struct_config__.tag, p.ErrorCode.FORBIDDEN)
            self.send(
                p.Error(
                    code=p.ErrorCode.FORBIDDEN,
                    id=getattr(message, "id", None),
                    run_id=getattr(message, "run_id", None),
                    message=f"{message.__struct_config__.tag} needs the {needed} role; "
                    f"{self._identity.name} is {self._identity.role}",
                )
            )
            return
        match message:
            case p.Subscribe():
                await self._subscribe(message)
            case p.Unsubscribe():
                self._unsubscribe(message)
            case p.PromptResponse():
                self._spawn(self._respond(message))
            case p.SubscribeActive():
                self._active_sent = 0
                self._hub.watch_active(self._waker)
            case p.UnsubscribeActive():
                self._active_sent = None
                self._hub.unwatch_active(self._waker)
            case p.SubscribeFinished():
                self._finished = self._finished or self._hub.watch_finished(self._waker)
            case p.UnsubscribeFinished():
                self._hub.unwatch_finished(self._finished)
                self._finished = None

    async def _subscribe(self, message: p.Subscribe) -> None:
        old = self._subs.pop(message.run_id, None)
        if old is not None:
            self._hub.unsubscribe(old)
        try:
            sub, summary = await self._hub.subscribe(
                message.run_id, message.since_seq, self._waker, is_channels_only=message.channels_only,
                deliver=self._deliver if self._transport is not None else None, epoch=message.epoch,
            )  # fmt: skip
        except UnknownRun as exc:
            self.send(p.Error(code=p.ErrorCode.RUN_NOT_FOUND, message=str(exc), id=message.id, run_id=message.run_id))
            return
        except SeqOutOfRange as exc:
            self.send(p.Error(code=p.ErrorCode.BAD_MESSAGE, message=str(exc), id=message.id, run_id=message.run_id))
            return
        except StoreUnreadable as exc:  # nothing changed: the client may subscribe again
            code = p.ErrorCode.STORE_UNAVAILABLE
            self.send(p.Error(code=code, message=str(exc), id=message.id, run_id=message.run_id))
            return
        self._subs[message.run_id] = sub
        self.send(
            p.Subscribed(
                run_id=message.run_id,
                since_seq=0 if sub.is_resync else message.since_seq,
                head_seq=summary.last_seq,
                status=summary.status,
                id=message.id,
                epoch=sub.epoch,
                resync=sub.is_resync,
            )
        )

    def _unsubscribe(self, message: p.Unsubscribe) -> None:
        sub = self._subs.pop(message.run_id, None)
        if sub is None:
            self.send(
                p.Error(
                    code=p.ErrorCode.NOT_SUBSCRIBED,
                    message=f"not subscribed to run {message.run_id}",
                    id=message.id,
                    run_id=message.run_id,
                )
            )
            return
        self._hub.unsubscribe(sub)
        self.send(p.Unsubscribed(run_id=message.run_id, id=message.id))

    def _spawn(self, work: Coroutine[None, None, None]) -> None:
        """Run `work` beside the reader, which goes on reading meanwhile."""
        task = asyncio.create_task(work)
        self._answers.add(task)
        task.add_done_callback(self._answers.discard)

    async def _respond(self, message: p.PromptResponse) -> None:
        # who and via are the credential's; whatever the message says about them is ignored
        assert self._identity is not None
        outcome, why = await self._answer(
            Answer(
                run_id=message.run_id,
                prompt_id=message.prompt_id,
                value=message.value,
                who=self._identity.name,
                via=self._identity.via,
                request_id=message.id,
            )
        )
        await self._gate.audit(self._identity, "answer", f"{message.run_id} {message.prompt_id}", outcome.value)
        if outcome is Outcome.ACCEPTED:
            self._replies.append(
                p.encode(p.PromptAccepted(id=message.id, run_id=message.run_id, prompt_id=message.prompt_id))
            )
            self._waker.set()
            return
        code = p.ErrorCode(outcome.value)
        if outcome is Outcome.NOT_FOUND and not await self._hub.has_run(message.run_id):
            code, why = p.ErrorCode.RUN_NOT_FOUND, f"no run {message.run_id}"
        self.send(p.Error(code=code, message=why, id=message.id, run_id=message.run_id))

    # -- writing -------------------------------------------------------------------------

    def send(self, message: p.ServerMessage) -> None:
        """Queue a session message; the writer sends it before any later record."""
        self._outbox.append(p.encode(message))
        self._waker.set()

    def _deliver(self, batch: Batch) -> bool:
        """Send records the hub hands over at once, unless something queued must go first."""
        wire = self._transport
        if not self._is_idle or self._waker.is_set() or wire is None or not wire.is_writable:
            return False
        wire.write_frame(batch.frame(text_frame))
        return True

    async def _write_loop(self) -> None:
        while True:
            self._is_idle = True
            await self._waker.wait()
            self._is_idle = False
            self._waker.clear()
            frames = await self._collect()
            while frames:
                # read the next batch (a store read when catching up) while this one is sent
                sending = asyncio.ensure_future(self._send_frames(frames))
                try:
                    frames = await self._collect()
                except BaseException:
                    sending.cancel()
                    raise
                await sending

    async def _collect(self) -> list[Batch]:
        """The frames to send next: what is queued, then what each subscription has pending."""
        parts, self._outbox = self._outbox, []
        replies, self._replies = self._replies, []  # taken first: their records are committed
        if self._is_welcomed:  # the welcome goes out in a frame of its own
            parts += self._fault_notice()
        self._is_welcomed = True
        if self._finished is not None:
            parts += self._finished.take()
        if self._active_sent is not None:
            version, frame = self._hub.active()
            if version > self._active_sent:
                parts.append(frame)
                self._active_sent = version
        segments = [batch.single(part) for part in parts]
        for run_id, sub in list(self._subs.items()):
            try:
                state = await self._hub.pending_state(sub)
                records = await self._hub.pending(sub)
            except StoreUnreadable as exc:  # the cursor stays: tried again at the next wake
                segments += [batch.single(frame) for frame in self._unreadable(run_id, str(exc))]
                continue
            self._unread.discard(run_id)
            if self._subs.get(run_id) is not sub:
                continue  # resubscribed meanwhile: the new cursor starts over
            segments += [batch.single(frame) for frame in state] + [records] * bool(records)
            if sub.is_drained:
                del self._subs[run_id]
        if len(segments) == 1 and not replies:
            return segments  # the live tail: the same frame as every viewer at this seq
        return batch.framed(segments + [batch.single(reply) for reply in replies])

    def _unreadable(self, run_id: str, why: str) -> list[bytes]:
        """store_unavailable for a run whose records cannot be read now, once until they can."""
        if run_id in self._unread:
            return []
        self._unread.add(run_id)
        return [p.encode(p.Error(code=p.ErrorCode.STORE_UNAVAILABLE, message=why, run_id=run_id))]

    def _fault_notice(self) -> list[bytes]:
        """The store_unavailable error, once per fault, if the store cannot commit now."""
        version, fault = self._hub.fault()
        if version == self._fault_seen:
            return []
        self._fault_seen = version
        return [fault] if fault else []

    async def _send_frames(self, frames: list[Batch]) -> None:
        try:
            for frame in frames:
                # a timer, not a task per frame: wait_for cost a fifth of the loop at 100 viewers
                async with asyncio.timeout(self._send_timeout):
                    await self._send(frame)
        except TimeoutError:
            log.warning("client stopped reading for %.0f s; dropping it", self._send_timeout)
            reason = "slow consumer: resubscribe with since_seq"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ws.close(p.CloseCode.SLOW_CONSUMER, reason), 1.0)
            raise SlowConsumer(reason) from None

    async def _send(self, frame: Batch) -> None:
        if self._transport is None:  # served by another ASGI server: its own framing
            await self._ws.send_text(frame.payload().decode())
        else:
            await self._transport.send_frame(frame.frame(text_frame))
