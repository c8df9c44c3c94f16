"""What a fleet node sees of the runs live on other nodes, through one blocking XREAD.

The read watches, at once: the log stream of each run this node's viewers follow (from the
last seq it holds), the fleet's summary feed (for the active-runs list), a wake stream of its
own (so a new watch takes effect at once) and any inbox a fleet noun listens to. What arrives
is handed to the event loop, kept in a small in-memory tail per run and announced through
the store's `on_commit` callback, exactly like a local commit.

A station commits every few ms under load; the hub wakes the watchers of a run no more often
than its wake spacing (hub.py, 10 ms for 100 watchers). After a read that brought a run's
records, the next read waits that spacing (`pace`, the least of the runs read; none under
MIN_LINGER): what a station commits meanwhile comes in one read, one hop to the loop and one
wake instead of several, and no record reaches a watcher later than the hub's spacing would
have let it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import msgspec
import redis

from litmus_live.events import Prompt
from litmus_live.store.summary import RunSummary
from litmus_live.store.tail import Tail, take

if TYPE_CHECKING:
    from litmus_live.store.redis import RedisStore

log = logging.getLogger(__name__)
BLOCK_MS = 5000
RETRY_AFTER = 0.5
# A shorter wait is not taken (a run with few watchers, spaced under it): on a busy core the
# thread's wake-up after a sleep can come later than the wait itself, and add to every record.
MIN_LINGER = 0.002
_LOG_PREFIX = "litmus:log:"
STATE_PREFIX = "litmus:state:"  # stream per live run: its channel deltas, as the station sent them
_FEED = "litmus:feed"
EPOCHS = "litmus:epochs"  # stream: (run, epoch) each time a run's log gets a new epoch
_LOST_KEEP = 5  # reconciles a live run may be missing from Redis (lost) before it counts as ended
_KEEP_FINISHED = 10_000
Entries = list[tuple[bytes, dict[bytes, bytes]]]
_decode_summary = msgspec.json.Decoder(RunSummary).decode
_decode_prompt = msgspec.json.Decoder(Prompt).decode


class Follower:
    def __init__(self, url: str, store: RedisStore) -> None:
        from litmus_live.store.redis import connect  # noqa: PLC0415 - the store imports this module

        self._client = connect(url, timeout=BLOCK_MS / 1000 + 3)
        self._store = store
        self._wake_key = f"litmus:wake:{uuid.uuid4().hex}"
        self._positions: dict[str, bytes | str] = {}
        self._lock = threading.Lock()
        self._watchers: dict[str, int] = {}
        self._mirror: dict[str, RunSummary] = {}  # live runs of other nodes, as committed
        self._finished: dict[str, None] = {}
        self._tails: dict[str, Tail] = {}
        self._listeners: dict[str, Callable[[Entries], None]] = {}
        self._prompts: dict[str, dict[str, Prompt]] = {}  # open prompt records of mirrored runs
        self._fetching: set[str] = set()
        self.on_state: Callable[[str, bytes], None] = lambda run_id, frame: None
        self.on_epoch: Callable[[str, str], None] = lambda run_id, epoch: None
        # seconds between the wakes of a run's watchers (asked from this thread: a plain read)
        self.pace: Callable[[str], float] = lambda run_id: 0.0
        self._lost: dict[str, int] = {}  # mirrored runs Redis no longer has: reconciles since
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.down: str | None = None  # why Redis cannot be read now, in words
        self._reconciling: asyncio.Future[None] | None = None

    # -- lifetime ------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        for key in (_FEED, EPOCHS):  # from an ID, not "$": an entry added between two reads is read
            top = await asyncio.to_thread(self._client.xrevrange, key, "+", "-", count=1)
            self._positions[key] = top[0][0] if top else "0-0"
        self._positions[self._wake_key] = "$"
        await self.reconcile()
        self._thread = threading.Thread(target=self._run, name="redis-follow", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stopped.set()
        self._poke()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, BLOCK_MS / 1000 + 5)
        self._client.close()

    def listen(self, key: str, handler: Callable[[Entries], None], since: str = "$") -> None:
        """Hand each entry added to stream `key` (after `since`) to `handler`, on the loop."""
        self._listeners[key] = handler
        with self._lock:
            self._positions[key] = since

    async def reconcile(self) -> None:
        """Bring the mirror of the fleet's live runs in line with Redis (at start, after an
        outage, and on every heartbeat: a summary feed entry can be missed, the index cannot)."""
        fleet = await asyncio.to_thread(self._store.io_fleet_live)
        local = {s.run_id for s in self._store.local_runs()}
        mirror = {run: summary for run, (_, summary) in fleet.items() if run not in local}
        gone = await self._ended(set(self._mirror) - set(mirror))
        for run_id in gone:
            self._mirror.pop(run_id, None)
            self._end(run_id)
        for summary in mirror.values():
            self._put(summary)
            self._store._notify(summary.run_id, summary.last_seq)

    async def _ended(self, gone: set[str]) -> set[str]:
        """Of the mirrored runs no longer live in Redis, those that ended; one Redis lost whole
        (a FLUSHALL, a restart without its file) stays followed a few reconciles, as its station
        may write it again."""
        lost = await asyncio.to_thread(self._store.io_unknown, list(gone)) if gone else set()
        self._lost = {run: self._lost.get(run, 0) + 1 for run in lost}
        return gone - {run for run, times in self._lost.items() if times < _LOST_KEEP}

    # -- what the store asks -------------------------------------------------------------

    def head(self, run_id: str) -> int | None:
        summary = self._mirror.get(run_id)
        if summary is None:
            return None
        tail = self._tails.get(run_id)
        held = 0 if tail is None else tail.first_seq + len(tail.items) - 1
        return max(summary.last_seq, held)

    def summary(self, run_id: str) -> RunSummary | None:
        summary = self._mirror.get(run_id)
        return None if summary is None else msgspec.structs.replace(summary, last_seq=self.head(run_id) or 0)

    def learn(self, summary: RunSummary) -> None:
        """A live run read straight from Redis, maybe ahead of the feed this node has read."""
        run_id, known = summary.run_id, self._mirror.get(summary.run_id)
        if not summary.is_live:
            if self._mirror.pop(run_id, None) is not None:
                self._end(run_id)
        elif run_id not in self._finished and (known is None or known.last_seq < summary.last_seq):
            self._put(summary)

    def live_runs(self) -> list[RunSummary]:
        return [s for s in self._mirror.values() if s.is_live]

    def open_prompts(self, run_id: str) -> list[Prompt]:
        """The open prompt records of a run live on another node (for the active-runs feed)."""
        summary, held = self._mirror.get(run_id), self._prompts.get(run_id, {})
        return [] if summary is None else [held[p] for p in summary.open_prompts if p in held]

    def _put(self, summary: RunSummary) -> None:
        """Mirror a live run of another node; fetch the records of prompts it opened since."""
        self._mirror[summary.run_id] = summary
        held = self._prompts.setdefault(summary.run_id, {})
        for prompt_id in [p for p in held if p not in summary.open_prompts]:
            del held[prompt_id]
        missing = [p for p in summary.open_prompts if p not in held]
        if missing and summary.run_id not in self._fetching:
            self._fetching.add(summary.run_id)
            fetch = asyncio.get_running_loop().run_in_executor(None, self._store.io_prompts, summary.run_id, missing)
            fetch.add_done_callback(lambda done: self._fetched(summary.run_id, done))

    def _fetched(self, run_id: str, done: asyncio.Future[list[bytes | None]]) -> None:
        self._fetching.discard(run_id)
        summary = self._mirror.get(run_id)
        if done.cancelled() or done.exception() is not None or summary is None:
            return  # Redis out of reach: the next summary of the run asks again
        held = self._prompts.setdefault(run_id, {})
        for body in filter(None, done.result()):
            prompt = _decode_prompt(body)
            held[prompt.prompt_id] = prompt
        self._store._notify(run_id, summary.last_seq)

    def records_after(self, run_id: str, after: int, limit: int, max_bytes: int) -> list[bytes] | None:
        """Records held in memory after `after`, or None when they must be read from Redis."""
        tail = self._tails.get(run_id)
        if tail is None or not tail.covers(after):
            return None
        return take(tail.items[after + 1 - tail.first_seq :], limit, max_bytes)

    def watch(self, run_id: str) -> None:
        self._watchers[run_id] = self._watchers.get(run_id, 0) + 1
        head = self.head(run_id)
        if self._watchers[run_id] > 1 or head is None:
            return  # already followed, or not live elsewhere (its log is complete in Redis)
        with self._lock:
            self._positions[_LOG_PREFIX + run_id] = f"0-{head}"
            self._positions[STATE_PREFIX + run_id] = "$"
        asyncio.get_running_loop().run_in_executor(None, self._poke)

    def unwatch(self, run_id: str) -> None:
        left = self._watchers.get(run_id, 0) - 1
        if left > 0:
            self._watchers[run_id] = left
            return
        self._watchers.pop(run_id, None)
        self._tails.pop(run_id, None)
        with self._lock:
            self._positions.pop(_LOG_PREFIX + run_id, None)
            self._positions.pop(STATE_PREFIX + run_id, None)

    # -- the reading thread --------------------------------------------------------------

    def _poke(self) -> None:
        with contextlib.suppress(redis.RedisError):  # when Redis is down the next read picks the watch up
            self._store.client.xadd(self._wake_key, {"w": "1"}, maxlen=10)

    def _run(self) -> None:
        while not self._stopped.is_set():
            with self._lock:
                streams = dict(self._positions)
            try:
                reply = self._client.xread(streams, block=BLOCK_MS)
            except redis.RedisError as exc:
                self._report_down(exc)
                time.sleep(RETRY_AFTER)
                continue
            if self.down is not None:
                self.down = None
                self._call(self._recovered)
            with self._lock:
                for key, entries in reply:
                    name = key.decode()
                    if name in self._positions:
                        self._positions[name] = entries[-1][0]
            if reply:
                self._call(self._deliver, reply)
                self._linger(reply)

    def _linger(self, reply: list[tuple[bytes, Entries]]) -> None:
        """After a read that brought records of runs, wait the least of their wake spacings."""
        runs = [key[len(_LOG_PREFIX) :].decode() for key, _ in reply if key.startswith(_LOG_PREFIX.encode())]
        wait = min((self.pace(run_id) for run_id in runs), default=0.0)
        if wait >= MIN_LINGER:
            self._stopped.wait(wait)

    def _report_down(self, exc: Exception) -> None:
        if self.down is None and not self._stopped.is_set():
            log.warning("lost Redis (%s: %s); retrying every %.1f s", type(exc).__name__, exc, RETRY_AFTER)
            self.down = f"the fleet's store cannot be reached: {exc}"
            self._call(self._store.follower_fault, self.down)

    def _call(self, fn: Callable, *args: object) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(fn, *args)

    def _recovered(self) -> None:
        log.warning("Redis is back")
        self._store.follower_fault(None)
        self._reconciling = asyncio.ensure_future(self.reconcile())

    # -- on the event loop ---------------------------------------------------------------

    def _deliver(self, reply: list[tuple[bytes, Entries]]) -> None:
        for key, entries in reply:
            name = key.decode()
            if name.startswith(_LOG_PREFIX):
                self._on_log(name[len(_LOG_PREFIX) :], entries)
            elif name.startswith(STATE_PREFIX):
                for _, fields in entries:
                    self.on_state(name[len(STATE_PREFIX) :], fields[b"f"])
            elif name == _FEED:
                self._on_feed(entries)
            elif name == EPOCHS:
                self._on_epochs(entries)
            elif name in self._listeners:
                self._listeners[name](entries)

    def _on_log(self, run_id: str, entries: Entries) -> None:
        if run_id not in self._watchers:
            return
        first = int(entries[0][0].split(b"-")[1])
        last = int(entries[-1][0].split(b"-")[1])
        tail = self._tails.get(run_id)
        if tail is None or tail.first_seq + len(tail.items) != first:
            tail = self._tails[run_id] = Tail(first, self._store._tail_size)
        tail.extend([fields[b"r"] for _, fields in entries])
        self._store._notify(run_id, last)

    def _on_feed(self, entries: Entries) -> None:
        local = {s.run_id for s in self._store.local_runs()}
        for _, fields in entries:
            summary = _decode_summary(fields[b"s"])
            if summary.run_id in local:
                continue
            if summary.is_live:
                self._put(summary)
                self._store._notify(summary.run_id, summary.last_seq)
            elif self._mirror.pop(summary.run_id, None) is not None or summary.run_id not in self._finished:
                self._end(summary.run_id)

    def _on_epochs(self, entries: Entries) -> None:
        """Runs whose log got a new epoch: what is held of their old one is dropped."""
        for _, fields in entries:
            run_id = fields[b"run"].decode()
            self._tails.pop(run_id, None)
            self.on_epoch(run_id, fields[b"e"].decode())

    def _end(self, run_id: str) -> None:
        self._finished[run_id] = None
        if len(self._finished) > _KEEP_FINISHED:
            del self._finished[next(iter(self._finished))]
        self._tails.pop(run_id, None)
        self._prompts.pop(run_id, None)
        self._store._notify(run_id, 0)
