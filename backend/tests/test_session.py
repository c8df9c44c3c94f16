"""The WebSocket edge: raw frames in, documented errors and close codes out."""

from __future__ import annotations

import json

import pytest
import websockets
from conftest import SUBPROTOCOL, TOKEN, Server, connect, receive

from litmus_live.protocol import frames


async def expect_close(ws: websockets.ClientConnection, code: int, error_code: str) -> dict:
    error = json.loads(await ws.recv())
    assert error["type"] == "error" and error["code"] == error_code, error
    with pytest.raises(websockets.ConnectionClosed):
        await ws.recv()
    assert ws.close_code == code
    return error


async def test_welcome_names_the_protocol(server: Server) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with websockets.connect(server.ws, subprotocols=[SUBPROTOCOL], additional_headers=headers) as ws:
        assert ws.subprotocol == SUBPROTOCOL
        welcome = json.loads(await ws.recv())
    assert welcome["type"] == "welcome" and welcome["protocol"] == SUBPROTOCOL


async def test_no_common_subprotocol_is_refused_with_4406(server: Server) -> None:
    async with websockets.connect(server.ws, subprotocols=["litmus-live.v9"]) as ws:
        error = await expect_close(ws, 4406, "unsupported_protocol")
    assert "litmus-live.v1" in error["message"] and "litmus-live.v9" in error["message"]


async def test_malformed_json_is_refused_with_4400_and_the_reason(server: Server) -> None:
    async with await connect(server.ws) as ws:
        await ws.send('{"type": "subscribe", "run_id": ')
        error = await expect_close(ws, 4400, "bad_message")
    assert "malformed" in error["message"].lower() or "truncated" in error["message"].lower()


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ('{"type": "subscribe"}', "run_id"),
        ('{"type": "subscribe", "run_id": "r1", "since_seq": -1}', "since_seq"),
        ('{"type": "subscribe", "run_id": 42}', "run_id"),
        ('{"type": "launch_rockets"}', "launch_rockets"),
        ("[1, 2, 3]", "object"),
    ],
)
async def test_schema_invalid_messages_say_what_was_expected_and_where(server: Server, raw: str, where: str) -> None:
    async with await connect(server.ws) as ws:
        await ws.send(raw)
        error = await expect_close(ws, 4400, "bad_message")
    assert where in error["message"]


async def test_oversized_frames_are_refused_with_4413(server: Server) -> None:
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": "r", "pad": "x" * 70_000}))
        error = await expect_close(ws, 4413, "message_too_large")
    assert "65536" in error["message"]


async def test_a_foreign_origin_is_refused_with_4403(server: Server) -> None:
    async with websockets.connect(server.ws, subprotocols=[SUBPROTOCOL], origin="http://evil.example") as ws:
        await expect_close(ws, 4403, "origin_forbidden")


async def test_the_servers_own_origin_is_allowed(server: Server) -> None:
    async with await connect(server.ws, origin=f"http://127.0.0.1:{server.port}") as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": "nope"}))
        assert (await receive(ws))[0]["code"] == "run_not_found"


async def test_unknown_run_is_an_in_band_error_and_the_connection_stays(server: Server) -> None:
    run_id = server.launch("test_pass.py")
    async with await connect(server.ws) as ws:
        await ws.send('{"type": "subscribe", "run_id": "no-such-run", "id": "req-7"}')
        (error,) = await receive(ws)
        assert error == {
            "type": "error", "code": "run_not_found", "message": "no run no-such-run",
            "id": "req-7", "run_id": "no-such-run",
        }  # fmt: skip
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id, "id": "req-8"}))
        (subscribed, *_) = await receive(ws)
    assert subscribed["type"] == "subscribed" and subscribed["id"] == "req-8" and subscribed["since_seq"] == 0


async def test_since_seq_past_the_end_is_an_in_band_error(server: Server) -> None:
    run_id = server.launch("test_pass.py")
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id, "since_seq": 10**9}))
        (error,) = await receive(ws)
    assert error["code"] == "bad_message" and "past the last seq" in error["message"]


async def test_unsubscribe_stops_delivery_and_unknown_unsubscribe_is_an_error(server: Server) -> None:
    run_id = server.launch("test_slow.py")
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        await receive(ws)
        await ws.send(json.dumps({"type": "unsubscribe", "run_id": run_id, "id": "u1"}))
        messages: list[dict] = []
        while not any(m["type"] == "unsubscribed" for m in messages):
            messages += await receive(ws)
        await ws.send(json.dumps({"type": "unsubscribe", "run_id": run_id, "id": "u2"}))
        (error,) = await receive(ws)
    assert error["code"] == "not_subscribed" and error["id"] == "u2"


async def test_a_frame_may_carry_an_array_of_records_in_seq_order(server: Server) -> None:
    run_id = server.launch("test_pass.py")
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        while True:
            (complete, *_) = [m for m in await receive(ws) if m["type"] == "complete"] or [None]
            if complete:
                break
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        raw = json.loads(await ws.recv())
    # a finished run is replayed in batches: the ack and every record share one array frame
    assert isinstance(raw, list) and raw[0]["type"] == "subscribed"
    assert [m["seq"] for m in raw[1:]] == list(range(1, len(raw)))


def test_frames_stay_under_the_budget_and_keep_order() -> None:
    messages = [json.dumps({"type": "event", "seq": i, "pad": "x" * 300}).encode() for i in range(1, 2001)]
    out = [json.loads(text) for text in frames(messages, max_bytes=64 * 1024)]
    assert all(len(json.dumps(frame)) <= 64 * 1024 + 400 for frame in out)
    flat = [m for frame in out for m in (frame if isinstance(frame, list) else [frame])]
    assert [m["seq"] for m in flat] == list(range(1, 2001))
    assert frames([b'{"type":"welcome"}']) == ['{"type":"welcome"}']
