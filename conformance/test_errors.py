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


def test_http_refuses_a_path_outside_the_test_root_and_unknown_runs(http, station) -> None:
    status, body = http.request("POST", "/api/runs", {"test_path": "../../etc/passwd", "uut_serial": "SN", **station})
    assert status == 400 and body["error"]["code"] == "invalid_test_path"
    status, body = http.request("GET", "/api/runs/no-such-run")
    assert status == 404
    status, body = http.request("GET", "/healthz")
    assert status == 200 and body["status"] == "ok"


async def test_nesting_deeper_than_any_message_is_bad_message_then_4400(connect) -> None:
    peer = await connect()
    await peer.ws.send('{"type":"subscribe","run_id":"r","id":' + "[" * 5000 + "]" * 5000 + "}")
    messages, code = await peer.closed()
    assert [(m["type"], m["code"]) for m in messages] == [("error", "bad_message")]
    assert code == 4400


async def test_text_that_is_not_utf8_is_bad_message_then_4400(connect) -> None:
    peer = await connect()
    await peer.ws.send(b'{"type":"subscribe","run_id":"\xff\xfe"}', text=True)
    messages, code = await peer.closed()
    assert [(m["type"], m["code"]) for m in messages] == [("error", "bad_message")]
    assert "UTF-8" in messages[0]["message"]
    assert code == 4400


async def test_the_close_reason_is_cut_to_123_bytes_never_inside_a_character(connect) -> None:
    peer = await connect()
    await peer.send({"type": "é" * 200, "run_id": "r"})
    messages, code = await peer.closed()
    assert [(m["type"], m["code"]) for m in messages] == [("error", "bad_message")]
    assert code == 4400
    reason = peer.ws.close_reason
    assert 0 < len(reason.encode()) <= 123 and reason in messages[0]["message"]


async def test_the_64_kib_frame_cap_counts_bytes_not_characters(connect) -> None:
    peer = await connect()
    await peer.send({"type": "subscribe", "run_id": "r", "id": "é" * 40_000})  # 40,000 characters, 80,000 bytes
    messages, code = await peer.closed()
    assert [(m["type"], m["code"]) for m in messages] == [("error", "message_too_large")]
    assert code == 4413


async def test_a_binary_frame_holding_a_message_is_answered_like_a_text_frame(connect) -> None:
    peer = await connect()
    await peer.ws.send(json.dumps({"type": "subscribe", "run_id": "nope", "id": "b"}).encode())
    error = await peer.next()
    assert (error["type"], error["code"], error["id"], error["run_id"]) == ("error", "run_not_found", "b", "nope")


@pytest.mark.parametrize(
    ("message", "where"),
    [
        ({"type": "prompt_response", "id": "r4", "run_id": "x", "prompt_id": "p", "value": True, "who": "w" * 65},
         "$.who"),
        ({"type": "prompt_response", "id": "r5", "run_id": "x", "prompt_id": "p", "value": True, "via": "fax"},
         "$.via"),
        # "auto" is the server's own word for LITMUS_AUTO_CONFIRM's answers: no client may claim it
        ({"type": "prompt_response", "id": "r8", "run_id": "x", "prompt_id": "p", "value": True, "via": "auto"},
         "$.via"),
        ({"type": "subscribe", "id": "r6", "run_id": "x", "since_seq": 1.0}, "$.since_seq"),
        ({"type": "subscribe", "id": "r7", "run_id": "x", "since_seq": "3"}, "$.since_seq"),
    ],
)  # fmt: skip
async def test_a_bad_field_is_bad_message_then_4400_echoing_the_readable_id_and_run_id(connect, message, where):
    peer = await connect()
    await peer.send(message)
    messages, code = await peer.closed()
    error = messages[0]
    assert (error["type"], error["code"], error["id"], error["run_id"]) == ("error", "bad_message", message["id"], "x")
    assert where in error["message"]
    assert code == 4400


async def test_a_missing_id_is_bad_message_with_no_id_to_echo(connect) -> None:
    peer = await connect()
    await peer.send({"type": "prompt_response", "run_id": "x", "prompt_id": "p", "value": True})
    messages, code = await peer.closed()
    assert (messages[0]["code"], messages[0]["id"], messages[0]["run_id"]) == ("bad_message", None, "x")
    assert code == 4400


async def test_a_frame_over_1_mib_is_refused_by_the_websocket_layer_with_1009(connect) -> None:
    peer = await connect()
    await peer.send({"type": "subscribe", "run_id": "r", "id": "x" * (1024 * 1024 + 1)})
    _, code = await peer.closed()
    assert code == 1009
