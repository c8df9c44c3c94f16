"""The raw SQLite figures beside ingest and catch-up: the same rows, the same schema and sync
level as the store (WAL, synchronous=FULL), with nothing but sqlite3 around them.

Insert: the rows in transactions of BATCH (the store's commits under load are about that);
read: the whole run in ordered pages of 8,192 (what one catch-up frame reads at most).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import msgspec
from litmus_live.events import Record

BATCH = 1000
PAGE = 8192
_SCHEMA = "CREATE TABLE records (run_id TEXT NOT NULL, seq INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID"  # noqa: E501


def rows_of(records: list[Record]) -> list[tuple[str, int, bytes]]:
    encode = msgspec.json.Encoder().encode
    return [(r.run_id, seq, encode(r)) for seq, r in enumerate(records, 1)]


def insert_rate(path: Path, rows: list[tuple[str, int, bytes]]) -> float:
    """Rows a second into a fresh database, committed (fsync) every BATCH rows."""
    conn = _connect(path)
    conn.execute(_SCHEMA)
    started = time.perf_counter()
    for start in range(0, len(rows), BATCH):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO records (run_id, seq, body) VALUES (?, ?, ?)", rows[start : start + BATCH])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return len(rows) / elapsed


def read_rate(path: Path, run_id: str) -> float:
    """Rows a second read back from the store's own database file, in pages, in seq order."""
    conn = _connect(path)
    started, after, count = time.perf_counter(), 0, 0
    while True:
        page = conn.execute(
            "SELECT seq, body FROM records WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?", (run_id, after, PAGE)
        ).fetchall()
        if not page:
            break
        after, count = page[-1][0], count + len(page)
    elapsed = time.perf_counter() - started
    conn.close()
    return count / elapsed


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn
