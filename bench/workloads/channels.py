"""Channels: readings from `channels.record` to the durable store, viewer cost, a stuck viewer.

Ingest: a test records 10 channels as fast as it can (one `record` per reading, or
`record_many` bursts of 1,000); samples/s is the total over the time from POST /api/runs to
GET /api/runs/{id}/channels counting every reading with the run complete. Viewers: a test
records 10 channels at 1 kHz (10 s; quick: 2 s, one repeat); server CPU from launch to complete with 0,
1 and 10 viewers gives CPU per viewer, and a viewer's count of `channels` messages is set
against the readings taken. Stuck viewer: the same test, its own measured duration, alone
and with a viewer that never reads (max_queue=1).
"""

from __future__ import annotations

import re
import statistics
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from clients import Client
from server import Server, workdir
from station import Station
from table import Row, at_least

from workloads import repeats

CHANNELS = 10
RATE = 1000
VIEWERS = (0, 1, 10)

_HEADER = """
import time

NAMES = [f"bench.ch{c}" for c in range(CHANNELS)]
"""
_ONE_BY_ONE = """
def test_record_fast(channels):
    record = channels.record
    for i in range(READINGS):
        value = i * 0.001
        for name in NAMES:
            record(name, value, unit="V")
"""
_BURSTS = """
def test_record_many_fast(channels):
    burst = [i * 0.001 for i in range(BURST)]
    for _ in range(READINGS // BURST):
        for name in NAMES:
            channels.record_many(name, burst, unit="V", interval=1e-6)
"""
_PACED = """
def test_record_on_a_clock(channels):
    record = channels.record
    period = 1.0 / RATE
    started = due = time.perf_counter()
    for i in range(int(RATE * SECONDS)):
        while (now := time.perf_counter()) < due:
            time.sleep(due - now)
        for name in NAMES:
            record(name, i * 0.001, unit="V")
        due += period
    print(f"test_seconds={time.perf_counter() - started:.4f}", flush=True)
"""
_SECONDS = re.compile(r"test_seconds=(\d+\.\d+)")


def run(quick: bool) -> list[Row]:
    readings = 20_000 if quick else 50_000
    seconds = 2.0 if quick else 10.0
    n = 1 if quick else repeats(quick)  # each repeat is a run of its own
    with workdir() as tmp:
        station = Station(Path(tmp) / "tests")
        fast = station.write("test_fast.py", _HEADER + _ONE_BY_ONE, CHANNELS=CHANNELS, READINGS=readings)
        bursts = station.write("test_bursts.py", _HEADER + _BURSTS, CHANNELS=CHANNELS, READINGS=readings, BURST=1000)
        paced = station.write("test_paced.py", _HEADER + _PACED, CHANNELS=CHANNELS, RATE=RATE, SECONDS=seconds)
        with Server(Path(tmp), station.root) as server:
            total = CHANNELS * readings
            rows = [
                Row("channels", f"record → store, {CHANNELS} ch x {readings:,} `record` (samples/s)", "",
                    [_ingest(server, fast, total) for _ in range(n)], at_least(100_000)),
                Row("channels", f"record → store, {CHANNELS} ch x {readings:,} in `record_many` bursts of 1,000 "
                    "(samples/s)", "", [_ingest(server, bursts, total) for _ in range(n)],
                    at_least(100_000)),
            ]  # fmt: skip
            rows += _viewers(server, paced, seconds, n)
    return rows


def _ingest(server: Server, test: str, total: int) -> float:
    """Samples/s from the launch until every reading is counted by the store and the run is complete."""
    run_id, started = server.launch(test)
    server.wait_run_complete(run_id, timeout=300)
    deadline = time.monotonic() + 30
    while (kept := sum(server.get(f"/api/runs/{run_id}/channels")["samples"].values())) < total:
        if time.monotonic() > deadline:
            raise RuntimeError(f"run {run_id}: {kept:,} of {total:,} readings kept 30 s after it completed")
        time.sleep(0.01)
    return total / (time.time() - started)


def _viewers(server: Server, test: str, seconds: float, n: int) -> list[Row]:
    samples = int(CHANNELS * RATE * seconds)
    watched = {viewers: [_watch(server, test, viewers) for _ in range(n)] for viewers in VIEWERS}
    cpu = {viewers: statistics.median(w.cpu for w in runs) for viewers, runs in watched.items()}
    label = f"{CHANNELS} ch at {RATE:,} Hz for {seconds:g} s"
    rows = [
        Row("channels", f"server CPU, {_viewers_text(viewers)}, {label}", "%", [w.cpu * 100 for w in runs])
        for viewers, runs in watched.items()
    ]
    for viewers in VIEWERS[1:]:
        per_viewer = [(w.cpu - cpu[0]) / viewers * 100 for w in watched[viewers]]
        rows.append(Row("channels", f"server CPU per viewer ({_viewers_text(viewers)} vs none)", "%", per_viewer))
    messages = [w.messages for w in watched[1]]
    per_message = samples / statistics.median(messages)
    rows.append(Row("channels", f"`channels` messages 1 viewer received, {label}", "", messages,
                    against=f"{samples:,} readings", ratio=f"1 message per {per_message:,.0f} readings"))  # fmt: skip
    alone, beside = [_stuck(server, test, False) for _ in range(n)], [_stuck(server, test, True) for _ in range(n)]
    for i, what in enumerate(("test's own duration", "launch → complete")):
        rows.append(Row("channels", f"{what}, {label}, beside a viewer that never reads", "s",
                        [b[i] for b in beside], against=f"alone {statistics.median(a[i] for a in alone):.2f} s",
                        ratio=f"{statistics.median(b[i] for b in beside) / statistics.median(a[i] for a in alone):.2f}x"
                        " alone"))  # fmt: skip
    return rows


@dataclass(frozen=True)
class _Watched:
    cpu: float  # cores busy in the server from launch to complete
    messages: float  # channels messages per viewer


def _watch(server: Server, test: str, viewers: int) -> _Watched:
    with ExitStack() as stack:
        clients = [stack.enter_context(Client("view", server.ws_url)) for _ in range(viewers)]
        cpu, (run_id, started) = server.cpu_seconds(), server.launch(test)
        for client in clients:
            client.follow(run_id)
        ended, _ = server.wait_run_complete(run_id, timeout=120)
        busy = server.cpu_seconds() - cpu
        results = [client.result() for client in clients]
    messages = statistics.mean(r["channels"] for r in results) if results else 0.0
    return _Watched(cpu=busy / (ended - started), messages=messages)


def _stuck(server: Server, test: str, is_watched: bool) -> tuple[float, float]:
    """(the test's own duration, launch to complete), with or without a viewer that never reads."""
    with ExitStack() as stack:
        run_id, started = server.launch(test)
        if is_watched:
            stack.enter_context(Client("stuck", server.ws_url)).follow(run_id)
        ended, summary = server.wait_run_complete(run_id, timeout=120)
    found = _SECONDS.search(server.output(run_id))
    if summary["status"] != "PASSED" or found is None:
        raise RuntimeError(f"run {run_id} ended {summary['status']} without its test_seconds line")
    return float(found[1]), ended - started


def _viewers_text(viewers: int) -> str:
    return f"{viewers} viewer{'' if viewers == 1 else 's'}"
