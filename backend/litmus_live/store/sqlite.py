"""The embedded EventStore: SQLite in WAL mode, one file in the data directory.

records(run_id, seq) holds each record's wire bytes; runs(run_id) holds each run's summary.
Both are written in the same transaction, so a summary never runs ahead of its log. A page of
a run's log for a catching-up client is joined by SQLite itself (group_concat over the rows in
seq order), so reading it makes no Python object per record.
"""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import msgspec

from litmus_live.store.base import PAGE_BYTES, PAGE_RECORDS, EventStore, SampleBatch
from litmus_live.store.summary import RunQuery, RunSummary
from litmus_live.store.tail import EMPTY, Page, take

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_created ON runs (created_at);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status);
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    unit TEXT NOT NULL,
    n INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS samples_by_run ON samples (run_id, channel);
CREATE TABLE IF NOT EXISTS channel_snapshots (
    run_id TEXT PRIMARY KEY,
    body BLOB NOT NULL
);
"""
# The subquery's ORDER BY with LIMIT is run first, and the aggregate takes its rows in that order.
_PAGE = """SELECT count(*), max(seq), CAST(group_concat(body, ',') AS BLOB) FROM (
    SELECT seq, body FROM records WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?)"""
_INSERT_RECORDS = "INSERT INTO records (run_id, seq, body) VALUES "
_INSERT_SAMPLES = "INSERT INTO samples (run_id, channel, unit, n, body) VALUES "
_PUT_SNAPSHOTS = "INSERT OR REPLACE INTO channel_snapshots (run_id, body) VALUES "
_PUT_RUN = (
    "INSERT INTO runs (run_id, created_at, status, body)"
    " VALUES (?, json_extract(?2, '$.created_at'), json_extract(?2, '$.status'), ?2)"
    " ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, body = excluded.body"
)
# Rows go in by statements of up to this many: each is one step of SQLite (Python hands the
# GIL back and forth once per step), and there are at most this many texts to prepare and cache.
_ROWS_PER_STATEMENT = 64
_RECORD_BYTES = 256  # a first guess of a record's size, to size the first page
_decode_summary = msgspec.json.Decoder(RunSummary).decode
_encode_samples = msgspec.msgpack.Encoder().encode
_decode_samples = msgspec.msgpack.Decoder(tuple[list[float], list[float | bool | str]]).decode


class SqliteStore(EventStore):
    read_faults = (sqlite3.OperationalError,)  # locked for too long, a disk I/O error

    def __init__(self, path: Path, *, durable: bool = True, **kwargs: float) -> None:
        super().__init__(**kwargs)
        self._path = path
        self._synchronous = "FULL" if durable else "NORMAL"
        self._local = threading.local()
        self._record_bytes = _RECORD_BYTES  # the last page's average record, to size the next

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._path, isolation_level=None, cached_statements=256)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
            self._local.conn = conn
        return conn

    def _io_open(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._conn().executescript(_SCHEMA)

    def _io_close(self) -> None:
        self._conn().close()
        self._local.conn = None

    _io_close_reader = _io_close

    def _io_write(
        self,
        batch: list[tuple[str, int, bytes]],
        runs: list[tuple[str, bytes]],
        samples: list[SampleBatch],
        snapshots: list[tuple[str, bytes]],
    ) -> None:
        sample_rows = [(r, c, u, len(v), _encode_samples((t, v))) for r, c, u, t, v in samples]
        statements = [
            *_rows_at_once(_INSERT_RECORDS, batch),
            *_rows_at_once(_INSERT_SAMPLES, sample_rows),
            *_rows_at_once(_PUT_SNAPSHOTS, snapshots),
            *((_PUT_RUN, run) for run in runs),
        ]
        conn = self._conn()
        if len(statements) == 1:  # one statement is a transaction of its own: one step, one fsync
            conn.execute(*statements[0])
            return
        conn.execute("BEGIN")
        try:
            for statement in statements:
                conn.execute(*statement)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back by itself (a full disk)
                conn.execute("ROLLBACK")
            raise

    def _io_since(self, run_id: str, after: int, limit: int, max_bytes: int) -> list[bytes]:
        rows = self._conn().execute(
            "SELECT body FROM records WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?", (run_id, after, limit)
        )
        return take((row[0] for row in rows), limit, max_bytes)  # stops reading once the batch is full

    def _io_page(self, run_id: str, after: int) -> Page:
        """As many records as fit PAGE_BYTES, sized from the last page's average record, and read
        again with fewer when they came out larger (a record larger than that is a page alone)."""
        limit = min(PAGE_RECORDS, max(1, PAGE_BYTES // self._record_bytes))
        while True:
            count, last, body = self._conn().execute(_PAGE, (run_id, after, limit)).fetchone()
            if not count:
                return EMPTY
            if len(body) <= PAGE_BYTES or count == 1:
                break
            limit = max(1, count * PAGE_BYTES // len(body))  # fewer than count: the loop ends
        if last != after + count:  # seqs are unique: anything else is a gap in the log
            raise RuntimeError(f"run {run_id} has {count} records from seq {after + 1} to {last}: a gap in its log")
        self._record_bytes = max(1, len(body) // count)
        return Page(count, body)

    def _io_channel_snapshot(self, run_id: str) -> bytes | None:
        row = self._conn().execute("SELECT body FROM channel_snapshots WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else row[0]

    def _io_sample_counts(self, run_id: str) -> dict[str, int]:
        rows = self._conn().execute(
            "SELECT channel, SUM(n) FROM samples WHERE run_id = ? GROUP BY channel ORDER BY channel", (run_id,)
        )
        return dict(rows.fetchall())

    def _io_samples(self, run_id: str, channel: str) -> list[tuple[float, float | bool | str]]:
        rows = self._conn().execute(
            "SELECT body FROM samples WHERE run_id = ? AND channel = ? ORDER BY id", (run_id, channel)
        )
        out: list[tuple[float, float | bool | str]] = []
        for (body,) in rows:
            times, values = _decode_samples(body)
            out.extend(zip(times, values, strict=True))
        return out

    def _io_sample_batches(self, run_id: str) -> list[SampleBatch]:
        rows = self._conn().execute("SELECT channel, unit, body FROM samples WHERE run_id = ? ORDER BY id", (run_id,))
        return [(run_id, channel, unit, *_decode_samples(body)) for channel, unit, body in rows]

    def _io_summary(self, run_id: str) -> RunSummary | None:
        row = self._conn().execute("SELECT body FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else _decode_summary(row[0])

    def _io_runs(self, query: RunQuery) -> list[RunSummary]:
        where, params = _where(query)
        sql = f"SELECT body FROM runs WHERE {where} ORDER BY created_at DESC, run_id DESC LIMIT ?"
        rows = self._conn().execute(sql, (*params, query.limit))
        return [_decode_summary(row[0]) for row in rows]

    def _io_live_runs(self) -> list[RunSummary]:
        rows = self._conn().execute("SELECT body FROM runs WHERE status IN ('STARTING', 'RUNNING')")
        return [_decode_summary(row[0]) for row in rows]


def _rows_at_once(insert: str, rows: list[tuple[object, ...]]) -> Iterator[tuple[str, list[object]]]:
    """`insert` ("INSERT ... VALUES ") of `rows` as statements of many rows each, in order."""
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        chunk = rows[start : start + _ROWS_PER_STATEMENT]
        yield _values(insert, len(chunk), len(chunk[0])), [value for row in chunk for value in row]


@functools.cache
def _values(insert: str, rows: int, width: int) -> str:
    row = "(" + ", ".join("?" * width) + ")"
    return insert + ", ".join([row] * rows)


def _where(query: RunQuery) -> tuple[str, list[object]]:
    """The SQL condition of `query` (columns where the table has them, the body's JSON otherwise)."""
    clauses, params = ["1"], []
    for field in ("uut_serial", "test_path", "station"):
        if (value := getattr(query, field)) is not None:
            clauses.append(f"json_extract(body, '$.{field}') = ?")
            params.append(value)
    if query.status is not None:
        clauses.append("status = ?")
        params.append(query.status.value)
    # created_at is stored as the JSON text of the datetime, so it compares as that text does
    if query.since is not None:
        clauses.append("created_at >= ?")
        params.append(_iso(query.since))
    if query.until is not None:
        clauses.append("created_at < ?")
        params.append(_iso(query.until))
    if query.before is not None:
        clauses.append("(created_at, run_id) < (?, ?)")
        params += [_iso(query.before[0]), query.before[1]]
    return " AND ".join(clauses), params


def _iso(moment: dt.datetime) -> str:
    """As the JSON of a stored time, with a full fraction: "…:00.000000Z" sorts after "…:00Z"
    of the same moment's second-only form, and before every later moment."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
