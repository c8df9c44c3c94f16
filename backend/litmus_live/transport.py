"""The WebSocket transport under each session: uvicorn's sans-I/O protocol, closing with
protocol v1's codes (PROTOCOL.md §7) where uvicorn would pick its own.

- a graceful stop closes with 1001 (going away), not 1012;
- a peer that does not answer a keep-alive ping closes with 4409, not 1011 (a server bug);
- a text frame that is not valid UTF-8 reaches the session as bytes, which answers it like
  any malformed frame (`bad_message`, 4400) instead of a 1007 and a traceback per frame.

It also lets its session write text frames built once for many connections (server frames
are never masked, so the same bytes suit every peer): the session finds it in the ASGI
scope's extensions under EXTENSION.
"""

from __future__ import annotations

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

from litmus_live import protocol as p

EXTENSION = "litmus_live.transport"
_TEXT = 0x81  # FIN, opcode 1 (text)

_GOING_AWAY = "server shutting down: reconnect and resume with since_seq"
_NO_PONG = "keep-alive timeout: no answer to a ping in time"


def text_frame(*payload: bytes) -> bytes:
    """A whole unmasked text frame holding the UTF-8 `payload` parts, header first (RFC 6455
    §5.2), joined in one copy."""
    size = sum(map(len, payload))
    if size < 126:
        header = bytes((_TEXT, size))
    elif size < 1 << 16:
        header = bytes((_TEXT, 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((_TEXT, 127)) + size.to_bytes(8, "big")
    return b"".join((header, *payload))


class Transport(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        if self.response.status_code == 101:
            self.scope["extensions"][EXTENSION] = self

    @property
    def is_open(self) -> bool:
        return self.conn.state is State.OPEN and not self.close_sent and not self.disconnected

    @property
    def is_writable(self) -> bool:
        """Whether a frame written now leaves at once: open, and the peer keeps up with reading."""
        return self.writable.is_set() and self.is_open

    def write_frame(self, frame: bytes) -> None:
        """Write a frame built by `text_frame`; the caller has checked `is_writable`."""
        self.transport.write(frame)

    async def send_frame(self, frame: bytes) -> None:
        """Write a frame built by `text_frame` once the peer has read what was written before."""
        await self.writable.wait()
        if not self.is_open:
            raise ClientDisconnected
        self.transport.write(frame)

    def shutdown(self) -> None:
        if self.close_sent or not self.handshake_complete:
            super().shutdown()
            return
        self.stop_keepalive()
        self.queue.put_nowait({"type": "websocket.disconnect", "code": p.CloseCode.GOING_AWAY})
        self.conn.send_close(p.CloseCode.GOING_AWAY, _GOING_AWAY)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self.transport.close()

    def keepalive_timeout(self) -> None:
        self.pong_timer = None
        self.pending_ping_payload = None
        if self.close_sent or self.transport.is_closing():
            return
        self.conn.fail(p.CloseCode.KEEPALIVE_TIMEOUT, _NO_PONG)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self.transport.close()

    def send_receive_event_to_app(self) -> None:
        if self.curr_msg_data_type == "text" and not _is_utf8(self.frames):
            self.curr_msg_data_type = "bytes"  # the session reads bytes as UTF-8 and says where it broke
        super().send_receive_event_to_app()


def _is_utf8(frames: list[bytes]) -> bool:
    try:
        b"".join(frames).decode()
    except UnicodeDecodeError:
        return False
    return True
