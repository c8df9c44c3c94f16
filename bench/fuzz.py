"""Generated WebSocket frames for the fault drill's fuzz case: the kinds the backend's fuzz test
sends, and more (deep objects, deep values, lone surrogates, a BOM, binary frames, numbers past
every range, duplicate keys, random bytes), from a seed. Sent by 8 connections, each frame
followed by a probe so that every answer is read."""

from __future__ import annotations

import asyncio
import json
import random

import websockets

SUBPROTOCOL = "litmus-live.v1"
TYPES = ["subscribe", "unsubscribe", "prompt_response", "subscribe_active", "unsubscribe_active",
         "subscribe_finished", "unsubscribe_finished", "launch", "", "SUBSCRIBE", "abort"]  # fmt: skip
FIELDS = ["type", "run_id", "since_seq", "id", "prompt_id", "value", "who", "via", "channels_only", "extra"]
PROBE = json.dumps({"type": "subscribe", "run_id": "probe", "id": "probe"})


def value(rng: random.Random, depth: int = 0) -> object:
    kind = rng.randrange(12 if depth < 3 else 8)
    if kind < 8:
        return rng.choice([None, True, False, 0, -1, 1.5, 2**64, 2**70, -(2**63) - 1, 1e308, "", "é" * 70, "\x00",
                           "\u2028\u202e", "x" * rng.choice([63, 64, 65, 2000]), "ui", "auto", "terminal"])  # fmt: skip
    if kind < 10:
        return [value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(FIELDS): value(rng, depth + 1) for _ in range(rng.randrange(4))}


def message(rng: random.Random) -> dict:
    out: dict = {"type": rng.choice(TYPES)}
    for field in rng.sample(FIELDS[1:], rng.randrange(len(FIELDS))):
        out[field] = value(rng)
    if rng.random() < 0.5:
        out.update(run_id="nope", id=f"f{rng.randrange(10**6)}")
    return out


def _nested(rng: random.Random) -> str:
    depth = rng.choice([500, 973, 974, 2000, 50_000])
    if rng.random() < 0.5:
        return '{"type":"subscribe","run_id":"r","id":"x","extra":' + '{"a":' * depth + "1" + "}" * depth + "}"
    return '{"type":"prompt_response","run_id":"r","prompt_id":"p","value":' + "[" * depth + "]" * depth + "}"


def frame(rng: random.Random) -> str | bytes:
    text = json.dumps(message(rng), ensure_ascii=rng.random() < 0.5)
    match rng.randrange(14):
        case 0:
            return text[: rng.randrange(len(text))]
        case 1:
            return _nested(rng)
        case 2:
            raw = bytearray(text.encode())
            raw[rng.randrange(len(raw))] = rng.choice([0xFF, 0xC3, 0xED, 0x80, 0xF4])
            return bytes(raw)
        case 3:
            return json.dumps({"type": "subscribe", "run_id": "r", "pad": "€" * rng.choice([21_000, 22_000, 90_000])},
                              ensure_ascii=False)  # fmt: skip
        case 4:
            return rng.choice(['{"type":"subscribe","run_id":"\\ud800"}', '{"id":"\\udfff","type":"subscribe"}',
                               "\ufeff" + text, '{"type":"subscribe","type":"nope"}', "NaN", "-Infinity",
                               '{"type":"subscribe","run_id":"r","since_seq":' + "9" * 5000 + "}"])  # fmt: skip
        case 5:
            return b"\x00" + rng.randbytes(rng.randrange(1, 200))  # sent as a binary frame
        case 6:
            return rng.choice(["", " ", "null", "[]", "[{}]", "1", '"subscribe"', "{}", "{" * 10, "[" * 100])
        case _:
            return text


async def _send(ws: websockets.ClientConnection, data: str | bytes) -> None:
    if isinstance(data, bytes) and not data.startswith(b"\x00"):
        await ws.send(data, text=True)  # not UTF-8, in a text frame
    else:
        await ws.send(data)


async def _worker(url: str, token: str, frames: list, closes: list, codes: set) -> None:
    ws = None
    for data in frames:
        if ws is None:
            ws = await websockets.connect(url, subprotocols=[SUBPROTOCOL], open_timeout=30,
                                          additional_headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            await ws.recv()
        try:
            await _send(ws, data)
            await ws.send(PROBE)
            async with asyncio.timeout(30):
                while True:
                    reply = json.loads(await ws.recv())
                    messages = reply if isinstance(reply, list) else [reply]
                    codes |= {m["code"] for m in messages if m.get("type") == "error" and m.get("id") != "probe"}
                    if any(m.get("id") == "probe" for m in messages):
                        break
        except websockets.ConnectionClosed:
            closes.append(ws.close_code)
            ws = None
    if ws is not None:
        await ws.close()


async def run(server, count: int, seed: int) -> tuple[list[int | None], set[str]]:
    """Send `count` generated frames to `server`; the close codes seen and the error codes answered."""
    rng = random.Random(seed)
    frames = [frame(rng) for _ in range(count)]
    closes: list[int | None] = []
    codes: set[str] = set()
    await asyncio.gather(*(_worker(server.ws, server.token, frames[i::8], closes, codes) for i in range(8)))
    return closes, codes
