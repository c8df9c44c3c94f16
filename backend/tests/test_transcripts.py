"""The golden transcripts in protocol/examples, replayed against the real server.

A transcript is JSON Lines (see protocol/examples/README.md). Records from a live run differ
from one replay to the next in their timing fields and in where output lines fall, so those
are compared loosely; everything else must match exactly, in order.
Set LITMUS_RECORD_TRANSCRIPTS=1 to rewrite the files from a fresh replay.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
import websockets
from conftest import Server, connect

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "protocol" / "examples"
TRANSCRIPTS = sorted(EXAMPLES.glob("*.jsonl"))
LOOSE = {"ts", "seq", "duration", "head_seq", "run_id", "prompt_id", "deadline", "waited"}
RUN = "<run_id>"
IS_RECORDING = os.environ.get("LITMUS_RECORD_TRANSCRIPTS") == "1"


def comparable(message: dict) -> dict:
    """A message without the fields that vary from one replay to the next."""
    out = {k: comparable(v) if isinstance(v, dict) else v for k, v in message.items() if k not in LOOSE}
    if message.get("type") == "subscribed":
        out.pop("status", None)
    return out


def is_output(message: dict) -> bool:
    """Output lines and channel updates: where they fall depends on timing, not on the protocol."""
    return message.get("type") == "channels" or (message.get("type") == "event" and message["data"]["kind"] == "output")


class _Replay:
    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.received: list[dict] = []

    async def pump(self, predicate) -> dict:
        """Read frames until a message satisfies `predicate`; return it."""
        for message in self.received:
            if predicate(message):
                return message
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
            frame = frame if isinstance(frame, list) else [frame]
            self.received += frame
            for message in frame:
                if predicate(message):
                    return message


async def replay(server: Server, steps: list[dict]) -> tuple[list[dict], int | None, str | None]:
    run_id = None
    ada = server.grant("ada")  # the operator of every transcript: who and via come from her token
    ws = await connect(server.ws, token=ada)
    session = _Replay(ws)
    session.received.append({"type": "welcome", "protocol": ws.subprotocol, "server": "*"})
    for step in steps:
        if "launch" in step:
            run_id = server.launch(**step["launch"], token=ada)
        elif "send" in step:
            await ws.send(json.dumps(step["send"]).replace(RUN, run_id or RUN))
        elif "send_raw" in step:
            await ws.send(step["send_raw"])
        elif "answer" in step:
            answer = dict(step["answer"])
            name = answer.pop("name")
            prompt = await session.pump(lambda m, name=name: m["type"] == "prompt" and m["name"] == name)
            response = {"type": "prompt_response", "run_id": run_id, "prompt_id": prompt["prompt_id"], **answer}
            await ws.send(json.dumps(response))
            await session.pump(lambda m, i=answer["id"]: m.get("id") == i and m["type"] != "subscribed")
    close = None
    try:
        await session.pump(lambda m: m["type"] == "complete" or (run_id is None and m["type"] == "error"))
        await asyncio.wait_for(ws.recv(), 0.5)
    except websockets.ConnectionClosed:
        close = ws.close_code
    except TimeoutError:
        pass
    await ws.close()
    return session.received, close, run_id


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
async def test_transcript_replays_against_the_real_server(path: Path, server_factory) -> None:
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    steps = [line for line in lines if not {"recv", "close", "expect"} & line.keys()]
    server = server_factory(tests=ROOT / "examples")
    server.start()
    received, close, run_id = await replay(server, steps)
    if IS_RECORDING:
        record(path, steps, received, close=close, run_id=run_id, expect=[line for line in lines if "expect" in line])
        return
    expected = [line["recv"] for line in lines if "recv" in line]
    expected_close = next((line["close"] for line in lines if "close" in line), None)
    got = [comparable(json.loads(json.dumps(m).replace(run_id or RUN, RUN))) for m in received if not is_output(m)]
    want = [comparable(m) for m in expected if not is_output(m)]
    got[0]["server"] = want[0]["server"] = "*"
    assert got == want
    assert close == expected_close
    seqs = [m["seq"] for m in received if "seq" in m]
    assert seqs == list(range(1, len(seqs) + 1))
    assert any(is_output(m) for m in received) == any(is_output(m) for m in expected)


def record(path: Path, steps: list, received: list, *, close: int | None, run_id: str | None, expect: list) -> None:
    out = [json.dumps(step) for step in steps]
    out += [json.dumps({"recv": m}).replace(run_id or RUN, RUN) for m in received]
    if close is not None:
        out.append(json.dumps({"close": close}))
    out += [json.dumps(line) for line in expect]
    path.write_text("\n".join(out) + "\n")
