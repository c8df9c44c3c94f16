"""The hub: replay then live tail, with no gap and no duplicate at the seam."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import msgspec
import pytest

from litmus_live.events import Complete, Event, Output, Progress, Prompt, PromptType, RunCreated, Status, Stream, utcnow
from litmus_live.hub import Hub, SeqOutOfRange
from litmus_live.store import SqliteStore, UnknownRun
from litmus_live.transport import text_frame


async def no_channels(run_id: str) -> None:
    return None


def line(text: str) -> Event:
    return Event(run_id="r", ts=utcnow(), data=Output(stream=Stream.STDOUT, line=text))


@pytest.fixture
async def store(tmp_path: Path):
    s = SqliteStore(tmp_path / "db.sqlite3", tail_size=50)
    await s.open()
    s.append(Event(run_id="r", ts=utcnow(), data=RunCreated(test_path="t.py", uut_serial="SN")))
    yield s
    await s.close()


async def drain(hub: Hub, sub) -> list[int]:
    seqs: list[int] = []
    while batch := await hub.pending(sub):
        seqs += [record["seq"] for record in msgspec.json.decode(b"[" + batch.body + b"]")]
    return seqs


async def test_subscribing_mid_run_replays_then_tails_without_gap(store: SqliteStore) -> None:
    hub = Hub(store, no_channels)
    store.on_commit(hub.notify)
    for i in range(300):  # more than the in-memory tail holds: the replay reads SQLite
        store.append(line(str(i)))
    await store.flush()
    waker = asyncio.Event()
    sub, summary = await hub.subscribe("r", 0, waker)
    assert summary.last_seq == 301
    store.append(line("after"))  # appended while the replay is under way
    seen = await drain(hub, sub)
    await store.flush()
    assert waker.is_set()
    seen += await drain(hub, sub)
    store.append(Complete(run_id="r", ts=utcnow(), status=Status.PASSED, exit_code=0))
    await store.flush()
    seen += await drain(hub, sub)
    assert seen == list(range(1, 304))
    assert sub.is_drained and hub.subscriber_count() == 0


async def test_resuming_since_a_seq_starts_right_after_it(store: SqliteStore) -> None:
    hub = Hub(store, no_channels)
    for i in range(10):
        store.append(line(str(i)))
    await store.flush()
    sub, _ = await hub.subscribe("r", 7, asyncio.Event())
    assert await drain(hub, sub) == [8, 9, 10, 11]


async def test_unknown_runs_and_seqs_past_the_end_are_refused(store: SqliteStore) -> None:
    hub = Hub(store, no_channels)
    await store.flush()
    with pytest.raises(UnknownRun):
        await hub.subscribe("nope", 0, asyncio.Event())
    with pytest.raises(SeqOutOfRange, match="past the last seq"):
        await hub.subscribe("r", 5, asyncio.Event())


async def test_the_active_runs_feed_shows_a_prompt_once_it_is_committed(store: SqliteStore, tmp_path: Path) -> None:
    # The runner holds the prompt from the moment the test asks; the feed shows it, and counts it,
    # only once the store has committed it: the list and `prompts_waiting` always agree.
    asked = Prompt(run_id="r", ts=utcnow(), prompt_id="p1", name="go", prompt_type=PromptType.CONFIRM, message="Go?")
    hub = Hub(store, no_channels, open_prompts=lambda run_id: [asked] if run_id == "r" else [])
    store.on_commit(hub.notify)
    await store.flush()
    holder = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    store.append(asked)
    waker = asyncio.Event()
    hub.watch_active(waker)
    (run,) = msgspec.json.decode(hub.active()[1])["runs"]
    assert (run["prompts_waiting"], run["prompts"]) == (0, [])
    holder.execute("ROLLBACK")
    holder.close()
    await store.flush()
    waker.clear()
    await asyncio.wait_for(waker.wait(), 30)
    (run,) = msgspec.json.decode(hub.active()[1])["runs"]
    assert run["prompts_waiting"] == len(run["prompts"]) == 1
    assert run["prompts"][0]["prompt_id"] == "p1"


async def test_the_active_runs_feed_shows_each_run_as_committed(store: SqliteStore, tmp_path: Path) -> None:
    hub = Hub(store, no_channels)
    store.on_commit(hub.notify)
    await store.flush()
    holder = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the next commit waits: what is appended now stays pending
    store.append(Progress(run_id="r", ts=utcnow(), status=Status.RUNNING, total=3, done=1))
    waker = asyncio.Event()
    hub.watch_active(waker)
    (run,) = msgspec.json.decode(hub.active()[1])["runs"]
    assert (run["status"], run["done"]) == ("STARTING", 0)
    holder.execute("ROLLBACK")
    holder.close()
    await store.flush()
    waker.clear()
    await asyncio.wait_for(waker.wait(), 30)
    (run,) = msgspec.json.decode(hub.active()[1])["runs"]
    assert (run["status"], run["done"]) == ("RUNNING", 1)


class HeadFirstStore(SqliteStore):
    """Learns a run's head before its records are readable, as a store shared by many nodes may."""

    ahead = 0

    def committed_head(self, run_id: str) -> int | None:
        head = super().committed_head(run_id)
        return None if head is None else head + self.ahead


