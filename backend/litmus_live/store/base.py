"""The EventStore: an append-only, numbered log per run, committed in groups.

The runner appends records; the store numbers them (seq 1, 2, 3, ... per run, no gaps),
encodes each once, commits whatever is pending in one transaction, and only then tells the
hub (`on_commit`), so a subscriber never sees a record that a crash could take back.
Backends (sqlite.py) supply the blocking I/O; everything here runs on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import msgspec

from litmus_live.events import Complete, Event, PromptResolved, Record, Resolution, RunCreated, Status, utcnow
from litmus_live.store import summary as summaries
from litmus_live.store.summary import RunSummary
from litmus_live.store.tail import Tail, take

_encode = msgspec.json.Encoder().encode
# (run_id, channel, unit, times, values): readings of one channel, kept apart from the log
SampleBatch = tuple[str, str, str, list[float], list[float | bool | str]]
STOPPED_REASON = "server stopped during the run"
RETRY_AFTER = 1.0
log = logging.getLogger(__name__)


class UnknownRun(LookupError):
    pass


class StoreUnavailable(RuntimeError):
    """A commit failed (disk full, database locked); everything stays pending and is retried."""


class PromptClosed(LookupError):
    """A resolution for a prompt that is not open: someone else's answer won first."""


class EventStore:
    """Shared logic of every backend; subclasses implement the `_io_*` methods."""

    def __init__(self, *, commit_interval: float = 0.002, tail_size: int = 8192) -> None:
        self._commit_interval = commit_interval
        self._tail_size = tail_size
        self._notify: Callable[[str, int], None] = lambda run_id, seq: None
        self._live: dict[str, RunSummary] = {}
        self._tails: dict[str, Tail] = {}
        self._pending: list[tuple[str, int, bytes]] = []
        self._pending_samples: list[SampleBatch] = []
        self._pending_snapshots: dict[str, bytes] = {}
        self._snapshots: dict[str, bytes] = {}  # final channel snapshots, kept once read or written
        self._dirty: set[str] = set()
        self._appended = 0
        self._committed = 0
        self._flushes: list[tuple[int, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        # One thread writes, one reads: a long catch-up read never delays a commit.
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="store-write")
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="store-read")
        self._task: asyncio.Task[None] | None = None

    # -- wiring and lifetime -------------------------------------------------------------

    def on_commit(self, notify: Callable[[str, int], None]) -> None:
        """Call `notify(run_id, last_seq)` after each commit that touched `run_id`."""
        self._notify = notify

    async def open(self) -> None:
        await self._write(self._io_open)
        self._task = asyncio.create_task(self._commit_loop(), name="store-commit")
        for stale in await self._read(self._io_live_runs):
            self._close_stale(stale)
        await self.flush()

    async def close(self) -> None:
        await self.flush()
        if self._task is not None:
            self._task.cancel()
            self._task = None
        await self._read(self._io_close_reader)
        await self._write(self._io_close)
        self._reader.shutdown(wait=True)
        self._writer.shutdown(wait=True)

    def _close_stale(self, stale: RunSummary) -> None:
        self._live[stale.run_id] = stale
        self._tails[stale.run_id] = Tail(stale.last_seq + 1, self._tail_size)
        for prompt_id in list(stale.open_prompts):
            data = PromptResolved(prompt_id=prompt_id, resolution=Resolution.WITHDRAWN, reason=STOPPED_REASON)
            self.append(Event(run_id=stale.run_id, ts=utcnow(), data=data))
        record = Complete(run_id=stale.run_id, ts=utcnow(), status=Status.ERROR, exit_code=None, reason=STOPPED_REASON)
        self.append(record)

    # -- writing -------------------------------------------------------------------------

    def append(self, record: Record) -> Record:
        """Number `record`, queue it for the next commit and return it with its seq."""
        live = self._live.get(record.run_id)
        if live is None:
            live = self._begin(record)
        elif live.status.is_final:
            raise ValueError(f"run {record.run_id!r} is complete; cannot append {record.__class__.__name__}")
        # compare-and-set: only one resolution per prompt ever reaches the log
        resolved = record.data if isinstance(record, Event) else None
        if isinstance(resolved, PromptResolved) and resolved.prompt_id not in live.open_prompts:
            raise PromptClosed(f"prompt {resolved.prompt_id!r} of run {record.run_id!r} is not open")
        record = msgspec.structs.replace(record, seq=live.last_seq + 1)
        summaries.fold(live, record)
        self._pending.append((record.run_id, record.seq, _encode(record)))
        self._dirty.add(record.run_id)
        self._appended += 1
        self._wake.set()
        return record

    def _begin(self, record: Record) -> RunSummary:
        if not (isinstance(record, Event) and isinstance(record.data, RunCreated)):
            raise UnknownRun(f"no live run {record.run_id!r}; a run starts with a run_created event")
        live = summaries.start(record)
        self._live[record.run_id] = live
        self._tails[record.run_id] = Tail(1, self._tail_size)
        return live

    def append_samples(self, batch: SampleBatch) -> None:
        """Keep a batch of channel readings; committed with the next transaction."""
        self._pending_samples.append(batch)
        self._appended += 1
        self._wake.set()

    def save_channels(self, run_id: str, snapshot: bytes) -> None:
        """Keep the final channel snapshot of a run (the `channels` message late viewers get)."""
        self._snapshots[run_id] = self._pending_snapshots[run_id] = snapshot
        self._appended += 1
        self._wake.set()

    async def flush(self) -> None:
        """Return once everything appended so far is committed."""
        if self._committed >= self._appended:
            return
        done = asyncio.get_running_loop().create_future()
        self._flushes.append((self._appended, done))
        await done

    async def _commit_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            started = time.monotonic()
            await self._commit_pending()
            rest = self._commit_interval - (time.monotonic() - started)
            if rest > 0:
                await asyncio.sleep(rest)

    async def _commit_pending(self) -> None:
        batch, self._pending = self._pending, []
        samples, self._pending_samples = self._pending_samples, []
        snapshots, self._pending_snapshots = self._pending_snapshots, {}
        rows = [(run_id, msgspec.json.encode(self._live[run_id])) for run_id in self._dirty]
        self._dirty = set()
        work = len(batch) + len(samples) + len(snapshots)
        if not work:
            return
        try:
            await self._write(self._io_write, batch, rows, samples, list(snapshots.items()))
        except Exception as exc:  # the store must never stop silently: keep it all, say so, retry
            log.exception("commit of %d records failed; retrying in %.0f s", len(batch), RETRY_AFTER)
            self._pending[:0], self._pending_samples[:0] = batch, samples
            self._pending_snapshots = {**snapshots, **self._pending_snapshots}
            self._dirty |= {run_id for run_id, _ in rows}
            for _, done in self._flushes:
                done.set_exception(StoreUnavailable(f"the store could not commit: {type(exc).__name__}: {exc}"))
            self._flushes = []
            await asyncio.sleep(RETRY_AFTER)
            self._wake.set()
            return
        self._committed += work
        self._publish(batch)
        still = []
        for target, done in self._flushes:
            if self._committed >= target:
                done.set_result(None)
            else:
                still.append((target, done))
        self._flushes = still

    def _publish(self, batch: list[tuple[str, int, bytes]]) -> None:
        heads: dict[str, int] = {}
        by_run: dict[str, list[bytes]] = {}
        for run_id, seq, body in batch:
            by_run.setdefault(run_id, []).append(body)
            heads[run_id] = seq
        for run_id, bodies in by_run.items():
            tail = self._tails.get(run_id)
            if tail is not None:
                tail.extend(bodies)
        for run_id, seq in heads.items():
            self._forget_if_final(run_id, seq)
            self._notify(run_id, seq)

    def _forget_if_final(self, run_id: str, seq: int) -> None:
        live = self._live.get(run_id)
        if live is not None and live.status.is_final and live.last_seq == seq:
            del self._live[run_id]
            self._tails.pop(run_id, None)

    # -- reading -------------------------------------------------------------------------

    def committed_head(self, run_id: str) -> int | None:
        """The last committed seq of a live run, or None when the run is not live here."""
        tail = self._tails.get(run_id)
        if tail is None:
            return None
        return tail.first_seq + len(tail.items) - 1

    async def since(self, run_id: str, after: int, *, limit: int = 8192, max_bytes: int = 480 * 1024) -> list[bytes]:
        """Committed records of `run_id` with seq > `after`, in order, as encoded JSON: a batch
        of at most `limit` records and about `max_bytes` (one frame's worth)."""
        tail = self._tails.get(run_id)
        if tail is not None and tail.covers(after):
            return take(tail.items[after + 1 - tail.first_seq :], limit, max_bytes)
        return await self._read(self._io_since, run_id, after, limit, max_bytes)

    async def channel_snapshot(self, run_id: str) -> bytes | None:
        """The final channel snapshot of a finished run, if it recorded any readings."""
        if run_id not in self._snapshots:
            found = await self._read(self._io_channel_snapshot, run_id)
            if found is None:
                return None
            self._snapshots[run_id] = found
        return self._snapshots[run_id]

    async def sample_counts(self, run_id: str) -> dict[str, int]:
        """How many readings of each channel are durable."""
        return await self._read(self._io_sample_counts, run_id)

    async def samples(self, run_id: str, channel: str) -> list[tuple[float, float | bool | str]]:
        """Every durable reading of one channel, in order."""
        return await self._read(self._io_samples, run_id, channel)

    async def sample_batches(self, run_id: str) -> list[SampleBatch]:
        """Every durable batch of readings of a run, in the order they arrived."""
        return await self._read(self._io_sample_batches, run_id)

    async def summary(self, run_id: str) -> RunSummary:
        """The run's summary as committed; raises UnknownRun."""
        live = self._live.get(run_id)
        if live is not None:
            return self._as_committed(live)
        found = await self._read(self._io_summary, run_id)
        if found is None:
            raise UnknownRun(f"no run {run_id!r}")
        return found

    async def runs(self, limit: int = 200) -> list[RunSummary]:
        """The newest runs first."""
        stored = {s.run_id: s for s in await self._read(self._io_runs, limit)}
        merged = {**stored, **self._live}  # live runs as they are now, committed or not yet
        newest = sorted(merged.values(), key=lambda s: s.created_at, reverse=True)[:limit]
        return [self._as_committed(s) for s in newest]

    def _as_committed(self, summary: RunSummary) -> RunSummary:
        """A copy whose last_seq a subscriber can resume from (a live run's counters may be ahead)."""
        head = self.committed_head(summary.run_id)
        return msgspec.structs.replace(summary, last_seq=summary.last_seq if head is None else head)

    def live_runs(self) -> list[RunSummary]:
        return list(self._live.values())

    async def _write(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._writer, fn, *args)

    async def _read(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._reader, fn, *args)

    # -- backend I/O: open, write and close on the writer thread; the rest on the reader ---

    def _io_open(self) -> None:
        raise NotImplementedError

    def _io_close(self) -> None:
        raise NotImplementedError

    def _io_close_reader(self) -> None:
        raise NotImplementedError

    def _io_write(
        self,
        batch: list[tuple[str, int, bytes]],
        runs: list[tuple[str, bytes]],
        samples: list[SampleBatch],
        snapshots: list[tuple[str, bytes]],
    ) -> None:
        raise NotImplementedError

    def _io_channel_snapshot(self, run_id: str) -> bytes | None:
        raise NotImplementedError

    def _io_sample_counts(self, run_id: str) -> dict[str, int]:
        raise NotImplementedError

    def _io_samples(self, run_id: str, channel: str) -> list[tuple[float, float | bool | str]]:
        raise NotImplementedError

    def _io_sample_batches(self, run_id: str) -> list[SampleBatch]:
        raise NotImplementedError

    def _io_since(self, run_id: str, after: int, limit: int, max_bytes: int) -> list[bytes]:
        raise NotImplementedError

    def _io_summary(self, run_id: str) -> RunSummary | None:
        raise NotImplementedError

    def _io_runs(self, limit: int) -> list[RunSummary]:
        raise NotImplementedError

    def _io_live_runs(self) -> list[RunSummary]:
        raise NotImplementedError
