"""Subscriptions to runs: replay from the store, then the live tail, with no gap at the seam;
and the active-runs feed (every live run at a glance, for sidebars and dashboards).

A subscription is a cursor (the last seq its connection was sent) and a waker. The store
tells the hub after each commit; the hub reads the run's new records from its in-memory tail
once per cursor and hands that Batch to every connection at the cursor that has nothing else
to send (one frame, built once, written to each); the others are woken and read what is
committed past their cursor themselves. Nothing is queued per subscriber, so a slow
connection only falls behind (and catches up from the store), never piles up memory or holds
back anyone else.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from litmus_live import protocol as p
from litmus_live.batch import Batch, Shared
from litmus_live.events import Prompt
from litmus_live.store import EventStore, RunSummary, StoreUnavailable, UnknownRun
from litmus_live.store.tail import EMPTY, Page

log = logging.getLogger(__name__)

# The active-runs feed is rebuilt at most this often; unchanged snapshots are not sent.
ACTIVE_INTERVAL = 0.05
# run_finished messages held for a connection that reads nothing; later ones are dropped
MAX_FINISHED_BACKLOG = 1000
# Channel deltas a connection may fall behind by before they collapse into one snapshot.
MAX_STATE_BACKLOG = 40
# Each wake of a connection costs a frame. With many watchers of one run, wakes are spaced
# (leading edge first) so every connection sends one frame per interval holding all that was
# committed meanwhile: 10 watchers -> at most one wake per ms, 100 -> one per 10 ms, 500 or
# more -> one per 50 ms (half the server CPU of 20 ms at 500 watchers, the frames being most
# of it, and still under a tenth of a second). In a fleet the watchers of every node count
# (`audience`, fleet/audience.py).
WAKE_SPACING_PER_SUBSCRIBER = 0.0001
MAX_WAKE_SPACING = 0.05


class SeqOutOfRange(ValueError):
    pass


class Subscription:
    def __init__(
        self, run_id: str, cursor: int, waker: asyncio.Event, *, is_channels_only: bool = False,
        deliver: Callable[[Batch], bool] | None = None,
    ) -> None:  # fmt: skip
        self.run_id = run_id
        self.cursor = cursor
        self.waker = waker
        self.epoch = ""  # the history of the run the store holds (subscribe)
        self.is_resync = False  # the client's records were of another history: all are sent again
        self.resync_to: str | None = None  # the store's history changed under it: start over in this one
        # sends a batch at once if its connection has nothing else to send first (else False)
        self.deliver = deliver
        self.is_drained = False
        self.is_channels_only = is_channels_only
        # live channel state: deltas to send, or a snapshot first
        self.state_frames: list[bytes] = []
        self.needs_snapshot = True


class FinishedWatch:
    """One connection's finished-runs feed: the `run_finished` messages it has not sent yet."""

    def __init__(self, waker: asyncio.Event) -> None:
        self.waker = waker
        self.frames: list[bytes] = []

    def take(self) -> list[bytes]:
        frames, self.frames = self.frames, []
        return frames


