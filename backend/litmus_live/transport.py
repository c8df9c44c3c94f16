"""The WebSocket transport under each session: uvicorn's sans-I/O protocol, closing with
protocol v1's codes (PROTOCOL.md §7) where uvicorn would pick its own.

- a graceful stop closes with 1001 (going away), not 1012;
- a peer that does not answer a keep-alive ping closes with 4409, not 1011 (a server bug);
- a text frame that is not valid UTF-8 reaches the session as bytes, which answers it like
  any malformed frame (`bad_message`, 4400) instead of a 1007 and a traceback per frame.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from litmus_live import protocol as p

_GOING_AWAY = "server shutting down: reconnect and resume with since_seq"
_NO_PONG = "keep-alive timeout: no answer to a ping in time"


class Transport(WebSocketsSansIOProtocol):
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
