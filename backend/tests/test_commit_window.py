"""The adaptive group commit: the window widens while records keep arriving and narrows when
they stop, and however wide it is, no record is seen before it is committed, and none out of
order."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest

from litmus_live import settings
from litmus_live.events import Event, Output, RunCreated, Stream, utcnow
from litmus_live.fleet.node import open_node
from litmus_live.store import SqliteStore
from litmus_live.store.window import FLOWING, MAX_WINDOW, NARROW_AT, WIDEN_AT, CommitWindow

FLOOR = 0.002
WIDE = 0.005  # a flowing width wider than the floor (LITMUS_COMMIT_WINDOW=0.005)


def test_by_default_a_steady_stream_is_committed_at_the_floor() -> None:
    window = CommitWindow(FLOOR)
    assert FLOWING == FLOOR
    assert [window.after(3, is_flowing=True) for _ in range(10)] == [FLOOR] * 10


def test_a_steady_stream_widens_the_window_up_to_a_wider_flowing_width() -> None:
    window = CommitWindow(FLOOR, flowing=WIDE)
    widths = [window.after(3, is_flowing=True) for _ in range(10)]
    assert widths[0] > FLOOR
    assert widths == sorted(widths)
    assert widths[-1] == WIDE
    assert window.after(3, is_flowing=False) == FLOOR


def test_a_quiet_spell_takes_the_window_back_to_its_floor_at_once() -> None:
    window = CommitWindow(FLOOR, flowing=WIDE)
    for _ in range(10):
        window.after(WIDEN_AT, is_flowing=True)
    assert window.seconds == MAX_WINDOW
    assert window.after(1, is_flowing=False) == FLOOR


@pytest.mark.parametrize("flowing", [FLOWING, WIDE])
def test_a_flood_widens_past_the_flowing_width_and_narrows_back_to_it(flowing: float) -> None:
    window = CommitWindow(FLOOR, flowing=flowing)
    flood = [window.after(WIDEN_AT, is_flowing=True) for _ in range(10)]
    assert max(flood) == MAX_WINDOW
    trickle = [window.after(NARROW_AT - 1, is_flowing=True) for _ in range(10)]
    assert trickle == sorted(trickle, reverse=True)
    assert trickle[-1] == flowing


def test_a_flowing_width_under_the_floor_lowers_the_floor_to_it() -> None:
    window = CommitWindow(FLOOR, flowing=0.001)
    assert window.after(3, is_flowing=True) == 0.001
    assert window.after(3, is_flowing=False) == 0.001
    assert window.after(WIDEN_AT, is_flowing=True) == 0.002  # a flood still widens it


def _line(run_id: str, n: int) -> Event:
    return Event(run_id=run_id, ts=utcnow(), data=Output(stream=Stream.STDOUT, line=f"line {n}"))


class _Stream:
    """Appends one record per turn of the event loop, so records keep arriving at every window's
    end (the window stays wide), and checks at every turn that nothing not committed is seen."""

    def __init__(self, store: SqliteStore, path: Path) -> None:
        self.store = store
        self._file = sqlite3.connect(path, isolation_level=None)  # another connection: sees only commits
        self.notified: list[int] = []
        self.early: list[str] = []  # seen before it was in the file: must stay empty
        store.on_commit(self._committed)

    def in_file(self, run_id: str) -> int:
        """The last seq of `run_id` in the file: what is committed."""
        query = "SELECT coalesce(max(seq), 0) FROM records WHERE run_id = ?"
        return self._file.execute(query, (run_id,)).fetchone()[0]

    def close(self) -> None:
        self._file.close()

    def _committed(self, run_id: str, seq: int) -> None:
        if seq > self.in_file(run_id):
            self.early.append(f"notified of seq {seq} before it was committed")
        self.notified.append(seq)

    async def run(self, run_id: str, records: int) -> None:
        self.store.append(Event(run_id=run_id, ts=utcnow(), data=RunCreated(test_path="t.py", uut_serial="SN")))
        for n in range(records):
            self.store.append(_line(run_id, n))
            head = self.store.committed_head(run_id) or 0
            past = await self.store.since(run_id, head)  # the tail's: read without a wait
            if head > self.in_file(run_id) or past:
                self.early.append(f"committed head {head} (or records past it) seen before the file held it")
            await asyncio.sleep(0)
        await self.store.flush()


@pytest.fixture
async def stream(tmp_path: Path) -> AsyncIterator[_Stream]:
    """A real SQLite store, watched from a second connection on its file."""
    path = tmp_path / "db.sqlite3"
    store = SqliteStore(path)
    await store.open()
    watched = _Stream(store, path)
    try:
        yield watched
    finally:
        watched.close()
        await store.close()


async def test_a_record_is_never_seen_before_its_commit_however_wide_the_window(stream: _Stream) -> None:
    await stream.run("r", 1000)
    assert stream.early == []
    assert stream.notified == sorted(stream.notified)
    assert stream.notified[-1] == 1001


async def test_order_holds_across_widened_windows_and_runs_sharing_them(stream: _Stream) -> None:
    await asyncio.gather(stream.run("a", 500), stream.run("b", 500))
    rows = {run: await stream.store.since(run, 0, limit=10_000, max_bytes=10**9) for run in ("a", "b")}
    for run in ("a", "b"):
        records = [msgspec.json.decode(row) for row in rows[run]]
        assert [r["seq"] for r in records] == list(range(1, 502))
        assert [r["data"]["line"] for r in records[1:]] == [f"line {n}" for n in range(500)]
    assert stream.early == []


async def _steady_stream(store: SqliteStore, seconds: float) -> tuple[list[int], float]:
    """One record every 2 ms for `seconds`: the seqs each commit was announced with, and how long it took."""
    notified: list[int] = []
    store.on_commit(lambda run_id, seq: notified.append(seq))
    store.append(Event(run_id="r", ts=utcnow(), data=RunCreated(test_path="t.py", uut_serial="SN")))
    loop = asyncio.get_running_loop()
    start = loop.time()
    n = 0
    while loop.time() - start < seconds:
        store.append(_line("r", n))
        n += 1
        await asyncio.sleep(0.002)
    await store.flush()
    assert notified[-1] == n + 1  # every record committed, the last one announced
    return notified, loop.time() - start


async def test_the_configured_commit_window_spaces_the_commits_of_a_steady_stream(tmp_path: Path) -> None:
    """LITMUS_COMMIT_WINDOW reaches the store a server opens: with 0.2 s, a steady stream is
    committed about five times a second (the default's 2 ms, up to 500 times), each
    commit carrying everything that waited."""
    node = open_node(settings.load(data_dir=tmp_path, tests=tmp_path, commit_window=0.2))
    store = node.store
    assert isinstance(store, SqliteStore)
    await store.open()
    try:
        notified, elapsed = await _steady_stream(store, 1.0)
    finally:
        await store.close()
    # from the 2 ms floor, doubling: 4, 8, ... 128 ms, then 0.2 s a window (and the first commit at once)
    assert len(notified) <= elapsed / 0.2 + 9, (len(notified), elapsed)


async def test_a_commit_window_of_zero_keeps_order_and_commit_before_sight(tmp_path: Path) -> None:
    """A window of 0 (whatever waits is committed as soon as the last commit is done, the floor
    lowered to it) keeps the order and the commit-before-sight promise, as any width does."""
    store = SqliteStore(tmp_path / "db.sqlite3", commit_window=0.0)
    await store.open()
    watched = _Stream(store, tmp_path / "db.sqlite3")
    try:
        await watched.run("r", 300)
    finally:
        watched.close()
        await store.close()
    assert watched.early == []
    assert watched.notified == sorted(watched.notified) and watched.notified[-1] == 301
