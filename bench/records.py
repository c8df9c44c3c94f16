"""Synthetic run logs, written straight through the store API (no server, no test process).

The records are those of a print-heavy run: run_created, N output lines, complete.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from litmus_live.events import Complete, Event, Output, Record, RunCreated, Status, Stream, utcnow
from litmus_live.store import SqliteStore
from station import PAD


def print_heavy_run(lines: int) -> list[Record]:
    run_id = str(uuid.uuid4())
    records: list[Record] = [Event(run_id=run_id, ts=utcnow(), data=RunCreated(test_path="bench", uut_serial="B-1"))]
    records += [
        Event(run_id=run_id, ts=utcnow(), data=Output(stream=Stream.STDOUT, line=f"line {i:07d} {PAD}"))
        for i in range(lines)
    ]
    records.append(Complete(run_id=run_id, ts=utcnow(), status=Status.PASSED, exit_code=0))
    return records


async def append_all(store: SqliteStore, records: list[Record], burst: int = 1000) -> None:
    """Append in bursts, letting the commit loop run between them (as the runner does), then flush."""
    for start in range(0, len(records), burst):
        for record in records[start : start + burst]:
            store.append(record)
        await asyncio.sleep(0)
    await store.flush()


async def write(db_path: Path, records: list[Record]) -> None:
    store = SqliteStore(db_path)
    await store.open()
    try:
        await append_all(store, records)
    finally:
        await store.close()
