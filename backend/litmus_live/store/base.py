"""The EventStore: an append-only, numbered log per run, committed in groups.

The runner appends records; the store numbers them (seq 1, 2, 3, ... per run, no gaps),
encodes each once, commits whatever is pending in one transaction, and only then tells the
hub (`on_commit`), so a subscriber never sees a record that a crash could take back.
Backends (sqlite.py) supply the blocking I/O; everything here runs on the event loop.

When a commit fails (disk full), appends still succeed: records wait in memory, in order,
and every commit is retried until one succeeds. `on_fault` hears when that starts and ends;
past the bound (outage.py) `on_overflow` is told once, so the runner stops the live runs
instead of letting memory grow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

import msgspec

from litmus_live.events import Event, PromptResolved, Record, RunCreated, utcnow
from litmus_live.store import summary as summaries
from litmus_live.store.lane import Lane
from litmus_live.store.outage import MAX_OUTAGE, MAX_PENDING_BYTES, Outage
from litmus_live.store.summary import Checkpoints, RunQuery, RunSummary
from litmus_live.store.tail import EMPTY, Page, Tail
from litmus_live.store.window import FLOWING, CommitWindow

_ALL_RUNS = RunQuery()

_encode = msgspec.json.Encoder().encode
_decode_record = msgspec.json.Decoder(Record).decode
# (run_id, channel, unit, times, values): readings of one channel, kept apart from the log
SampleBatch = tuple[str, str, str, list[float], list[float | bool | str]]
STOPPED_REASON = "server stopped during the run"
# One page of a run's log: what one frame to a catching-up client holds at most.
PAGE_RECORDS = 8192
PAGE_BYTES = 480 * 1024
RETRY_AFTER = 0.5
_SAMPLE_BYTES = 16  # what one channel reading costs in memory, about
# How long opening and closing wait for a failing store before going on without it.
OPEN_CLOSE_WAIT = 5.0
log = logging.getLogger(__name__)


def _copy(summary: RunSummary) -> RunSummary:
    return msgspec.structs.replace(summary, open_prompts=list(summary.open_prompts), asked=dict(summary.asked))


class UnknownRun(LookupError):
    pass


class StoreUnavailable(RuntimeError):
    """The store was closed while records still waited for a commit that kept failing."""


class StoreUnreadable(StoreUnavailable):
    """A read of the store failed (a fleet's Redis out of reach, a failing disk); the message
    says why, in words. Nothing was lost: the same read can be tried again."""


class PromptClosed(LookupError):
    """A resolution for a prompt that is not open: someone else's answer won first."""


class EventStore:
    """Shared logic of every backend; subclasses implement the `_io_*` methods."""

    def __init__(
        self,
        *,
        commit_interval: float = 0.002,
        commit_window: float = FLOWING,
        tail_size: int = 8192,
        max_pending_bytes: int = MAX_PENDING_BYTES,
        max_outage: float = MAX_OUTAGE,
    ) -> None:
        self._window = CommitWindow(commit_interval, flowing=commit_window)
        self._checkpoints = Checkpoints()
        self._tail_size = tail_size
        self._notify: Callable[[str, int], None] = lambda run_id, seq: None
        self._outage = Outage(max_pending_bytes=max_pending_bytes, max_outage=max_outage)
        self._live: dict[str, RunSummary] = {}
        # each live run as of its last commit (before its first, as created: nothing to resume from)
        self._shown: dict[str, RunSummary] = {}
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
        self._writer = Lane("store-write")
        self._reader = Lane("store-read")
        self._task: asyncio.Task[None] | None = None

    # -- wiring and lifetime -------------------------------------------------------------

    def on_commit(self, notify: Callable[[str, int], None]) -> None:
        """Call `notify(run_id, last_seq)` after each commit that touched `run_id`."""
        self._notify = notify

    def on_fault(self, notify: Callable[[str | None], None]) -> None:
        """Call `notify(reason)` when commits start failing, `notify(None)` once one succeeds."""
        self._outage.on_fault = notify

    def on_overflow(self, stop: Callable[[str], None]) -> None:
        """Call `stop(reason)` once per outage when what waits passes the bound."""
        self._outage.on_overflow = stop

    @property
    def fault(self) -> str | None:
        """Why the store cannot commit now, in words (with what waits and since when), or None."""
        waiting = len(self._pending) + len(self._pending_samples) + len(self._pending_snapshots)
        return self._outage.describe(waiting)

    async def open(self) -> None:
        await self._write(self._io_open)
        self._task = asyncio.create_task(self._commit_loop(), name="store-commit")
        for stale in await self._read(self._io_live_runs):
            await self._fold_forward(stale)
            self._close_stale(stale)
        with contextlib.suppress(TimeoutError):  # a full disk must not keep the server from starting
            await asyncio.wait_for(self.flush(), OPEN_CLOSE_WAIT)

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.flush(), OPEN_CLOSE_WAIT)
        except TimeoutError:
            cause = self._outage.cause
            log.error("closing with %d records never committed: %s", len(self._pending), cause)
            for _, done in self._flushes:
                if not done.done():
                    done.set_exception(StoreUnavailable(f"the store was closed before it could commit: {cause}"))
            self._flushes = []
        if self._task is not None:
            self._task.cancel()
            self._task = None
        await self._read(self._io_close_reader)
        await self._write(self._io_close)
        self._reader.close()
        self._writer.close()

    async def _fold_forward(self, summary: RunSummary) -> None:
        """Bring a stored summary (a checkpoint) up to date with the records after it."""
        while rows := await self._read(self._io_since, summary.run_id, summary.last_seq, 8192, 2**30):
            for row in rows:
                summaries.fold(summary, _decode_record(row))

    def _close_stale(self, stale: RunSummary) -> None:
        self._live[stale.run_id] = stale
        self._shown[stale.run_id] = _copy(stale)
        self._tails[stale.run_id] = Tail(stale.last_seq + 1, self._tail_size)
        for record in summaries.closing(stale, STOPPED_REASON, utcnow()):
            self.append(record)

    # -- writing -------------------------------------------------------------------------

    def append(self, record: Record) -> Record:
        """Number `record`, queue it for the next commit and return it with its seq."""
        live = self._live.get(record.run_id)
        if live is None:
            live = self._begin(record)
        elif live.status.is_final:
            raise ValueError(f"run {record.run_id} is complete; cannot append a {record.__struct_config__.tag} record")
        # compare-and-set: only one resolution per prompt ever reaches the log
        resolved = record.data if isinstance(record, Event) else None
        if isinstance(resolved, PromptResolved) and resolved.prompt_id not in live.open_prompts:
            raise PromptClosed(f"prompt {resolved.prompt_id} of run {record.run_id} is not open")
        record = msgspec.structs.replace(record, seq=live.last_seq + 1)
        summaries.fold(live, record)
        body = _encode(record)
        self._pending.append((record.run_id, record.seq, body))
        self._dirty.add(record.run_id)
        self._appended += 1
        self._wake.set()
        self._outage.queued(len(body))
        return record

    def _begin(self, record: Record) -> RunSummary:
        if not (isinstance(record, Event) and isinstance(record.data, RunCreated)):
            raise UnknownRun(f"no live run {record.run_id}; a run starts with a run_created event")
        live = summaries.start(record)
        self._live[record.run_id] = live
        self._shown[record.run_id] = _copy(live)
        self._tails[record.run_id] = Tail(1, self._tail_size)
        return live

    def append_samples(self, batch: SampleBatch) -> None:
        """Keep a batch of channel readings; committed with the next transaction."""
        self._pending_samples.append(batch)
        self._outage.queued(_SAMPLE_BYTES * len(batch[3]))
        self._appended += 1
        self._wake.set()

    def save_channels(self, run_id: str, snapshot: bytes) -> None:
        """Keep the final channel snapshot of a run (the `channels` message late viewers get)."""
        self._snapshots[run_id] = self._pending_snapshots[run_id] = snapshot
        self._appended += 1
        self._wake.set()

    async def flush(self) -> None:
        """Return once everything appended so far is committed (however long a fault lasts)."""
        if self._committed >= self._appended:
            return
        done = asyncio.get_running_loop().create_future()
        self._flushes.append((self._appended, done))
        await done

    async def _commit_loop(self) -> None:
        while True:
            is_flowing = self._wake.is_set()  # records wait already: no quiet spell since the last commit
            await self._wake.wait()
            self._wake.clear()
            started, carried = time.monotonic(), len(self._pending)
            if not await self._commit_pending():
                await asyncio.sleep(RETRY_AFTER)
                self._wake.set()
                continue
            rest = self._window.after(carried, is_flowing=is_flowing) - (time.monotonic() - started)
            if rest > 0:
                await asyncio.sleep(rest)

    async def _commit_pending(self) -> bool:
        """Commit what is pending; False (and all of it still pending, in order) if that failed."""
        batch, self._pending = self._pending, []
        samples, self._pending_samples = self._pending_samples, []
        snapshots, self._pending_snapshots = self._pending_snapshots, {}
        due = [self._live[run_id] for run_id in self._dirty if self._checkpoints.is_due(self._live[run_id])]
        rows = [(live.run_id, msgspec.json.encode(live)) for live in due]
        shown = {run_id: _copy(self._live[run_id]) for run_id in self._dirty}
        self._dirty.difference_update(live.run_id for live in due)
        work = len(batch) + len(samples) + len(snapshots)
        if not work:
            return True
        try:
            await self._write(self._io_write, batch, rows, samples, list(snapshots.items()))
        except Exception as exc:  # the store must never stop silently: keep it all, say so, retry
            self._pending[:0], self._pending_samples[:0] = batch, samples
            self._pending_snapshots = {**snapshots, **self._pending_snapshots}
            self._dirty |= {run_id for run_id, _ in rows}
            self._outage.failed(exc)
            return False
        self._committed += work
        self._shown.update(shown)
        for live in due:
            self._checkpoints.wrote(live)
        size = sum(len(body) for _, _, body in batch) + _SAMPLE_BYTES * sum(len(b[3]) for b in samples)
        self._outage.committed(size)
        self._publish(batch)
        self._release_flushes()
        return True

    def _release_flushes(self) -> None:
        still = []
        for target, done in self._flushes:
            if self._committed >= target:
                if not done.done():
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
            self._shown.pop(run_id, None)
            self._tails.pop(run_id, None)

    # -- reading -------------------------------------------------------------------------

    def committed_head(self, run_id: str) -> int | None:
        """The last committed seq of a live run, or None when the run is not live here."""
        tail = self._tails.get(run_id)
        if tail is None:
            return None
        return tail.first_seq + len(tail.items) - 1

    async def since(
        self, run_id: str, after: int, *, limit: int = PAGE_RECORDS, max_bytes: int = PAGE_BYTES
    ) -> list[bytes]:
        """Committed records of `run_id` with seq > `after`, in order, as encoded JSON: a batch
        of at most `limit` records and about `max_bytes` (one frame's worth)."""
        tail = self._tails.get(run_id)
        if tail is not None and tail.covers(after):
            return tail.after(after, limit, max_bytes)
        return await self._read(self._io_since, run_id, after, limit, max_bytes)

    async def page(self, run_id: str, after: int) -> Page:
        """What `since` gives, joined once: one frame's worth of records past seq `after`."""
        page = self.tail_page(run_id, after)
        return page if page is not None else await self._read(self._io_page, run_id, after)

    def tail_page(self, run_id: str, after: int) -> Page | None:
        """The next page from memory, when the live run's tail still holds seq `after` + 1."""
        tail = self._tails.get(run_id)
        if tail is None or not tail.covers(after):
            return None
        return Page.of(tail.after(after, PAGE_RECORDS, PAGE_BYTES))

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
        shown = self._shown.get(run_id)
        if shown is not None:
            return _copy(shown)
        found = await self._read(self._io_summary, run_id)
        if found is None:
            raise UnknownRun(f"no run {run_id}")
        return found

    async def runs(self, query: RunQuery = _ALL_RUNS) -> list[RunSummary]:
        """The runs `query` asks for, newest first, matched and shown as `summary` shows them:
        a live run as of its last commit."""
        # live runs' stored rows may be stale: ask for as many more as may be dropped below
        wider = msgspec.structs.replace(query, limit=query.limit + len(self._live))
        stored = {s.run_id: s for s in await self._read(self._io_runs, wider)}
        merged = {**stored, **self._shown}
        found = [s for s in merged.values() if query.matches(s)]
        newest = sorted(found, key=lambda s: (s.created_at, s.run_id), reverse=True)[: query.limit]
        return [_copy(s) if s.run_id in self._shown else s for s in newest]

    def live_runs(self) -> list[RunSummary]:
        """Every run live here, each as `summary` shows it (as of its last commit)."""
        return [_copy(shown) for shown in self._shown.values()]

    async def epoch(self, run_id: str) -> str:
        """Which history of the run this store holds ("" for a store that never loses a
        committed record); a store that lost records a client may hold gives a new one."""
        return ""

    def watch(self, run_id: str) -> None:
        """A viewer here follows `run_id` (a store shared by many nodes tails it for them)."""

    def unwatch(self, run_id: str) -> None:
        """No viewer here follows `run_id` any more."""

    async def _write(self, fn, *args):
        return await self._writer.call(fn, *args)

    # what a backend raises when it cannot be read now; `_read` turns it into StoreUnreadable
    read_faults: tuple[type[Exception], ...] = ()

    async def _read(self, fn, *args):
        try:
            return await self._reader.call(fn, *args)
        except self.read_faults as exc:
            raise StoreUnreadable(self.read_fault_text(exc)) from None

    def read_fault_text(self, exc: Exception) -> str:
        return f"the store cannot be read: {exc}"

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

    def _io_page(self, run_id: str, after: int) -> Page:
        """One page past `after`; a backend that can join records itself does it faster."""
        rows = self._io_since(run_id, after, PAGE_RECORDS, PAGE_BYTES)
        return Page.of(rows) if rows else EMPTY

    def _io_summary(self, run_id: str) -> RunSummary | None:
        raise NotImplementedError

    def _io_runs(self, query: RunQuery) -> list[RunSummary]:
        """At least every stored run `query` matches (a backend may return more: they are filtered again)."""
        raise NotImplementedError

    def _io_live_runs(self) -> list[RunSummary]:
        raise NotImplementedError
