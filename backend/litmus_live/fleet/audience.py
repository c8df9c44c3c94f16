"""How many connections of the whole fleet watch each run, for the hub's wake spacing.

The hub spaces the wakes of a run's watchers by how many there are (hub.py: each wake costs
a frame per watcher). Counted per node, a run watched by 100 viewers over 3 nodes would be
woken as often as one watched by 33, and the fleet would send 3 times the frames one node
sends the same 100. So every node puts its own counts in Redis every INTERVAL and reads the
others': the spacing then follows the run's watchers on every node, as on one node.

The counts are learnt from the hub itself (it asks `count` on each commit of a watched run);
a node's entry older than STALE is left out (a node stopped, or no longer watching).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import msgspec
import redis

from litmus_live.store.redis import RedisStore

log = logging.getLogger(__name__)
AUDIENCE = "litmus:audience"  # hash: node -> its counts (_Counts)
INTERVAL = 0.5
STALE = 4 * INTERVAL


class _Counts(msgspec.Struct):
    at: float  # when they were written (epoch seconds)
    runs: dict[str, int]


_decode_counts = msgspec.json.Decoder(_Counts).decode


class Audience:
    def __init__(self, store: RedisStore, *, node: str) -> None:
        self._client, self._node = store.client, node
        self._here: dict[str, tuple[int, float]] = {}  # run -> (watchers here, when the hub last said)
        self._elsewhere: dict[str, int] = {}  # run -> watchers on the other nodes, as last read
        self._task: asyncio.Task[None] | None = None

    def count(self, run_id: str, here: int) -> int:
        """The run's watchers in the whole fleet, `here` of them on this node."""
        self._here[run_id] = (here, time.monotonic())
        if self._task is None:
            self._task = asyncio.create_task(self._share_while_watched(), name="fleet-audience")
        return here + self._elsewhere.get(run_id, 0)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _share_while_watched(self) -> None:
        """Every INTERVAL: write this node's counts and read the others', until nothing here is
        watched any more (then this node's entry is removed)."""
        try:
            while self._current():
                with contextlib.suppress(redis.RedisError):  # Redis away: spacing from what was read
                    self._elsewhere = await asyncio.to_thread(self._io_share, self._current())
                await asyncio.sleep(INTERVAL)
            self._elsewhere = {}
            with contextlib.suppress(redis.RedisError):
                await asyncio.to_thread(self._client.hdel, AUDIENCE, self._node)
        finally:
            self._task = None

    def _current(self) -> dict[str, int]:
        """This node's counts the hub gave within STALE."""
        now = time.monotonic()
        self._here = {run: seen for run, seen in self._here.items() if now - seen[1] <= STALE}
        return {run: n for run, (n, _) in self._here.items()}

    def _io_share(self, mine: dict[str, int]) -> dict[str, int]:
        now = time.time()
        pipe = self._client.pipeline(transaction=False)
        pipe.hset(AUDIENCE, self._node, msgspec.json.encode(_Counts(at=now, runs=mine)))
        pipe.hgetall(AUDIENCE)
        _, entries = pipe.execute()
        elsewhere: dict[str, int] = {}
        for node, body in entries.items():
            counts = _decode_counts(body)
            if node.decode() != self._node and now - counts.at <= STALE:
                for run, n in counts.runs.items():
                    elsewhere[run] = elsewhere.get(run, 0) + n
        return elsewhere
