"""The Redis EventStore against a real redis-server: the same surface as SQLite, shared by nodes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec
import pytest
import redis
from conftest import RedisServer

from litmus_live.events import Complete, Event, Output, Progress, Prompt, RunCreated, Status, Stream, utcnow
from litmus_live.store import STOPPED_REASON, UnknownRun
from litmus_live.store import base as store_base
from litmus_live.store.redis import FEED_INTERVAL, RedisStore

decode = msgspec.json.decode


def created(run_id: str) -> Event:
    return Event(run_id=run_id, ts=utcnow(), data=RunCreated(test_path="t.py", uut_serial="SN"))


def line(run_id: str, text: str) -> Event:
    return Event(run_id=run_id, ts=utcnow(), data=Output(stream=Stream.STDOUT, line=text))


def running(run_id: str, done: int = 0) -> Progress:
    return Progress(run_id=run_id, ts=utcnow(), status=Status.RUNNING, total=10, done=done)


async def opened(url: str, node: str = "A", **kwargs: float) -> RedisStore:
    store = RedisStore(url, node=node, **kwargs)
    await store.open()
    return store


async def until(predicate, timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_each_run_is_one_stream_numbered_from_one(redis_url: str) -> None:
    store = await opened(redis_url)
    store.append(created("r"))
    for i in range(5000):
        store.append(line("r", f"line {i}"))
    await store.flush()
    rows = await store.since("r", 0, limit=10_000, max_bytes=10**9)
    later = await store._read(store._io_since, "r", 4990, 100, 10**9)
    paged = await _read_pages(store, "r")  # pages of at most PAGE_BYTES: this log takes two or more
    await store.close()
    assert [decode(row)["seq"] for row in rows] == list(range(1, 5002))
    assert paged == ([decode(row) for row in rows], 5001)
    assert [decode(row)["seq"] for row in later] == list(range(4991, 5002))
    assert store.client.xinfo_stream("litmus:log:r")["last-generated-id"] == b"0-5001"


async def test_summaries_runs_and_channels_are_read_back(redis_url: str) -> None:
    store = await opened(redis_url)
    store.append(created("r"))
    store.append(running("r", done=3))
    store.append_samples(("r", "v", "V", [1.0, 2.0], [0.5, 0.7]))
    store.append_samples(("r", "t", "C", [1.0], [21.0]))
    store.save_channels("r", b'{"type":"channels"}')
    await store.flush()
    assert (await store.summary("r")).done == 3
    store.append(Complete(run_id="r", ts=utcnow(), status=Status.PASSED, exit_code=0))
    await store.flush()
    other = await opened(redis_url, node="B")
    finished = await other.summary("r")
    counts = await other.sample_counts("r")
    samples = await other.samples("r", "v")
    snapshot = await other.channel_snapshot("r")
    runs = await other.runs()
    with pytest.raises(UnknownRun, match=r"^no run nobody$"):
        await other.summary("nobody")
    await other.close()
    await store.close()
    assert (finished.status, finished.last_seq, finished.is_live) == (Status.PASSED, 3, False)
    assert counts == {"t": 1, "v": 2}
    assert samples == [(1.0, 0.5), (2.0, 0.7)]
    assert snapshot == b'{"type":"channels"}'
    assert [s.run_id for s in runs] == ["r"]


async def test_another_node_follows_a_live_run_gap_free(redis_url: str) -> None:
    station, viewer = await opened(redis_url, "A"), await opened(redis_url, "V")
    heads: list[int] = []
    viewer.on_commit(lambda run_id, seq: heads.append(seq))
    station.append(created("r"))
    await station.flush()
    await until(lambda: viewer.committed_head("r") == 1)
    viewer.watch("r")
    for i in range(300):
        station.append(line("r", f"{i}"))
        if i % 50 == 0:
            await asyncio.sleep(0.01)
    await until(lambda: viewer.committed_head("r") == 301)
    rows = await viewer.since("r", 0, limit=1000)
    active = [s.run_id for s in viewer.live_runs()]
    station.append(Complete(run_id="r", ts=utcnow(), status=Status.PASSED, exit_code=0))
    await until(lambda: viewer.committed_head("r") is None)
    rest = await viewer.since("r", 301)
    await viewer.close()
    await station.close()
    assert [decode(row)["seq"] for row in rows] == list(range(1, 302))
    assert active == ["r"]
    assert [decode(row)["type"] for row in rest] == ["complete"]
    assert heads and heads[-1] in (0, 302)


async def test_a_followed_run_is_read_no_more_often_than_its_watchers_are_woken(redis_url: str) -> None:
    """A station committing every ms reaches another node in reads spaced by the hub's wake
    spacing (`pace`), each bringing all that was committed meanwhile, with no record lost."""
    station, viewer = await opened(redis_url, "A"), await opened(redis_url, "V")
    heads: list[int] = []
    viewer.on_commit(lambda run_id, seq: heads.append(seq) if run_id == "r" else None)
    viewer.follower.pace = lambda run_id: 0.05
    station.append(created("r"))
    await station.flush()
    await until(lambda: viewer.committed_head("r") == 1)
    viewer.watch("r")
    await asyncio.sleep(0.2)  # the watch takes effect at the follower's next read
    heads.clear()
    started = asyncio.get_running_loop().time()
    for i in range(1000):
        station.append(line("r", f"{i}"))
        await station.flush()  # one commit per record, as fast as the station can
        await asyncio.sleep(0.001)
    await until(lambda: viewer.committed_head("r") == 1001)
    elapsed = asyncio.get_running_loop().time() - started
    rows = await viewer.since("r", 0, limit=2000)
    await viewer.close()
    await station.close()
    assert [decode(row)["seq"] for row in rows] == list(range(1, 1002))
    # one read per 50 ms at most, where one per commit would be up to 1,000; a read of the run's
    # summary (the feed, at most every FEED_INTERVAL) tells a head too, and the next read of its
    # log does not wait
    assert 2 <= len(heads) <= elapsed * (1 / 0.05 + 2 / FEED_INTERVAL) + 3, (len(heads), elapsed)


async def test_only_the_owner_writes_a_live_run(redis_url: str) -> None:
    station, other = await opened(redis_url, "A"), await opened(redis_url, "B")
    fenced: list[str] = []
    other.on_fenced = fenced.append
    station.append(created("r"))
    await station.flush()
    other.adopt(await other.summary("r"))  # without winning the run in Redis first
    other.append(line("r", "intruder"))
    await other.flush()
    await until(lambda: fenced == ["r"])
    station.append(line("r", "owner"))
    await station.flush()
    rows = [decode(row) for row in await other.since("r", 0)]
    await other.close()
    await station.close()
    assert [(row["seq"], row.get("data", {}).get("line")) for row in rows] == [(1, None), (2, "owner")]


async def test_a_restarted_station_closes_its_own_runs_only(redis_url: str) -> None:
    first, other = await opened(redis_url, "A"), await opened(redis_url, "B")
    first.append(created("mine"))
    first.append(running("mine", done=4))
    other.append(created("theirs"))
    await asyncio.gather(first.flush(), other.flush())
    first._task.cancel()  # as after a crash: nothing more is committed
    await first.follower.stop()
    again = await opened(redis_url, "A")
    mine, theirs = await again.summary("mine"), await again.summary("theirs")
    await again.close()
    await other.close()
    assert (mine.status, mine.reason, mine.last_seq) == (Status.ERROR, STOPPED_REASON, 3)
    assert theirs.status is Status.STARTING


async def test_open_prompts_are_kept_for_any_node_to_judge(redis_url: str) -> None:
    store = await opened(redis_url)
    store.append(created("r"))
    ask = Prompt(run_id="r", ts=utcnow(), prompt_id="p1", name="go", prompt_type="confirm", message="Go?")
    store.append(ask)
    await store.flush()
    kept = store.client.hget("litmus:prompts:r", "p1")
    await store.close()
    assert decode(kept)["seq"] == 2 and decode(kept)["message"] == "Go?"


async def test_redis_gone_fails_commits_visibly_and_loses_nothing(redis_server: RedisServer, redis_url: str) -> None:
    store = await opened(redis_url)
    faults: list[str | None] = []
    store.on_fault(faults.append)
    store.append(created("r"))
    await store.flush()
    redis_server.kill()
    try:
        store.append(line("r", "kept while Redis was down"))
        flushed = asyncio.ensure_future(store.flush())
        await until(lambda: store.fault is not None and "cannot commit" in store.fault)
        assert not flushed.done()
    finally:
        redis_server.start()
    await asyncio.wait_for(flushed, 30)
    await until(lambda: store.fault is None)
    rows = [decode(row) for row in await store._read(store._io_since, "r", 0, 100, 10**6)]
    await store.close()
    assert [row["seq"] for row in rows] == [1, 2]
    assert faults[0] is not None and faults[-1] is None


def _aof(redis: RedisServer) -> Path:
    """The append-only file Redis appends to now (the newest incr file of its manifest)."""
    return max((redis.directory / "appendonlydir").glob("*.incr.aof"), key=lambda p: int(p.name.split(".")[-3]))


async def _lose_tail(redis: RedisServer, store: RedisStore, lost: int) -> None:
    """Commit `lost` more records, then kill Redis and cut them from its append-only file, as a
    crash with `appendfsync everysec` can; Redis loads what is left when it starts again."""
    aof = _aof(redis)
    size = aof.stat().st_size
    for i in range(lost):
        store.append(line("r", f"lost {i}"))
        await store.flush()  # one commit each: the file holds each one whole
    redis.kill()
    with aof.open("r+b") as f:
        f.truncate(size)
    redis.start()


@pytest.mark.parametrize("tail_size", [8192, 4])
async def test_records_redis_lost_from_its_file_are_written_again_or_the_log_gets_a_new_epoch(
    tmp_path: Path, tail_size: int
) -> None:
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    try:
        store = await opened(redis.url, tail_size=tail_size)
        store.append(created("r"))
        for i in range(40):
            store.append(line("r", f"kept {i}"))
        await store.flush()
        epoch = await store.epoch("r")
        held = await store.since("r", 0, limit=10_000, max_bytes=10**9)
        await _lose_tail(redis, store, 30)
        assert len(await store._read(store._io_since, "r", 0, 10_000, 10**9)) == 41  # Redis lost 30
        held += [body for body in store._tails["r"].items if decode(body)["seq"] > 41]
        store.append(line("r", "after"))
        await store.flush()
        rows = await store._read(store._io_since, "r", 0, 10_000, 10**9)
        paged = await _read_pages(store, "r")
        after = await store.epoch("r")
        await store.close()
    finally:
        redis.stop()
    seqs = [decode(row)["seq"] for row in rows]
    if tail_size == 8192:  # the station still held them: written again, the same bytes, same epoch
        assert seqs == list(range(1, 73)) and rows[:71] == held and after == epoch
    else:  # no longer held: they are gone, and a client that held them is told to resync
        assert seqs == [*range(1, 42), 72] and after not in ("", epoch)
    assert paged == ([decode(row) for row in rows], 72)  # a reader paging the log from 0 moves past the lost seqs once


async def test_a_commit_redis_applied_but_whose_reply_was_lost_is_retried_without_a_double(redis_url: str) -> None:
    """Redis killed after it ran a commit but before its reply reached the station: the station
    retries the batch. What Redis holds of it already is not written twice, and the rest goes on."""
    store = await opened(redis_url)
    store.append(created("r"))
    for i in range(5):
        store.append(line("r", f"before {i}"))
    await store.flush()
    retried = [line("r", f"retried {i}") for i in range(3)]
    # what the lost commit had written: seqs 7 and 8 of the batch (7, 8, 9) the station retries
    for seq, record in zip((7, 8), retried, strict=False):
        body = store_base._encode(msgspec.structs.replace(record, seq=seq))
        store.client.xadd("litmus:log:r", {"r": body}, id=f"0-{seq}")
    for record in retried:
        store.append(record)
    async with asyncio.timeout(20):
        await store.flush()
    store.append(line("r", "after"))
    async with asyncio.timeout(20):
        await store.flush()
    rows = await store._read(store._io_since, "r", 0, 10_000, 10**9)
    await store.close()
    assert [decode(row)["seq"] for row in rows] == list(range(1, 11))
    assert [decode(row)["data"]["line"] for row in rows[6:]] == ["retried 0", "retried 1", "retried 2", "after"]


class LostReplies(RedisStore):
    """Redis runs the commits that carry readings, and the reply of each of the first `lose`
    of them is lost on the way back (Redis went away right after running it)."""

    lose = 2

    def _io_write(self, batch, runs, samples, snapshots) -> None:
        script = self._write_script
        if samples and self.lose:
            self.lose -= 1

            def _ran_then_lost(**kwargs):
                script(**kwargs)
                raise redis.ConnectionError("Connection closed by server.")

            self._write_script = _ran_then_lost
        try:
            super()._io_write(batch, runs, samples, snapshots)
        finally:
            self._write_script = script


async def test_readings_of_commits_whose_replies_were_lost_are_kept_once(redis_url: str, monkeypatch) -> None:
    """Each retry of a commit whose reply was lost carries its readings again, merged with
    newer ones: Redis keeps each reading once, in order, as it keeps each record once."""
    monkeypatch.setattr(store_base, "RETRY_AFTER", 0.01)
    store = LostReplies(redis_url, node="A")
    await store.open()
    store.append(created("r"))
    await store.flush()
    store.append_samples(("r", "volts", "V", [1.0, 2.0], [3.3, 3.4]))
    store.append(line("r", "first"))
    flushed = asyncio.ensure_future(store.flush())
    while store.lose == 2:
        await asyncio.sleep(0.001)
    store.append_samples(("r", "volts", "V", [3.0], [3.5]))  # joins the retry
    async with asyncio.timeout(20):
        await flushed
        await store.flush()
    store.append_samples(("r", "volts", "V", [4.0], [3.6]))
    async with asyncio.timeout(20):
        await store.flush()
    counts = await store.sample_counts("r")
    readings = await store.samples("r", "volts")
    rows = await store._read(store._io_since, "r", 0, 10_000, 10**9)
    await store.close()
    assert store.lose == 0
    assert counts == {"volts": 4}
    assert readings == [(1.0, 3.3), (2.0, 3.4), (3.0, 3.5), (4.0, 3.6)]
    assert [decode(row)["seq"] for row in rows] == [1, 2]


class RefillRefused(RedisStore):
    """The first rewrite of records Redis lost fails before Redis sees it (gone again)."""

    refuse = True

    def _io_write(self, batch, runs, samples, snapshots) -> None:
        if self.refuse and not samples and {4, 6} <= {seq for _, seq, _ in batch}:  # lost ones, then the new
            self.refuse = False
            raise redis.ConnectionError("Error 111 connecting to Redis. Connection refused.")
        super()._io_write(batch, runs, samples, snapshots)


async def test_readings_of_a_commit_whose_lost_records_could_not_be_written_again_are_kept_once(
    tmp_path: Path, monkeypatch
) -> None:
    """Redis lost a run's last records; the commit that finds it out lands (its readings with
    it), but writing the lost records again fails: the retry of the commit keeps its readings once."""
    monkeypatch.setattr(store_base, "RETRY_AFTER", 0.01)
    redis_server = RedisServer(tmp_path / "redis")
    redis_server.start()
    try:
        store = RefillRefused(redis_server.url, node="A")
        await store.open()
        store.append(created("r"))
        for i in range(2):
            store.append(line("r", f"kept {i}"))
        await store.flush()
        await _lose_tail(redis_server, store, 2)  # seqs 4 and 5: the station still holds them
        store.append_samples(("r", "volts", "V", [1.0, 2.0], [3.3, 3.4]))
        store.append(line("r", "after"))
        async with asyncio.timeout(20):
            await store.flush()
        counts = await store.sample_counts("r")
        rows = await store._read(store._io_since, "r", 0, 10_000, 10**9)
        await store.close()
    finally:
        redis_server.stop()
    assert not store.refuse
    assert counts == {"volts": 2}
    assert [decode(row)["seq"] for row in rows] == [1, 2, 3, 4, 5, 6]


async def _read_pages(store: RedisStore, run_id: str) -> tuple[list[dict], int]:
    """The log read a page at a time from Redis, as a catching-up subscriber reads it: its
    records and where the cursor ends."""
    records, cursor = [], 0
    while (page := await store._read(store._io_page, run_id, cursor)).count:
        records += decode(b"[" + page.body + b"]")
        cursor += page.count
    return records, cursor
