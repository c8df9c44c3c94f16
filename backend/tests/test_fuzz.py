"""Fuzzing the WebSocket edge of a real server: generated frames, good and bad, from a fixed seed.

Every frame gets an answer PROTOCOL.md names (a reply, or an `error` with a code of §4.11),
every close is a code of §7, every answer fits schema.json and every error message names values
in words (no Python notation); the server logs no traceback and still serves afterwards.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from pathlib import Path

import jsonschema
import websockets
from conftest import SUBPROTOCOL, TOKEN

FRAMES = 10_000
WORKERS = 8
ERROR_CODES = {"bad_message", "message_too_large", "run_not_found", "not_subscribed", "invalid_answer",
               "prompt_already_answered", "prompt_not_found"}  # fmt: skip
REPLIES = {"subscribed", "unsubscribed", "active_runs", "run_finished", "prompt_accepted", "channels", "error",
           "event", "progress", "prompt", "complete"}  # fmt: skip
CLOSE_CODES = {1000, 1001, 1009, 1011, 4400, 4401, 4403, 4406, 4408, 4409, 4413, 4429}  # §7's, less 1006 and 1012
TYPES = ["subscribe", "unsubscribe", "prompt_response", "subscribe_active", "unsubscribe_active",
         "subscribe_finished", "unsubscribe_finished", "launch", "", "SUBSCRIBE"]  # fmt: skip
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "protocol" / "schema.json").read_text())
# a quoted token ('abc', not an apostrophe), None/True/False, Python type names
PYTHON = re.compile(r"(?<![A-Za-z])'[^'\s]|\b(?:None|True|False|NoneType)\b|`(?:str|int|float|bool|dict|list)`")
FIELDS = ["type", "run_id", "since_seq", "id", "prompt_id", "value", "who", "via", "channels_only", "extra"]


def value(rng: random.Random, depth: int = 0) -> object:
    kind = rng.randrange(12 if depth < 3 else 8)
    if kind < 8:
        return rng.choice([None, True, False, 0, -1, 1.0, 2**70, 1e308, "", "r", "é" * rng.randrange(1, 80),
                           "\x00\x1f\u2028", "x" * rng.choice([63, 64, 65, 300]), "ui", "script", "nope"])  # fmt: skip
    if kind < 10:
        return [value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(FIELDS): value(rng, depth + 1) for _ in range(rng.randrange(4))}


def message(rng: random.Random) -> dict:
    out: dict = {"type": rng.choice(TYPES)}
    for field in rng.sample(FIELDS[1:], rng.randrange(len(FIELDS))):
        out[field] = value(rng)
    if rng.random() < 0.5:  # mostly well-formed: keeps connections open and reaches the handlers
        out.update(run_id="nope", id=f"f{rng.randrange(10**6)}")
        out.pop("since_seq", None) if rng.random() < 0.5 else None
    return out


def frame(rng: random.Random) -> str | bytes:
    """One generated frame: a message, or JSON broken in one of the ways peers break it."""
    text = json.dumps(message(rng), ensure_ascii=rng.random() < 0.5)
    match rng.randrange(10):
        case 0:
            return text[: rng.randrange(len(text))]  # truncated
        case 1:
            depth = rng.choice([100, 973, 974, 1500, 20_000])
            return '{"type":"subscribe","run_id":"r","id":' + "[" * depth + "]" * depth + "}"
        case 2:
            raw = bytearray(text.encode())
            raw[rng.randrange(len(raw))] = rng.choice([0xFF, 0xC3, 0xED, 0x80])
            return bytes(raw)  # sent as a text frame: not UTF-8
        case 3:
            return json.dumps({"type": "subscribe", "run_id": "r", "pad": "é" * rng.choice([20_000, 33_000, 131_000])})
        case 4:
            return rng.choice(["", " ", "null", "[]", "[{}]", "1", '"subscribe"', "{}", "{" * 10])
        case _:
            return text


PROBE = json.dumps({"type": "subscribe", "run_id": "probe", "id": "probe"})


async def fuzz(url: str, frames: list[str | bytes], closes: list[int | None], answers: list[dict]) -> None:
    """Send each frame, then a probe: everything up to the probe's answer answers the frame."""
    ws = None
    for data in frames:
        if ws is None:
            ws = await websockets.connect(url, subprotocols=[SUBPROTOCOL], open_timeout=30,
                                          additional_headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
            answers.append(json.loads(await ws.recv()))
        try:
            await ws.send(data, text=True) if isinstance(data, bytes) else await ws.send(data)
            await ws.send(PROBE)
            async with asyncio.timeout(30):
                while True:
                    reply = json.loads(await ws.recv())
                    messages = reply if isinstance(reply, list) else [reply]
                    answers += [m for m in messages if m.get("id") != "probe"]
                    if any(m.get("id") == "probe" for m in messages):
                        break
        except websockets.ConnectionClosed:
            closes.append(ws.close_code)
            ws = None
    if ws is not None:
        await ws.close()


async def test_ten_thousand_generated_frames_get_documented_answers_and_no_traceback(server_factory) -> None:
    # The per-address message cap (4429) is not what this probes: lifted, every frame reaches the decoder.
    server = server_factory(env={"LITMUS_MESSAGE_RATE": "1000000"})
    server.start()
    rng = random.Random(20261124)
    frames = [frame(rng) for _ in range(FRAMES)]
    closes: list[int | None] = []
    answers: list[dict] = []
    await asyncio.gather(*(fuzz(server.ws, frames[i::WORKERS], closes, answers) for i in range(WORKERS)))
    assert set(closes) <= CLOSE_CODES, sorted(set(closes) - CLOSE_CODES, key=str)
    assert {m["type"] for m in answers} <= REPLIES | {"welcome"}
    assert {m["code"] for m in answers if m["type"] == "error"} <= ERROR_CODES
    server_message = jsonschema.Draft202012Validator({"$ref": "#/$defs/ServerMessage", "$defs": SCHEMA["$defs"]})
    for answer in {json.dumps(m, sort_keys=True): m for m in answers}.values():
        server_message.validate(answer)
    errors = {m["message"] for m in answers if m["type"] == "error"}
    assert len(errors) > 20 and not [text for text in errors if PYTHON.search(text)]
    assert {4400, 4413} <= set(closes) and 4429 not in closes and len(closes) > 1000
    log = server.log.read_text()
    assert "Traceback" not in log and "Exception" not in log, log[-3000:]
    assert server.get("/healthz")["status"] == "ok"
    print(
        f"{len(frames)} frames, {len(closes)} closes: "
        + ", ".join(f"{c}: {closes.count(c)}" for c in sorted(set(closes)))
    )
