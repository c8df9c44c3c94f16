"""Live channel state per run: last value, count, min, max and a bounded, decimated history.

Fed by the runner with each batch of readings (the store keeps every sample separately).
Viewers get deltas at most every TICK seconds per run, encoded once for all of them through
`publish`; a viewer who attaches gets a snapshot, so a sparkline is never blank.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence

from litmus_live import protocol as p
from litmus_live.reports import Samples
from litmus_live.store import SampleBatch

HISTORY = 300
TICK = 0.05
Point = tuple[float, p.Reading]


def decimate(times: Sequence[float], values: Sequence[p.Reading], buckets: int = 1) -> list[Point]:
    """Few points for a burst: split it into `buckets` equal runs and keep each run's minimum
    and maximum in time order, then the burst's last reading, so spikes survive."""
    if len(values) <= 2 * buckets + 1:
        return list(zip(times, values, strict=True))
    keep = {len(values) - 1}
    size = len(values) / buckets
    for b in range(buckets):
        run = [i for i in range(int(b * size), int((b + 1) * size)) if _is_number(values[i])]
        if run:
            keep.add(min(run, key=values.__getitem__))
            keep.add(max(run, key=values.__getitem__))
    return [(times[i], values[i]) for i in sorted(keep)]


def _is_number(value: object) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool)


class _Channel:
    def __init__(self, name: str, unit: str) -> None:
        self.name, self.unit = name, unit
        self.low: float | None = None
        self.high: float | None = None
        self.count = 0
        self.min: float | None = None
        self.max: float | None = None
        self.history: deque[Point] = deque(maxlen=HISTORY)
        self.pending_t: list[float] = []
        self.pending_v: list[p.Reading] = []

    def flush(self) -> list[Point]:
        times, values = self.pending_t, self.pending_v
        self.pending_t, self.pending_v = [], []
        self.count += len(values)
        numbers = [v for v in values if _is_number(v)]
        if numbers:
            low, high = min(numbers), max(numbers)
            self.min = low if self.min is None else min(self.min, low)
            self.max = high if self.max is None else max(self.max, high)
        # finer while the history has room (a single burst still draws a shape), coarser once
        # it is full (a continuous fast channel keeps a longer window)
        buckets = max(1, min(10, (HISTORY - len(self.history)) // 20))
        points = decimate(times, values, buckets)
        self.history.extend(points)
        return points

    def state(self, points: list[Point]) -> p.ChannelState:
        last = self.history[-1] if self.history else (None, None)
        return p.ChannelState(
            name=self.name, unit=self.unit, count=self.count, last=last[1], last_t=last[0],
            min=self.min, max=self.max, points=points, low=self.low, high=self.high,
        )  # fmt: skip


class ChannelBoard:
    """The runner's Readings: every batch is kept (`keep_samples`) and shown live."""

    def __init__(
        self,
        publish: Callable[[str, bytes], None],
        keep_samples: Callable[[SampleBatch], None],
        save_snapshot: Callable[[str, bytes], None],
    ) -> None:
        self._publish = publish
        self._keep_samples = keep_samples
        self._save_snapshot = save_snapshot
        self._runs: dict[str, dict[str, _Channel]] = {}
        self._dirty: set[str] = set()
        self._timer: asyncio.TimerHandle | None = None

    def keep(self, run_id: str, samples: Samples) -> None:
        self._keep_samples((run_id, samples.channel, samples.unit, samples.t, samples.v))
        self.ingest(run_id, samples.channel, samples.unit, samples.t, samples.v)
        if samples.low is not None or samples.high is not None:
            channel = self._runs[run_id][samples.channel]
            channel.low, channel.high = samples.low, samples.high

    def ingest(self, run_id: str, name: str, unit: str, times: Sequence[float], values: Sequence[p.Reading]) -> None:
        channels = self._runs.setdefault(run_id, {})
        channel = channels.get(name)
        if channel is None:
            channel = channels[name] = _Channel(name, unit)
        channel.unit = unit or channel.unit
        channel.pending_t.extend(times)
        channel.pending_v.extend(values)
        self._dirty.add(run_id)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(TICK, self._tick)

    def snapshot(self, run_id: str) -> bytes | None:
        """Every channel of a live run with its whole history, or None when it has none."""
        channels = self._runs.get(run_id)
        if not channels:
            return None
        states = [c.state(list(c.history)) for c in channels.values()]
        return p.encode(p.Channels(run_id=run_id, is_snapshot=True, channels=states))

    def finish_update(self, run_id: str) -> None:
        """Flush a run's pending readings now instead of at the next tick."""
        if run_id in self._dirty:
            self._dirty.discard(run_id)
            self._flush(run_id)

    def finish(self, run_id: str) -> None:
        """Flush the run's last readings to viewers, keep its final snapshot, and forget it."""
        self.finish_update(run_id)
        final = self.snapshot(run_id)
        if final is not None:
            self._save_snapshot(run_id, final)
        self._runs.pop(run_id, None)

    def _tick(self) -> None:
        self._timer = None
        dirty, self._dirty = self._dirty, set()
        for run_id in dirty:
            self._flush(run_id)

    def _flush(self, run_id: str) -> None:
        changed = [c for c in self._runs.get(run_id, {}).values() if c.pending_v]
        if changed:
            states = [c.state(c.flush()) for c in changed]
            self._publish(run_id, p.encode(p.Channels(run_id=run_id, is_snapshot=False, channels=states)))


def rebuild(run_id: str, batches: list[SampleBatch]) -> bytes | None:
    """A run's final snapshot from its stored readings (for a run whose server stopped before
    it could keep one); each stored batch counts as one update."""
    board = ChannelBoard(lambda run_id, frame: None, lambda batch: None, lambda run_id, snapshot: None)
    for _, name, unit, times, values in batches:
        board.ingest(run_id, name, unit, times, values)
        board.finish_update(run_id)
    return board.snapshot(run_id)
