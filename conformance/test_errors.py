"""§4.10, §7, §9: a peer that breaks the protocol gets an error and a 44xx close; HTTP errors."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize(
    "text",
    [
        '{"type":"subscribe","run_id":',  # not JSON
        '["subscribe"]',  # not an object
        '{"type":"subscribe"}',  # a required field missing
        '{"type":"subscribe","run_id":"r","since_seq":-1}',  # out of range
        '{"type":"launch","run_id":"r"}',  # unknown type
    ],
)
async def test_a_malformed_message_gets_bad_message_then_4400(connect, text: str) -> None:
    peer = await connect()
    await peer.ws.send(text)
    messages, code = await peer.closed()
    assert [(m["type"], m["code"]) for m in messages] == [("error", "bad_message")]
    assert messages[0]["message"]
    assert code == 4400


async def test_a_frame_over_64_kib_gets_message_too_large_then_4413(connect) -> None:
    peer = await connect()
    await peer.ws.send(json.dumps({"type": "subscribe", "run_id": "r", "id": "x" * 65_536}))
    messages, code = await peer.closed()
    assert [(m["type"], m["code"]) for m in messages] == [("error", "message_too_large")]
    assert code == 4413


def test_http_refuses_a_path_outside_the_test_root_and_unknown_runs(http) -> None:
    status, body = http.request("POST", "/api/runs", {"test_path": "../../etc/passwd", "uut_serial": "SN"})
    assert status == 400 and body["error"]["code"] == "invalid_test_path"
    status, body = http.request("GET", "/api/runs/no-such-run")
    assert status == 404
    status, body = http.request("GET", "/healthz")
    assert status == 200 and body["status"] == "ok"
