"""Scripted clients of the newer workloads, each a process of its own: `python clients.py ROLE`.

Roles: `answer` (answers every prompt of a run the moment it arrives), `view` (counts what a
viewer of a run receives), `stuck` (subscribes, then never reads), `poll` (the polling
baseline: asks HTTP for the run and its whole output every 200 ms), `join` (a late joiner:
time from subscribe to holding every record up to `head_seq`). The controller (`Client`)
writes the run id on stdin and reads `ready`, then one JSON result line.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import re
import subprocess
import sys
import time
from urllib.parse import urlsplit

from server import credential
from websockets.asyncio.client import connect

SUBPROTOCOL = "litmus-live.v1"
POLL_PERIOD = 0.2
_PROMPT = b'"type":"prompt"'
_CHANNELS = b'"type":"channels"'
_COMPLETE = b'"type":"complete"'
_SEQ = re.compile(rb'"seq":(\d+)')
_HEAD = re.compile(rb'"head_seq":(\d+)')
_EMITTED = re.compile(r"t=(\d+\.\d+) ")


# -- the controller's side -----------------------------------------------------------------


class Client:
    """One client process in `role`; `follow(run_id)` starts it, `result()` waits for its figures."""

    def __init__(self, role: str, url: str, *options: str, timeout: float = 120) -> None:
        command = [sys.executable, __file__, role, "--url", url, "--timeout", str(timeout), *options]
        self._proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def __enter__(self) -> Client:
        if (line := self._proc.stdout.readline().strip()) != "connected":
            raise RuntimeError(f"{self._proc.args[2]} client: expected 'connected', got {line[:300]!r}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()

    def follow(self, run_id: str) -> None:
        self._proc.stdin.write(run_id + "\n")
        self._proc.stdin.flush()
        if (line := self._proc.stdout.readline().strip()) != "ready":
            raise RuntimeError(f"{self._proc.args[2]} client: expected 'ready', got {line[:300]!r}")

    def stop(self) -> None:
        self._proc.stdin.close()

    def result(self) -> dict:
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self._proc.args[2]} client exited with {self._proc.wait()} before its result")
        return json.loads(line)


# -- the client process --------------------------------------------------------------------


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def _stdin_closed() -> None:
    await asyncio.to_thread(sys.stdin.read)


async def _open(url: str, **options: object):
    ws = await connect(
        url, subprotocols=[SUBPROTOCOL], compression=None, proxy=None, max_size=4 * 1024 * 1024,
        ping_interval=None, open_timeout=30, close_timeout=2, additional_headers=credential(), **options,
    )  # fmt: skip
    await ws.recv()  # welcome
    return ws


def _subscribe(run_id: str) -> str:
    return json.dumps({"type": "subscribe", "run_id": run_id, "since_seq": 0})


async def answer(ws, run_id: str) -> dict:
    """Answers `true` to each prompt record as soon as its frame arrives."""
    await ws.send(_subscribe(run_id))
    _say("ready")
    answered = 0
    while _COMPLETE not in (frame := await ws.recv(decode=False)):
        if _PROMPT not in frame:
            continue
        for msg in _messages(frame):
            if msg.get("type") == "prompt":
                answered += 1
                reply = {"type": "prompt_response", "id": f"a{answered}", "run_id": run_id,
                         "prompt_id": msg["prompt_id"], "value": True, "who": "bench", "via": "script"}  # fmt: skip
                await ws.send(json.dumps(reply))
    return {"answered": answered}


def _messages(frame: bytes) -> list[dict]:
    decoded = json.loads(frame)
    return decoded if isinstance(decoded, list) else [decoded]


async def view(ws, run_id: str) -> dict:
    """Reads everything of a run until its complete record, counting `channels` messages."""
    frames = channel_messages = size = 0
    await ws.send(_subscribe(run_id))
    _say("ready")
    while True:
        frame = await ws.recv(decode=False)
        frames += 1
        size += len(frame)
        channel_messages += frame.count(_CHANNELS)
        if _COMPLETE in frame:
            break
    return {"frames": frames, "channels": channel_messages, "bytes": size}


async def stuck(ws, run_id: str) -> dict:
    """Subscribes, then never calls recv: at most one frame is buffered, the rest stays in the socket."""
    await ws.send(_subscribe(run_id))
    _say("ready")
    await _stdin_closed()
    return {}


async def join(ws, run_id: str) -> dict:
    """Subscribes from seq 0; seconds until every record up to head_seq is held."""
    started = time.perf_counter()
    await ws.send(_subscribe(run_id))
    _say("ready")
    head = last = None
    records = 0
    while head is None or last < head:
        frame = await ws.recv(decode=False)
        if head is None and (found := _HEAD.search(frame)):
            head, last = int(found[1]), 0
        seqs = _SEQ.findall(frame)
        records += len(seqs)
        if seqs:
            last = int(seqs[-1])
    held = time.perf_counter() - started
    return {"seconds": held, "head_seq": head, "records": records}


def poll(url: str, run_id: str) -> dict:
    """Every 200 ms: GET the run, then its whole output; stamps first seen, with when they were seen."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    seen = 0
    emitted, latency, polls, fetched = [], [], 0, 0
    due = time.perf_counter()
    while True:
        time.sleep(max(0.0, due - time.perf_counter()))
        due += POLL_PERIOD
        summary = json.loads(_get(conn, f"/api/runs/{run_id}"))
        # Range 0- is still the whole log, but read up to the size stat'ed: a plain GET of a growing
        # log fails (the server sends more than the Content-Length it announced).
        text = _get(conn, f"/api/runs/{run_id}/output", {"Range": "bytes=0-"}).decode()
        now = time.time()
        polls, fetched = polls + 1, fetched + len(text)
        end = text.rfind("\n") + 1
        for stamp in _EMITTED.findall(text, seen, end):
            emitted.append(float(stamp))
            latency.append(now - float(stamp))
        seen = max(seen, end)
        if not summary["is_live"]:
            return {"emitted": emitted, "latency": latency, "polls": polls, "bytes": fetched}


def _get(conn: http.client.HTTPConnection, path: str, headers: dict[str, str] | None = None) -> bytes:
    conn.request("GET", path, headers={**credential(), **(headers or {})})
    response = conn.getresponse()
    body = response.read()
    if response.status == 416:  # a range of a log still empty
        return b""
    if response.status not in (200, 206):
        raise RuntimeError(f"GET {path}: expected 200, got {response.status}: {body[:200]!r}")
    return body


async def _main(args: argparse.Namespace) -> dict:
    role = {"answer": answer, "view": view, "stuck": stuck, "join": join}[args.role]
    async with await _open(args.url, **({"max_queue": 1} if args.role == "stuck" else {})) as ws:
        _say("connected")
        run_id = (await asyncio.to_thread(sys.stdin.readline)).strip()
        return await asyncio.wait_for(role(ws, run_id), args.timeout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", choices=("answer", "view", "stuck", "join", "poll"))
    parser.add_argument("--url", required=True, help="ws://HOST:PORT/ws (poll: http://HOST:PORT)")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    if args.role == "poll":
        _say("connected")
        run_id = sys.stdin.readline().strip()
        _say("ready")
        result = poll(args.url, run_id)
    else:
        result = asyncio.run(_main(args))
    _say(json.dumps(result))


if __name__ == "__main__":
    main()
