"""The load generator: `websockets` subscribers in processes of their own, driven over stdin.

The bench starts one or more of these processes (never inside the server), tells them which
run to follow and which time window to measure, and reads one JSON result line from each.
Commands on stdin: `subscribe RUN_ID`, `windows T0 T1 ... Tk` (epoch seconds: k consecutive
windows, each measured on its own), `stop`. Lines on
stdout: `connected`, `ready` (every client is subscribed and, with --timed, has seen a line
stamped `t=<epoch>`), then the result. A client stops at the run's `complete` record.

What the clients cost must not be what is measured: with --timed, at most TIMED_PER_PROCESS
clients of a process (spread evenly over it) read the stamp of every line for its latency,
the others only count what they receive (every client receives the same stream, so the
latencies of a fifth of 500 are those of all).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import math
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field

from server import credential, process_cpu_seconds
from websockets.asyncio.client import connect

SUBPROTOCOL = "litmus-live.v1"
_EMITTED = re.compile(rb"t=(\d+\.\d+) ")
_SEQ = b'"seq":'
_SUBSCRIBED = b'"type":"subscribed"'
_ERROR = b'"type":"error"'
_COMPLETE = b'"type":"complete"'
TIMED_PER_PROCESS = 10


# -- the controller's side -----------------------------------------------------------------


@dataclass
class Results:
    clients: int = 0
    timed: int = 0  # clients that measured latency (the others only counted)
    completed: int = 0
    records: int = 0
    bytes: int = 0
    # Per window: records received in it, and the latencies (s, sorted) of records emitted in it.
    received: list[int] = field(default_factory=list)
    latencies: list[list[float]] = field(default_factory=list)
    t_sub: list[float] = field(default_factory=list)
    t_first: list[float] = field(default_factory=list)
    t_done: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def percentile(self, window: int, q: float, expected: int) -> float:
        """The q-th percentile of `expected` latencies (lines emitted x timed clients); those
        never received count as infinite."""
        latencies = self.latencies[window]
        rank = max(0, math.ceil(q / 100 * max(expected, len(latencies))) - 1)
        return latencies[rank] if rank < len(latencies) else math.inf

    def add(self, part: dict) -> None:
        self.clients += part["clients"]
        self.timed += part["timed"]
        self.completed += part["completed"]
        self.records += part["records"]
        self.bytes += part["bytes"]
        if not self.received:
            self.received = [0] * len(part["received"])
            self.latencies = [[] for _ in part["lat_us"]]
        for i, (n, lat_us) in enumerate(zip(part["received"], part["lat_us"], strict=True)):
            self.received[i] += n
            self.latencies[i].extend(us / 1e6 for us in lat_us)
        self.t_sub += part["t_sub"]
        self.t_first += part["t_first"]
        self.t_done += part["t_done"]
        self.errors += part["errors"]


class Subscribers:
    """`clients` subscribers spread over processes of at most `per_process` clients each."""

    def __init__(self, url: str, clients: int, *, per_process: int = 50, timed: bool = False, timeout: float = 120):
        sizes = [per_process] * (clients // per_process) + ([clients % per_process] if clients % per_process else [])
        command = [sys.executable, __file__, "--url", url, "--timeout", str(timeout)] + (["--timed"] if timed else [])
        self._procs = [
            subprocess.Popen([*command, "--clients", str(n)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for n in sizes
        ]

    def __enter__(self) -> Subscribers:
        self._expect("connected")
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()

    def cpu_seconds(self) -> float:
        return sum(process_cpu_seconds(proc.pid) for proc in self._procs)

    def subscribe(self, run_id: str) -> None:
        self._send(f"subscribe {run_id}")

    def wait_ready(self) -> float:
        self._expect("ready")
        return time.time()

    def windows(self, bounds: list[float]) -> None:
        self._send("windows " + " ".join(map(repr, bounds)))

    def stop(self) -> None:
        self._send("stop")

    def results(self) -> Results:
        results = Results()
        for proc in self._procs:
            line = proc.stdout.readline()
            while line.strip() == "ready":  # not waited for
                line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"subscriber process exited with {proc.wait()} before its result")
            results.add(json.loads(line))
        for latencies in results.latencies:
            latencies.sort()
        return results

    def _send(self, line: str) -> None:
        for proc in self._procs:
            proc.stdin.write(line + "\n")
            proc.stdin.flush()

    def _expect(self, word: str) -> None:
        for proc in self._procs:
            line = proc.stdout.readline().strip()
            if line != word:
                raise RuntimeError(f"subscriber process: expected {word!r}, got {line[:300]!r}")


# -- the subscriber process ----------------------------------------------------------------


class _Tally:
    """What every client of this process saw, per window; the windows are set by the controller."""

    def __init__(self, timed: bool) -> None:
        self.timed = timed
        self.bounds: list[float] = []
        self.records = self.bytes = 0
        self.received: list[int] = []
        self.lat_us: list[list[int]] = []

    def set_windows(self, bounds: list[float]) -> None:
        self.bounds = bounds
        self.received = [0] * (len(bounds) - 1)
        self.lat_us = [[] for _ in bounds[1:]]

    def count(self, frame: bytes, now: float, *, is_timed: bool) -> int:
        n = frame.count(_SEQ)
        self.records += n
        self.bytes += len(frame)
        if (i := self._window(now)) is not None:
            self.received[i] += n
        if is_timed:
            for stamp in _EMITTED.findall(frame):
                emitted = float(stamp)
                if (i := self._window(emitted)) is not None:
                    self.lat_us[i].append(round((now - emitted) * 1e6))
        return n

    def _window(self, t: float) -> int | None:
        bounds = self.bounds
        if not bounds or not bounds[0] <= t < bounds[-1]:
            return None
        return bisect.bisect_right(bounds, t) - 1


class _Client:
    def __init__(self, url: str, tally: _Tally, *, is_timed: bool) -> None:
        self.url = url
        self.tally = tally
        self.is_timed = is_timed
        self.ready = asyncio.Event()
        self.ws = None
        self.t_sub = self.t_first = self.t_done = None
        self.error: str | None = None

    async def connect(self) -> None:
        self.ws = await connect(
            self.url, subprotocols=[SUBPROTOCOL], compression=None, proxy=None,
            max_size=4 * 1024 * 1024, ping_interval=None, open_timeout=60, close_timeout=2,
            additional_headers=credential(),
        )  # fmt: skip
        await self.ws.recv()  # welcome

    async def follow(self, run_id: str) -> None:
        is_subscribed = False
        self.t_sub = time.time()
        await self.ws.send(json.dumps({"type": "subscribe", "run_id": run_id, "since_seq": 0}))
        while True:
            frame = await self.ws.recv(decode=False)
            now = time.time()
            if not is_subscribed:
                if _ERROR in frame:
                    self.error = frame.decode()[:300]
                    self.ready.set()
                    return
                is_subscribed = _SUBSCRIBED in frame
            if self.tally.count(frame, now, is_timed=self.is_timed) and self.t_first is None:
                self.t_first = now
            if is_subscribed and not self.ready.is_set() and (not self.tally.timed or _EMITTED.search(frame)):
                self.ready.set()
            if _COMPLETE in frame:
                self.t_done = now
                self.ready.set()
                return


async def _lines() -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def _connect_all(clients: list[_Client]) -> None:
    gate = asyncio.Semaphore(32)

    async def one(client: _Client) -> None:
        async with gate:
            await client.connect()

    await asyncio.gather(*(one(c) for c in clients))


async def _obey(commands: asyncio.StreamReader, tally: _Tally, stop: asyncio.Event) -> None:
    while line := (await commands.readline()).decode().split():
        if line[0] == "windows":
            tally.set_windows([float(t) for t in line[1:]])
        elif line[0] == "stop":
            break
    stop.set()


async def _announce_ready(clients: list[_Client]) -> None:
    await asyncio.gather(*(c.ready.wait() for c in clients))
    _say("ready")


async def _main(args: argparse.Namespace) -> dict:
    tally = _Tally(args.timed)
    every = math.ceil(args.clients / TIMED_PER_PROCESS)
    clients = [_Client(args.url, tally, is_timed=args.timed and i % every == 0) for i in range(args.clients)]
    commands = await _lines()
    await asyncio.wait_for(_connect_all(clients), args.timeout)
    _say("connected")
    run_id = (await commands.readline()).decode().split()[1]
    stop = asyncio.Event()
    helpers = [asyncio.create_task(_obey(commands, tally, stop)), asyncio.create_task(_announce_ready(clients))]
    followers = [asyncio.create_task(c.follow(run_id)) for c in clients]
    stopped = asyncio.create_task(stop.wait())
    finished = asyncio.gather(*followers, return_exceptions=True)
    await asyncio.wait([finished, stopped], timeout=args.timeout, return_when=asyncio.FIRST_COMPLETED)
    for task in [*followers, *helpers, stopped]:
        task.cancel()
    await asyncio.gather(*(c.ws.close() for c in clients), return_exceptions=True)
    return _result(clients, tally)


def _result(clients: list[_Client], tally: _Tally) -> dict:
    return {
        "clients": len(clients),
        "timed": sum(c.is_timed for c in clients),
        "completed": sum(c.t_done is not None for c in clients),
        "records": tally.records,
        "bytes": tally.bytes,
        "received": tally.received,
        "lat_us": tally.lat_us,
        "t_sub": [c.t_sub for c in clients if c.t_sub is not None],
        "t_first": [c.t_first for c in clients if c.t_first is not None],
        "t_done": [c.t_done for c in clients if c.t_done is not None],
        "errors": [c.error for c in clients if c.error is not None][:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--timed", action="store_true", help="measure emit-to-receive latency of t= lines")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    _say(json.dumps(asyncio.run(_main(args))))


if __name__ == "__main__":
    main()
