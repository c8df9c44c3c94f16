"""Catch-up: a late subscriber to a finished run with many events.

The run (run_created, N output events, complete) is written through the store API into the
data dir before the server starts. One client subscribes from seq 0 and counts records until
the complete record: events a second, and the time until it holds the whole log. Beside it,
raw SQLite: the same rows read from the same database file with sqlite3 alone, and the
replay as a ratio of that, measured in the same run.
"""

from __future__ import annotations

import asyncio
import statistics
from pathlib import Path

import raw_sqlite
import records
from server import Server, workdir
from station import Station
from subscribers import Subscribers
from table import Row, at_least

from workloads import repeats

TARGET = 740_000  # 2x the 370k events/s measured before the fan-out work


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
        raw = [raw_sqlite.read_rate(data / "litmus.sqlite3", run_id) for _ in range(repeats(quick))]
    rates = [total / s for s in seconds]
    return [
        Row("catch-up", f"replay of {total:,} records to 1 client (events/s)", "", rates, at_least(TARGET)),
        Row("catch-up", f"time until the client holds all {total:,}", "s", seconds),
        Row("catch-up", f"raw SQLite read of the same rows, pages of {raw_sqlite.PAGE:,} (rows/s)", "", raw),
        Row("catch-up", "replay as a ratio of raw SQLite", "", rates,
            against=f"raw SQLite {statistics.median(raw):,.0f}/s",
            ratio=f"{statistics.median(rates) / statistics.median(raw):.2f}x raw"),
    ]  # fmt: skip


def _catch_up(server: Server, run_id: str, total: int) -> float:
    with Subscribers(server.ws_url, 1, timeout=300) as subscriber:
        subscriber.subscribe(run_id)
        results = subscriber.results()
    if results.completed != 1 or results.records != total:
        raise RuntimeError(f"client got {results.records} of {total} records; errors: {results.errors}")
    return results.t_done[0] - results.t_sub[0]