async def test_a_head_learnt_before_its_records_is_read_again_once_they_arrive(tmp_path: Path) -> None:
    store = HeadFirstStore(tmp_path / "db.sqlite3", tail_size=50)
    await store.open()
    store.append(Event(run_id="r", ts=utcnow(), data=RunCreated(test_path="t.py", uut_serial="SN")))
    await store.flush()
    hub = Hub(store, no_channels)
    sub, _ = await hub.subscribe("r", 0, asyncio.Event())
    assert await drain(hub, sub) == [1]
    store.ahead = 2  # the head says 3; records 2 and 3 are not readable yet
    assert not await hub.pending(sub)
    store.ahead = 0
    store.append(line("a"))
    store.append(line("b"))
    await store.flush()
    assert await drain(hub, sub) == [2, 3]
    await store.close()


async def test_viewers_at_the_same_seq_are_handed_one_frame_built_once_per_commit(store: SqliteStore) -> None:
    hub = Hub(store, no_channels)
    store.on_commit(hub.notify)
    await store.flush()
    frames: dict[int, list[bytes]] = {}

    def viewer(n: int):
        def deliver(batch) -> bool:
            frames.setdefault(n, []).append(batch.frame(text_frame))
            return True

        return deliver

    for n in range(5):
        await hub.subscribe("r", 1, asyncio.Event(), deliver=viewer(n))
    await hub.subscribe("r", 0, asyncio.Event(), deliver=viewer(5))  # one record behind the others
    for i in range(3):
        store.append(line(str(i)))
    await store.flush()
    assert sorted(frames) == list(range(6)) and all(len(sent) == 1 for sent in frames.values())
    shared = frames[0][0]
    assert all(frames[n][0] is shared for n in range(5))  # the same bytes object, not a copy
    assert [r["seq"] for r in msgspec.json.decode(_payload(shared))] == [2, 3, 4]
    assert [r["seq"] for r in msgspec.json.decode(_payload(frames[5][0]))] == [1, 2, 3, 4]


def _payload(frame: bytes) -> bytes:
    """A server text frame's payload, past its header (RFC 6455 §5.2: unmasked)."""
    return frame[{126: 4, 127: 10}.get(frame[1], 2) :]


@pytest.mark.parametrize(("watchers", "spacing"), [(1, 0.0001), (100, 0.01), (200, 0.02), (500, 0.05), (5000, 0.05)])
async def test_wakes_are_spaced_by_the_audience_up_to_a_twentieth_of_a_second(
    store: SqliteStore, watchers: int, spacing: float
) -> None:
    """Every watcher of a run (on any node) widens the spacing of its wakes by 0.1 ms, up to
    50 ms: each connection then sends one frame per interval however many watch."""
    hub = Hub(store, no_channels, audience=lambda run_id, here: watchers)
    store.on_commit(hub.notify)
    await hub.subscribe("r", 0, asyncio.Event())
    store.append(line("one"))
    await store.flush()
    assert hub.wake_spacing("r") == pytest.approx(spacing)
