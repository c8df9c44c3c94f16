"""Catch-up: a late subscriber to a finished run with many events.

The run (run_created, N output events, complete) is written through the store API into the
data dir before the server starts. One client subscribes from seq 0 and counts records until
the complete record: events a second, and the time until it holds the whole log.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import records
from server import Server, workdir
from station import Station
from subscribers import Subscribers
from table import Row, at_least

from workloads import repeats


def run(quick: bool) -> list[Row]:
    events = 200_000 if quick else 1_000_000
    with workdir() as tmp:
        data = Path(tmp) / "data"
        log = records.print_heavy_run(events)
        run_id, total = log[0].run_id, len(log)
        asyncio.run(records.write(data / "litmus.sqlite3", log))
        del log
        with Server(Path(tmp), Station(Path(tmp) / "tests").root, data_dir=data) as server:
            seconds = [_catch_up(server, run_id, total) for _ in range(repeats(quick))]
    return [
        Row("catch-up", f"replay of {total:,} records to 1 client (events/s)", "", [total / s for s in seconds],
            at_least(500_000)),
        Row("catch-up", f"time until the client holds all {total:,}", "s", seconds),
    ]  # fmt: skip


def _catch_up(server: Server, run_id: str, total: int) -> float:
    with Subscribers(server.ws_url, 1, timeout=300) as subscriber:
        subscriber.subscribe(run_id)
        results = subscriber.results()
    if results.completed != 1 or results.records != total:
        raise RuntimeError(f"client got {results.records} of {total} records; errors: {results.errors}")
    return results.t_done[0] - results.t_sub[0]