class Hub:
    def __init__(
        self,
        store: EventStore,
        channel_snapshot: Callable[[str], Awaitable[bytes | None]],
        open_prompts: Callable[[str], list[Prompt]] = lambda run_id: [],
        audience: Callable[[str, int], int] = lambda run_id, here: here,
    ) -> None:
        self._store = store
        self._channel_snapshot = channel_snapshot
        self._open_prompts = open_prompts
        self._audience = audience  # (run, its watchers here) -> its watchers wherever they are
        self._finished_watches: set[FinishedWatch] = set()
        self._announcing: set[asyncio.Task[None]] = set()
        self._subs: dict[str, set[Subscription]] = {}
        self._active_watchers: set[asyncio.Event] = set()
        self._active_frame = b""
        self._active_version = 0
        self._active_built = 0.0
        self._active_timer: asyncio.TimerHandle | None = None
        self._last_wake: dict[str, float] = {}
        self._spacing: dict[str, float] = {}  # run -> the spacing of its wakes, as last computed
        self._wake_timers: dict[str, asyncio.TimerHandle] = {}
        self._connections: set[asyncio.Event] = set()
        # the batches read past each cursor at a live run's head, handed to every connection
        # at the same cursor while the head has not moved
        self._shared = Shared()
        self._fault_frame = b""  # the store_unavailable error while the store cannot commit
        self._fault_version = 0

    def notify(self, run_id: str, seq: int) -> None:
        """Called by the store after a commit: wake every connection watching `run_id`."""
        subs = self._subs.get(run_id)
        if subs and run_id not in self._wake_timers:
            spacing = min(MAX_WAKE_SPACING, self._audience(run_id, len(subs)) * WAKE_SPACING_PER_SUBSCRIBER)
            self._spacing[run_id] = spacing
            due = self._last_wake.get(run_id, 0.0) + spacing
            now = time.monotonic()
            if now >= due:
                self._wake(run_id)
            else:
                self._wake_timers[run_id] = asyncio.get_running_loop().call_later(due - now, self._wake, run_id)
        if self._active_watchers and self._active_timer is None:
            delay = max(0.0, self._active_built + ACTIVE_INTERVAL - time.monotonic())
            self._active_timer = asyncio.get_running_loop().call_later(delay, self._rebuild_active)
        if self._finished_watches and self._store.committed_head(run_id) is None:  # that was its last record
            task = asyncio.get_running_loop().create_task(self._announce_finished(run_id))
            self._announcing.add(task)
            task.add_done_callback(self._announcing.discard)

    def wake_spacing(self, run_id: str) -> float:
        """How far apart the wakes of `run_id`'s watchers are spaced now (0 when unwatched).
        A plain read: a store's reading thread may ask it."""
        return self._spacing.get(run_id, 0.0)

    def _wake(self, run_id: str) -> None:
        self._wake_timers.pop(run_id, None)
        self._last_wake[run_id] = time.monotonic()
        head = self._store.committed_head(run_id)  # None: the run is over, each writer sends its end
        for sub in self._subs.get(run_id, ()):
            # channels-only subscriptions are woken by channel updates, and by the end
            if head is None or not (sub.is_channels_only or self._push(sub, head)):
                sub.waker.set()

    def _push(self, sub: Subscription, head: int) -> bool:
        """Hand `sub` what was committed past its cursor, from the run's tail, straight to its
        connection if that has nothing else to send; False leaves the rest to its writer."""
        if sub.resync_to is not None:
            return False  # its writer tells it first
        if sub.cursor >= head:
            return True
        if sub.deliver is None:
            return False
        batch = self._shared.get(sub.run_id, sub.cursor, head)
        if batch is None:
            page = self._store.tail_page(sub.run_id, sub.cursor)
            if page is None:
                return False
            batch = self._shared.keep(sub.run_id, sub.cursor, head, Batch(page))
        if not batch or not sub.deliver(batch):
            return False
        sub.cursor += batch.count
        return sub.cursor >= head

    # -- the finished-runs feed ----------------------------------------------------------

    def watch_finished(self, waker: asyncio.Event) -> FinishedWatch:
        watch = FinishedWatch(waker)
        self._finished_watches.add(watch)
        return watch

    def unwatch_finished(self, watch: FinishedWatch | None) -> None:
        self._finished_watches.discard(watch)  # type: ignore[arg-type]

    async def _announce_finished(self, run_id: str) -> None:
        try:
            summary = await self._store.summary(run_id)
        except (UnknownRun, StoreUnavailable) as exc:  # its complete record still reaches its subscribers
            log.warning("could not announce that run %s finished: %s", run_id, exc)
            return
        fields = {f: getattr(summary, f) for f in p.RunFinished.__struct_fields__}
        frame = p.encode(p.RunFinished(**fields))
        for watch in self._finished_watches:
            if len(watch.frames) < MAX_FINISHED_BACKLOG:
                watch.frames.append(frame)
            watch.waker.set()

    # -- store faults: every connection is told at once ------------------------------------

    def attach(self, waker: asyncio.Event) -> None:
        self._connections.add(waker)

    def detach(self, waker: asyncio.Event) -> None:
        self._connections.discard(waker)

    def store_fault(self, reason: str | None) -> None:
        """Called by the store when commits start failing (`reason`) or succeed again (None)."""
        error = p.Error(code=p.ErrorCode.STORE_UNAVAILABLE, message=reason or "")
        self._fault_frame = b"" if reason is None else p.encode(error)
        self._fault_version += 1
        for waker in self._connections:
            waker.set()

    def fault(self) -> tuple[int, bytes]:
        """The current store_unavailable error (encoded once; empty when none) and its version."""
        return self._fault_version, self._fault_frame

    # -- the active-runs feed ------------------------------------------------------------

    def watch_active(self, waker: asyncio.Event) -> None:
        if not self._active_watchers:
            self._rebuild_active()
        self._active_watchers.add(waker)
        waker.set()

    def unwatch_active(self, waker: asyncio.Event) -> None:
        self._active_watchers.discard(waker)

    def active(self) -> tuple[int, bytes]:
        """The latest active-runs snapshot, encoded once for every watcher, and its version."""
        return self._active_version, self._active_frame

    def _rebuild_active(self) -> None:
        self._active_timer = None
        self._active_built = time.monotonic()
        live = [s for s in self._store.live_runs() if s.is_live]
        runs = [_active_run(s, self._open_prompts(s.run_id)) for s in sorted(live, key=lambda s: s.created_at)]
        frame = p.encode(p.ActiveRuns(runs=runs))
        if frame == self._active_frame:
            return
        self._active_frame = frame
        self._active_version += 1
        for waker in self._active_watchers:
            waker.set()

    async def subscribe(
        self, run_id: str, since_seq: int, waker: asyncio.Event, *, is_channels_only: bool = False,
        deliver: Callable[[Batch], bool] | None = None, epoch: str | None = None,
    ) -> tuple[Subscription, RunSummary]:  # fmt: skip
        """Start delivering `run_id` after `since_seq`, or from 0 when `epoch` is not the run's
        (the client's records are of a history the store lost); raises UnknownRun or SeqOutOfRange."""
        summary = await self._store.summary(run_id)
        current = await self._store.epoch(run_id)
        is_resync = epoch is not None and epoch != current
        since_seq = 0 if is_resync else since_seq
        head = self._store.committed_head(run_id)
        head = summary.last_seq if head is None else head
        if since_seq > head:
            raise SeqOutOfRange(f"since_seq {since_seq} is past the last seq of run {run_id} ({head})")
        sub = Subscription(run_id, since_seq, waker, is_channels_only=is_channels_only, deliver=deliver)
        sub.epoch, sub.is_resync = current, is_resync
        if run_id not in self._subs:
            self._store.watch(run_id)
        self._subs.setdefault(run_id, set()).add(sub)
        summary.last_seq = head
        waker.set()
        return sub, summary

    async def has_run(self, run_id: str) -> bool:
        try:
            await self._store.summary(run_id)
        except UnknownRun:
            return False
        return True

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.run_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.run_id]
                self._last_wake.pop(sub.run_id, None)
                self._spacing.pop(sub.run_id, None)
                self._shared.forget(sub.run_id)
                self._store.unwatch(sub.run_id)

    def publish_state(self, run_id: str, frame: bytes) -> None:
        """A channel delta for every subscriber of `run_id` (encoded once)."""
        for sub in self._subs.get(run_id, ()):
            if len(sub.state_frames) >= MAX_STATE_BACKLOG:
                sub.state_frames.clear()
                sub.needs_snapshot = True
            else:
                sub.state_frames.append(frame)
            sub.waker.set()

    def epoch_changed(self, run_id: str, epoch: str) -> None:
        """The store holds another history of `run_id` now (it lost records, §4.2): each of its
        subscriptions of an older one is told `subscribed` with `resync` again and sent the log
        from seq 1 (by its writer: nothing more is pushed to it at the old cursor)."""
        self._shared.forget(run_id)
        for sub in self._subs.get(run_id, ()):
            if sub.epoch != epoch and not sub.is_channels_only:
                sub.resync_to = epoch
                sub.waker.set()

    async def _resync(self, sub: Subscription) -> bytes:
        """The `subscribed` that starts `sub` over in the run's new history, its cursor at 0."""
        summary = await self._store.summary(sub.run_id)
        head = self._store.committed_head(sub.run_id)
        sub.epoch, sub.resync_to, sub.is_resync = sub.resync_to or "", None, True
        sub.cursor, sub.needs_snapshot = 0, True
        head = summary.last_seq if head is None else head
        return p.encode(p.Subscribed(run_id=sub.run_id, since_seq=0, head_seq=head, status=summary.status,
                                     epoch=sub.epoch, resync=True))  # fmt: skip

    async def pending_state(self, sub: Subscription) -> list[bytes]:
        """Channel state the subscriber has not had: a snapshot when it needs one, then deltas;
        first, when the run's history changed under it, the `subscribed` that starts it over."""
        frames: list[bytes] = [await self._resync(sub)] if sub.resync_to is not None else []
        if sub.needs_snapshot:
            sub.needs_snapshot = False
            sub.state_frames.clear()
            snapshot = await self._channel_snapshot(sub.run_id)
            if snapshot is not None:
                frames.append(snapshot)
        frames += sub.state_frames
        sub.state_frames = []
        return frames

    async def pending(self, sub: Subscription) -> Batch:
        """The next committed records after the cursor (a bounded batch), advancing it.

        When the run is complete and everything was delivered, the subscription is dropped
        and `is_drained` turns true.
        """
        if sub.is_channels_only:
            return await self._pending_end(sub)
        head = self._store.committed_head(sub.run_id)
        records = self._shared.get(sub.run_id, sub.cursor, head)
        if records is None:
            cursor = sub.cursor
            page = await self._store.page(sub.run_id, cursor)
            records = self._shared.keep(sub.run_id, cursor, head, Batch(page))
        if records:
            sub.cursor += records.count
        elif self._store.committed_head(sub.run_id) is None:
            sub.is_drained = True
            self.unsubscribe(sub)
        return records

    async def settle(self, run_ids: set[str], timeout: float = 2.0) -> None:
        """Return once no connection has records of `run_ids` left to send, or after `timeout`: a
        graceful stop closes clients only once they hold how their runs ended. (A stop, not a live
        path: it looks every 10 ms.)"""
        deadline = time.monotonic() + timeout
        while any(self._subs.get(run_id) for run_id in run_ids) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.01)  # the last batch's write

    async def _pending_end(self, sub: Subscription) -> Batch:
        """For a channels-only subscription: nothing while the run is live, then its `complete`."""
        if self._store.committed_head(sub.run_id) is not None:
            return Batch()
        last = (await self._store.summary(sub.run_id)).last_seq
        records = Batch(Page.of(await self._store.since(sub.run_id, last - 1)) if last > sub.cursor else EMPTY)
        sub.cursor, sub.is_drained = last, True
        self.unsubscribe(sub)
        return records

    def subscriber_count(self) -> int:
        return sum(len(subs) for subs in self._subs.values())


def _active_run(s: RunSummary, prompts: list[Prompt]) -> p.ActiveRun:
    """`s` as the feed shows it: only prompts its committed summary holds open, and their count
    (a prompt the runner holds but the store has not yet committed is not shown)."""
    prompts = [q for q in prompts if q.prompt_id in s.open_prompts]
    return p.ActiveRun(
        run_id=s.run_id,
        test_path=s.test_path,
        uut_serial=s.uut_serial,
        operator=s.operator,
        station=s.station,
        created_at=s.created_at,
        status=s.status,
        total=s.total,
        done=s.done,
        current_step=s.current_step,
        prompts_waiting=len(prompts),
        prompts=prompts,
    )
