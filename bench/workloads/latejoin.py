"""Late joiner of a live run: a client subscribes from seq 0 to a run that already holds 200k records.

The run is live and idle: a first test calls `verify` 100,000 times (a `measurement` event
each) and prints 100,000 lines (an `output` event each), a second test sleeps. Once the log
holds both, a client (another process) subscribes with since_seq=0; the figure is the time
from its subscribe until it holds every record up to the `head_seq` of its `subscribed`.
"""

from __future__ import annotations

import time
from pathlib import Path

from clients import Client
from server import Server, workdir
from station import Station
from table import Row, below

from workloads import repeats

SETTLE = 0.5  # the summary's last_seq may run ahead of what is committed
MEASUREMENTS = 100_000
LINES = 100_000

_TEST = """
import sys
import time


def test_a_long_history(verify):
    for i in range(MEASUREMENTS):
        verify("bench.level", i % 100, low=0, high=100, unit="V")
    write = sys.stdout.write
    for start in range(0, LINES, 1000):
        write("".join(f"line {i:07d} {PAD}\\n" for i in range(start, start + 1000)))


def test_still_running():
    time.sleep(HOLD)
"""


def run(quick: bool) -> list[Row]:
    with workdir() as tmp:
        station = Station(Path(tmp) / "tests")
        test = station.write("test_late_join.py", _TEST, MEASUREMENTS=MEASUREMENTS, LINES=LINES, HOLD=120)
        with Server(Path(tmp), station.root) as server:
            run_id, _ = server.launch(test)
            server.wait_last_seq(run_id, MEASUREMENTS + LINES, timeout=120)
            time.sleep(SETTLE)
            summary = server.run(run_id)
            joins = [_join(server, run_id) for _ in range(repeats(quick))]
            server.abort(run_id)
            server.wait_run_complete(run_id, timeout=30)
    if summary["status"] != "RUNNING":
        raise RuntimeError(f"run {run_id} was {summary['status']} when the clients joined, not RUNNING")
    head = min(j["head_seq"] for j in joins)
    return [
        Row("late join", f"subscribe → holds all {head:,} records of a live run", "s",
            [j["seconds"] for j in joins], below(1.0)),
        Row("late join", "catch-up rate of the late joiner (records/s)", "",
            [j["records"] / j["seconds"] for j in joins]),
    ]  # fmt: skip


def _join(server: Server, run_id: str) -> dict:
    with Client("join", server.ws_url) as joiner:
        joiner.follow(run_id)
        result = joiner.result()
    if result["head_seq"] < MEASUREMENTS + LINES or result["records"] < result["head_seq"]:
        raise RuntimeError(f"the late joiner got {result['records']:,} of {result['head_seq']:,} records")
    return result
