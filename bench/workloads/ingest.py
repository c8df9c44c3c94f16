"""Ingest: events a second into the durable store.

End to end: a real pytest process prints N lines as fast as it can (each an `output` event);
wall time from POST /api/runs until the run's complete record is committed (/healthz shows
no live run). Store only: in-process SqliteStore append of N records in bursts + flush.
Beside them, raw SQLite: the same rows inserted with sqlite3 alone (raw_sqlite.py), and each
figure as a ratio of it, measured in the same run.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

import raw_sqlite
import records
from litmus_live.store import SqliteStore
from server import Server, workdir
from station import Station
from table import Row, at_least

from workloads import repeats

LINES = 200_000
TARGET = at_least(57_200)  # 1.3x the 44k events/s measured before adaptive group commit


def run(quick: bool) -> list[Row]:
    with workdir() as tmp:
        station = Station(Path(tmp) / "tests")
        test = station.fast(LINES)
        with Server(Path(tmp), station.root) as server:
            end_to_end = [_through_server(server, test) for _ in range(repeats(quick))]
        store_only = [asyncio.run(_store_only(Path(tmp) / f"store-{i}.sqlite3")) for i in range(repeats(quick))]
        rows = raw_sqlite.rows_of(records.print_heavy_run(LINES))
        raw = [raw_sqlite.insert_rate(Path(tmp) / f"raw-{i}.sqlite3", rows) for i in range(repeats(quick))]
    against = f"raw SQLite {statistics.median(raw):,.0f}/s"
    return [
        Row("ingest", f"pytest → store, {LINES:,} lines (events/s)", "", end_to_end, TARGET),
        Row("ingest", f"store only: append + flush {LINES:,} (events/s)", "", store_only, TARGET),
        Row("ingest", f"raw SQLite insert of the same rows, {raw_sqlite.BATCH:,} a transaction (rows/s)", "", raw),
        Row("ingest", "pytest → store as a ratio of raw SQLite", "", end_to_end, against=against,
            ratio=f"{statistics.median(end_to_end) / statistics.median(raw):.2f}x raw"),
        Row("ingest", "store only as a ratio of raw SQLite", "", store_only, against=against,
            ratio=f"{statistics.median(store_only) / statistics.median(raw):.2f}x raw"),
    ]  # fmt: skip


def _through_server(server: Server, test: str) -> float:
    run_id, started = server.launch(test)
    ended = server.wait_no_live_runs(timeout=300)
    summary = server.run(run_id)
    if summary["status"] != "PASSED" or summary["last_seq"] < LINES:
        raise RuntimeError(f"run {run_id} ended {summary['status']} with {summary['last_seq']} records")
    return summary["last_seq"] / (ended - started)


async def _store_only(db_path: Path) -> float:
    log = records.print_heavy_run(LINES)
    store = SqliteStore(db_path)
    await store.open()
    try:
        started = time.perf_counter()
        await records.append_all(store, log)
        return len(log) / (time.perf_counter() - started)
    finally:
        await store.close()
