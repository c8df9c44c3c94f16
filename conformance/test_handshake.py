"""§1: the version travels in the subprotocol; refusals are an `error` message, then a 44xx close."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import SUBPROTOCOL


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
