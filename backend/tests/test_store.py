"""The SQLite EventStore: numbering, group commit, reading back, recovery after a crash."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path

import msgspec
import pytest

from litmus_live.events import Complete, Event, Output, Progress, RunCreated, Status, Stream, utcnow
from litmus_live.store import STOPPED_REASON, RunQuery, SqliteStore, StoreUnavailable, UnknownRun
from litmus_live.store.base import PAGE_BYTES

decode = msgspec.json.decode


def created(run_id: str) -> Event:
    return Event(run_id=run_id, ts=utcnow(), data=RunCreated(test_path="t.py", uut_serial="SN"))


def line(run_id: str, text: str) -> Event:
    return Event(run_id=run_id, ts=utcnow(), data=Output(stream=Stream.STDOUT, line=text))


def running(run_id: str, done: int = 0) -> Progress:
    return Progress(run_id=run_id, ts=utcnow(), status=Status.RUNNING, total=10, done=done)


class CountingStore(SqliteStore):
    """Counts transactions, to show that a burst of appends costs one."""

    transactions = 0

    def _io_write(self, *args) -> None:
        self.transactions += 1
        super()._io_write(*args)


@pytest.fixture
async def store(tmp_path: Path):
    s = CountingStore(tmp_path / "db.sqlite3")
    await s.open()
    yield s
    await s.close()


async def test_each_run_is_numbered_from_one_without_gaps(store: SqliteStore) -> None:
    a, b = store.append(created("a")), store.append(created("b"))
    seqs = [store.append(line(run, str(i))).seq for i in range(3) for run in ("a", "b")]
    assert (a.seq, b.seq) == (1, 1)
    assert seqs == [2, 2, 3, 3, 4, 4]


async def test_a_burst_of_appends_is_one_transaction(store: CountingStore) -> None:
    store.append(created("r"))
    for i in range(5000):
        store.append(line("r", f"line {i}"))
    await store.flush()
    assert store.transactions == 1
    rows = await store.since("r", 0, limit=10_000, max_bytes=10**9)
    assert [decode(row)["seq"] for row in rows] == list(range(1, 5002))


async def test_nothing_is_readable_before_it_is_committed(store: SqliteStore) -> None:
    store.append(created("r"))
    assert await store.since("r", 0) == []
    notified: list[tuple[str, int]] = []
    store.on_commit(lambda run_id, seq: notified.append((run_id, seq)))
    await store.flush()
    assert len(await store.since("r", 0)) == 1
    assert notified == [("r", 1)]


async def test_reads_fall_back_to_sqlite_past_the_in_memory_tail(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite3", tail_size=10)
    await store.open()
    store.append(created("r"))
    for i in range(100):
        store.append(line("r", f"{i}"))
    await store.flush()
    early = await store.since("r", 3, limit=5)
    late = await store.since("r", 95)
    await store.close()
    assert [decode(row)["seq"] for row in early] == [4, 5, 6, 7, 8]
    assert [decode(row)["seq"] for row in late] == [96, 97, 98, 99, 100, 101]


async def test_batches_respect_the_byte_budget(store: SqliteStore) -> None:
    store.append(created("r"))
    for _ in range(50):
        store.append(line("r", "x" * 1000))
    await store.flush()
    rows = await store.since("r", 0, max_bytes=10_000)
    assert 5 <= len(rows) <= 10


async def test_the_summary_follows_the_log(store: SqliteStore) -> None:
    store.append(created("r"))
    store.append(running("r", done=3))
    await store.flush()
    summary = await store.summary("r")
    assert (summary.status, summary.done, summary.total, summary.last_seq) == (Status.RUNNING, 3, 10, 2)
    store.append(Complete(run_id="r", ts=utcnow(), status=Status.PASSED, exit_code=0))
    await store.flush()
    finished = await store.summary("r")
    assert (finished.status, finished.exit_code, finished.is_live) == (Status.PASSED, 0, False)
    assert [s.run_id for s in await store.runs()] == ["r"]


async def test_appending_after_complete_is_refused(store: SqliteStore) -> None:
    store.append(created("r"))
    store.append(Complete(run_id="r", ts=utcnow(), status=Status.PASSED, exit_code=0))
    with pytest.raises(ValueError, match="is complete"):
        store.append(line("r", "late"))


async def test_a_run_must_start_with_run_created(store: SqliteStore) -> None:
    with pytest.raises(UnknownRun, match="run_created"):
        store.append(line("nobody", "hi"))
    with pytest.raises(UnknownRun, match="no run nobody"):
        await store.summary("nobody")


async def test_reopening_closes_runs_left_live_as_error(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    first = SqliteStore(path)
    await first.open()
    first.append(created("r"))
    first.append(running("r", done=4))
    await first.flush()
    await first.close()  # as after a crash: the run never completed

    second = SqliteStore(path)
    await second.open()
    rows = [decode(row) for row in await second.since("r", 0)]
    summary = await second.summary("r")
    await second.close()
    assert [row["seq"] for row in rows] == [1, 2, 3]
    assert rows[-1]["type"] == "complete"
    assert (rows[-1]["status"], rows[-1]["reason"]) == ("ERROR", STOPPED_REASON)
    assert (summary.status, summary.done, summary.last_seq) == (Status.ERROR, 4, 3)
    assert dt.datetime.fromisoformat(rows[-1]["ts"]) >= dt.datetime.fromisoformat(rows[0]["ts"])


async def test_a_run_left_live_is_folded_forward_from_its_last_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    first = CountingStore(path)
    await first.open()
    first.append(created("r"))
    first.append(running("r", done=4))
    await first.flush()  # a new run's row is written; later commits within a second leave it be
    for i in range(5):
        first.append(line("r", f"{i}"))
        await first.flush()
    await first.close()
    assert first.transactions == 6

    second = SqliteStore(path)
    await second.open()
    rows = [decode(row) for row in await second.since("r", 0)]
    summary = await second.summary("r")
    await second.close()
    assert [row["seq"] for row in rows] == list(range(1, 9))
    assert (rows[-1]["type"], rows[-1]["reason"]) == ("complete", STOPPED_REASON)
    assert (summary.status, summary.done, summary.total, summary.last_seq) == (Status.ERROR, 4, 10, 8)


class FullDiskStore(SqliteStore):
    """A disk that refuses commits while `is_full` (the same OSError a full disk raises)."""

    is_full = True

    def _io_write(self, *args) -> None:
        if self.is_full:
            raise OSError(28, "No space left on device")
        super()._io_write(*args)


@pytest.fixture
def quick_retries(monkeypatch) -> None:
    monkeypatch.setattr("litmus_live.store.base.RETRY_AFTER", 0.01)


async def test_while_commits_fail_records_wait_in_order_and_commit_once_they_can(tmp_path: Path, quick_retries) -> None:
    store = FullDiskStore(tmp_path / "db.sqlite3")
    faults: list[str | None] = []
    store.on_fault(faults.append)
    await store.open()
    store.append(created("r"))
    for i in range(100):
        store.append(line("r", f"kept {i}"))
    flushed = asyncio.ensure_future(store.flush())
    while not faults:
        await asyncio.sleep(0.01)
    assert not flushed.done()
    assert store.fault is not None and "No space left on device; 101 records waiting" in store.fault
    assert await store.since("r", 0) == []
    store.is_full = False
    await asyncio.wait_for(flushed, 20)
    rows = [decode(row) for row in await store.since("r", 0, limit=1000)]
    await store.close()
    assert [row["seq"] for row in rows] == list(range(1, 102))
    assert [row["data"]["line"] for row in rows[1:]] == [f"kept {i}" for i in range(100)]
    assert faults == ["the store cannot commit: No space left on device; records wait in memory until it can", None]
    assert store.fault is None


async def test_past_the_pending_bound_the_store_asks_once_to_stop(tmp_path: Path, quick_retries) -> None:
    store = FullDiskStore(tmp_path / "db.sqlite3", max_pending_bytes=50_000)
    stops: list[str] = []
    store.on_overflow(stops.append)
    await store.open()
    store.append(created("r"))
    for i in range(1000):
        store.append(line("r", f"line {i:04} " + "x" * 100))
    assert len(stops) == 1
    assert stops[0] == "stopped: more than 0.0476837 MiB of records waited for the store"
    store.is_full = False
    await store.close()


async def test_past_the_outage_bound_the_store_asks_once_to_stop_with_the_cause(tmp_path: Path, quick_retries) -> None:
    store = FullDiskStore(tmp_path / "db.sqlite3", max_outage=0.05)
    stops: list[str] = []
    store.on_overflow(stops.append)
    await store.open()
    store.append(created("r"))
    while not stops:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)
    store.is_full = False
    await store.flush()
    await store.close()
    assert len(stops) == 1
    assert stops[0].startswith("stopped: the store could not commit for 0 s (No space left on device)")


async def test_closing_a_store_that_cannot_commit_gives_up_and_says_so(
    tmp_path: Path, monkeypatch, quick_retries
) -> None:
    monkeypatch.setattr("litmus_live.store.base.OPEN_CLOSE_WAIT", 0.1)
    store = FullDiskStore(tmp_path / "db.sqlite3")
    await store.open()
    store.append(created("r"))
    waiting = asyncio.ensure_future(store.flush())
    await store.close()
    with pytest.raises(StoreUnavailable, match="closed before it could commit: No space left on device"):
        await waiting


async def test_a_live_summary_never_claims_records_that_are_not_committed(store: SqliteStore, tmp_path: Path) -> None:
    store.append(created("r"))
    store.append(running("r", done=1))
    await store.flush()
    # Another connection holds the database's write lock: the next commit waits for it, so
    # what is appended now stays pending for as long as the lock is held, however slow the machine.
    holder = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    store.append(line("r", "pending"))
    store.append(running("r", done=2))
    for summary in [await store.summary("r"), *await store.runs()]:
        assert (summary.last_seq, summary.done) == (2, 1)
    holder.execute("ROLLBACK")
    holder.close()
    await store.flush()
    for summary in [await store.summary("r"), *await store.runs()]:
        assert (summary.last_seq, summary.done) == (4, 2)


async def test_the_runs_list_matches_live_runs_as_committed(store: SqliteStore, tmp_path: Path) -> None:
    store.append(created("r"))
    await store.flush()
    holder = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the next commit waits: what is appended now stays pending
    store.append(running("r", done=1))
    store.append(created("q"))
    store.append(running("q", done=3))
    assert await store.runs(RunQuery(status=Status.RUNNING)) == []
    # q is listed as summary() shows it: as created, with nothing committed to resume from
    starting = await store.runs(RunQuery(status=Status.STARTING))
    assert [(s.run_id, s.last_seq, s.done) for s in starting] == [("q", 0, 0), ("r", 1, 0)]
    assert starting == [await store.summary("q"), await store.summary("r")]
    holder.execute("ROLLBACK")
    holder.close()
    await store.flush()
    running_now = await store.runs(RunQuery(status=Status.RUNNING))
    assert [(s.run_id, s.last_seq, s.done) for s in running_now] == [("q", 2, 3), ("r", 2, 1)]
    assert await store.runs(RunQuery(status=Status.STARTING)) == []


async def test_pages_read_from_sqlite_hold_every_record_once_in_order_and_fit_a_frame(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite3")
    await store.open()
    store.append(created("r"))
    for i in range(3000):  # mostly small records, some large, a few larger than a whole page
        store.append(line("r", "x" * [20, 900, 5, 40_000][i % 4] + ("y" * 600_000 if i % 1000 == 999 else "")))
    store.append(Complete(run_id="r", ts=utcnow(), status=Status.PASSED, exit_code=0))
    await store.flush()  # the run is over: its records are read from SQLite, not the live tail
    seqs: list[int] = []
    while (page := await store.page("r", len(seqs))).count:
        records = decode(b"[" + page.body + b"]")
        assert len(records) == page.count
        assert len(page.body) <= PAGE_BYTES or page.count == 1
        seqs += [record["seq"] for record in records]
    assert seqs == list(range(1, 3003))
    with sqlite3.connect(tmp_path / "db.sqlite3") as other:
        other.execute("DELETE FROM records WHERE run_id = 'r' AND seq = 1500")
    after = 0
    with pytest.raises(RuntimeError, match="a gap in its log"):
        while (page := await store.page("r", after)).count:
            after += page.count
    await store.close()


async def test_a_commit_of_many_statements_lands_whole_or_not_at_all(tmp_path: Path, quick_retries) -> None:
    """Records go in by statements of many rows; a failure at any of them leaves nothing of the
    commit on disk (nor its summary, nor its readings), and the retry lands it all once."""
    path = tmp_path / "db.sqlite3"
    store = SqliteStore(path)
    faults: list[str | None] = []
    store.on_fault(faults.append)
    await store.open()
    store.append(created("r"))
    await store.flush()
    with sqlite3.connect(path) as disk:  # the disk refuses the record of seq 150, in the third statement
        disk.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON records WHEN NEW.seq = 150"
            " BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    for i in range(299):
        store.append(line("r", f"kept {i}"))
    store.append(running("r", done=5))
    store.append_samples(("r", "volts", "V", [1.0, 2.0], [3.3, 3.4]))
    flushed = asyncio.ensure_future(store.flush())
    while not faults:
        await asyncio.sleep(0.01)
    with sqlite3.connect(path) as disk:
        assert disk.execute("SELECT count(*), max(seq) FROM records").fetchone() == (1, 1)
        assert disk.execute("SELECT count(*) FROM samples").fetchone() == (0,)
        assert decode(disk.execute("SELECT body FROM runs").fetchone()[0])["last_seq"] == 1
        disk.execute("DROP TRIGGER refuse")
    await asyncio.wait_for(flushed, 20)
    await store.close()
    with sqlite3.connect(path) as disk:
        seqs = [seq for (seq,) in disk.execute("SELECT seq FROM records WHERE run_id = 'r' ORDER BY seq")]
        bodies = disk.execute("SELECT body FROM records ORDER BY seq")
        lines = [decode(body).get("data", {}).get("line") for (body,) in bodies]
        assert disk.execute("SELECT channel, n FROM samples").fetchall() == [("volts", 2)]
    assert seqs == list(range(1, 302))
    assert lines[1:300] == [f"kept {i}" for i in range(299)]
    assert faults[-1] is None and "refused" in (faults[0] or "")
