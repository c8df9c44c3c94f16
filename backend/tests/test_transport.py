"""The WebSocket transport closes with protocol v1's codes: 1001 on a graceful stop, 4409 on a
keep-alive timeout; text that is not UTF-8 is a bad_message logged once, with no traceback."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct

import pytest
import websockets
from conftest import SUBPROTOCOL, TOKEN, Server, connect


async def raw_upgrade(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket handshake by hand: this peer never answers a ping (no library does it for us)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Protocol: {SUBPROTOCOL}\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    first, second = await reader.readexactly(2)
    size = second & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", await reader.readexactly(2))
    elif size == 127:
        (size,) = struct.unpack("!Q", await reader.readexactly(8))
    return first & 0x0F, await reader.readexactly(size)


async def test_a_peer_that_never_answers_a_ping_is_closed_with_4409(server_factory) -> None:
    server = server_factory(env={"LITMUS_PING_INTERVAL": "0.5"})
    server.start()
    reader, writer = await raw_upgrade(server.port)
    opcodes = []
    async with asyncio.timeout(30):
        while not opcodes or opcodes[-1] != 0x8:
            opcode, payload = await read_frame(reader)
            opcodes.append(opcode)
    writer.close()
    (code,) = struct.unpack("!H", payload[:2])
    assert 0x9 in opcodes  # it was pinged, and said nothing
    assert code == 4409 and payload[2:].decode().startswith("keep-alive timeout")


async def test_a_graceful_stop_closes_every_connection_with_1001(server: Server) -> None:
    run_id = server.launch("test_pass.py")
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        await ws.recv()
        await asyncio.to_thread(server.stop)
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                await asyncio.wait_for(ws.recv(), 30)
    assert ws.close_code == 1001 and "reconnect" in ws.close_reason


async def test_text_that_is_not_utf8_is_logged_at_most_once_per_connection_and_never_as_a_traceback(
    server: Server,
) -> None:
    for _ in range(20):
        async with await connect(server.ws) as ws:
            for junk in (b"\xff\xfe\xfd", b'{"type":"subscribe","run_id":"\xc3"}', b"\xed\xa0\x80"):
                await ws.send(junk, text=True)
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 30)  # the error message
                await asyncio.wait_for(ws.recv(), 30)
        assert ws.close_code == 4400
    log = server.log.read_text()
    assert "Traceback" not in log and "Invalid UTF-8" not in log
    assert log.count("not valid UTF-8") <= 20
