"""§1: the version travels in the subprotocol; refusals are an `error` message, then a 44xx close."""

from __future__ import annotations

import datetime as dt
import urllib.parse

import pytest
import websockets
from conftest import SUBPROTOCOL, Peer, credential


async def test_the_server_selects_v1_and_says_welcome_first(connect) -> None:
    peer = await connect(welcome=False)
    assert peer.ws.subprotocol == SUBPROTOCOL
    welcome = await peer.next()
    assert welcome["type"] == "welcome" and welcome["protocol"] == SUBPROTOCOL
    assert isinstance(welcome["server"], str)


async def test_a_wrong_subprotocol_gets_unsupported_protocol_then_4406(connect) -> None:
    peer = await connect(["litmus-live.v0"], welcome=False)
    messages, code = await peer.closed()
    assert [m["code"] for m in messages if m["type"] == "error"] == ["unsupported_protocol"]
    assert code == 4406


async def test_no_subprotocol_at_all_gets_4406(connect) -> None:
    peer = await connect([], welcome=False)
    messages, code = await peer.closed()
    assert messages[-1]["type"] == "error" and messages[-1]["code"] == "unsupported_protocol"
    assert code == 4406


@pytest.mark.parametrize("offered", ["litmus-live.v2", "Litmus-Live.V1"])
async def test_a_client_offering_other_subprotocols_gets_one_echoed_then_error_and_4406(connect, offered) -> None:
    # a browser aborts a handshake whose reply names none of its offers, and would never learn why
    peer = await connect([offered], welcome=False)
    assert peer.ws.subprotocol == offered
    messages, code = await peer.closed()
    assert [m["code"] for m in messages if m["type"] == "error"] == ["unsupported_protocol"]
    assert SUBPROTOCOL in messages[-1]["message"] and offered in messages[-1]["message"]
    assert not {"[", "'"} & set(messages[-1]["message"])  # in words, not a programming language's list
    assert code == 4406


async def test_welcome_carries_the_servers_clock(connect) -> None:
    peer = await connect(welcome=False)
    welcome = await peer.next()
    server_time = dt.datetime.fromisoformat(welcome["server_time"].replace("Z", "+00:00"))
    assert server_time.utcoffset() == dt.timedelta(0)


async def test_no_credential_gets_unauthorized_then_4401(connect) -> None:
    for token in (None, "not-a-token"):
        peer = await connect(welcome=False, token=token)
        messages, code = await peer.closed()
        assert [(m["type"], m["code"]) for m in messages] == [("error", "unauthorized")]
        assert code == 4401


async def test_the_subprotocol_is_checked_before_the_credential(connect) -> None:
    peer = await connect([], welcome=False, token=None)
    messages, code = await peer.closed()
    assert [m["code"] for m in messages] == ["unsupported_protocol"] and code == 4406


async def test_a_foreign_origin_gets_origin_forbidden_then_4403(connect) -> None:
    peer = await connect(welcome=False, origin="https://elsewhere.example")
    messages, code = await peer.closed()
    assert [(m["type"], m["code"]) for m in messages] == [("error", "origin_forbidden")]
    assert code == 4403


async def test_a_host_that_is_not_the_servers_gets_host_forbidden_then_4403(url, token, contract) -> None:
    # a page whose own name was made to resolve to the server (DNS rebinding) sends its own name
    parts = urllib.parse.urlsplit(url)
    rebound = parts._replace(netloc=f"rebound.example:{parts.port}").geturl()
    async with websockets.connect(rebound, host=parts.hostname, port=parts.port, subprotocols=[SUBPROTOCOL],
                                  additional_headers=credential(token)) as ws:  # fmt: skip
        messages, code = await Peer(ws, contract).closed()
    assert [(m["type"], m["code"]) for m in messages] == [("error", "host_forbidden")]
    assert "rebound.example" in messages[0]["message"] and code == 4403


async def test_no_compression_is_negotiated_even_when_the_client_offers_it(connect) -> None:
    peer = await connect(welcome=False, compression="deflate")
    assert "permessage-deflate" in peer.ws.request.headers.get("Sec-WebSocket-Extensions", "")
    assert peer.ws.response.headers.get("Sec-WebSocket-Extensions") is None
