"""Subscriptions to runs: replay from the store, then the live tail, with no gap at the seam.

A subscription is a cursor (the last seq its connection was sent) and a waker. The store
tells the hub after each commit; the hub wakes the connections watching that run; each
connection then reads what is committed past its cursor. Nothing is queued per subscriber,
so a slow connection only falls behind (and catches up from the store), never piles up
memory or holds back anyone else.
"""

from __future__ import annotations

import asyncio

from litmus_live.store import EventStore, RunSummary


class SeqOutOfRange(ValueError):
    pass


class Subscription:
    def __init__(self, run_id: str, cursor: int, waker: asyncio.Event) -> None:
        self.run_id = run_id
        self.cursor = cursor
        self.waker = waker
        self.is_drained = False


class Hub:
    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._subs: dict[str, set[Subscription]] = {}

    def notify(self, run_id: str, seq: int) -> None:
        """Called by the store after a commit: wake every connection watching `run_id`."""
        for sub in self._subs.get(run_id, ()):
            sub.waker.set()

    async def subscribe(self, run_id: str, since_seq: int, waker: asyncio.Event) -> tuple[Subscription, RunSummary]:
        """Start delivering `run_id` after `since_seq`; raises UnknownRun or SeqOutOfRange."""
        summary = await self._store.summary(run_id)
        head = self._store.committed_head(run_id)
        head = summary.last_seq if head is None else head
        if since_seq > head:
            raise SeqOutOfRange(f"since_seq {since_seq} is past the last seq of run {run_id!r} ({head})")
        sub = Subscription(run_id, since_seq, waker)
        self._subs.setdefault(run_id, set()).add(sub)
        summary.last_seq = head
        waker.set()
        return sub, summary

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.run_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.run_id]

    async def pending(self, sub: Subscription) -> list[bytes]:
        """The next committed records after the cursor (a bounded batch), advancing it.

        When the run is complete and everything was delivered, the subscription is dropped
        and `is_drained` turns true.
        """
        records = await self._store.since(sub.run_id, sub.cursor)
        if records:
            sub.cursor += len(records)
        elif self._store.committed_head(sub.run_id) is None:
            sub.is_drained = True
            self.unsubscribe(sub)
        return records

    def subscriber_count(self) -> int:
        return sum(len(subs) for subs in self._subs.values())
