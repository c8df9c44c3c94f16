"""What one frame to a connection holds: a Batch of messages already encoded, joined once.

The hub reads committed records a page at a time (store/tail.py's Page); every connection at
the same cursor gets the same Batch (Shared keeps them by cursor), so its frame is built once
for all of them. A session joins its own messages and batches, in order, into frames of at
most about MAX_SERVER_FRAME.
"""

from __future__ import annotations

from collections.abc import Callable

from litmus_live import protocol as p
from litmus_live.store.tail import EMPTY, Page


class Batch:
    """`count` messages (usually records in seq order), their JSON joined by commas."""

    def __init__(self, page: Page = EMPTY) -> None:
        self.count, self.body = page
        self._frame: bytes | None = None

    def __bool__(self) -> bool:
        return self.count > 0

    def payload(self) -> bytes:
        """One message, or an array of them: what a frame of their own holds."""
        return b"".join(self._parts())

    def frame(self, build: Callable[..., bytes]) -> bytes:
        """The frame `build` makes of the payload's parts, made by the first connection to send it."""
        if self._frame is None:
            self._frame = build(*self._parts())
        return self._frame

    def _parts(self) -> tuple[bytes, ...]:
        return (self.body,) if self.count == 1 else (b"[", self.body, b"]")


class Shared:
    """The batches read past each cursor of a run while its head stays where it was: every
    connection at the same cursor is handed the same Batch, in whatever order connections at
    other cursors are served. At most MAX_CURSORS are kept per run (the oldest go first)."""

    MAX_CURSORS = 32

    def __init__(self) -> None:
        self._runs: dict[str, tuple[int, dict[int, Batch]]] = {}

    def get(self, run_id: str, cursor: int, head: int | None) -> Batch | None:
        kept = self._runs.get(run_id)
        if kept is None or kept[0] != head:
            return None
        return kept[1].get(cursor)

    def keep(self, run_id: str, cursor: int, head: int | None, batch: Batch) -> Batch:
        """Keep `batch` for the connections at `cursor` until the head moves. An empty one is
        not kept: a head learnt before its records (a run another node writes) must be read
        again when they arrive, not answered "nothing" until the head moves."""
        if head is None:
            self.forget(run_id)
        elif batch:
            kept = self._runs.get(run_id)
            if kept is None or kept[0] != head:
                kept = self._runs[run_id] = (head, {})
            if len(kept[1]) >= self.MAX_CURSORS:
                del kept[1][next(iter(kept[1]))]
            kept[1][cursor] = batch
        return batch

    def forget(self, run_id: str) -> None:
        self._runs.pop(run_id, None)


def single(message: bytes) -> Batch:
    return Batch(Page(1, message))


def framed(segments: list[Batch]) -> list[Batch]:
    """`segments` joined, in order, into frames of at most about MAX_SERVER_FRAME bytes each (a
    larger segment is a frame of its own)."""
    frames: list[Batch] = []
    group: list[Batch] = []
    size = 0
    for segment in segments:
        if group and size + len(segment.body) > p.MAX_SERVER_FRAME:
            frames.append(_joined(group))
            group, size = [], 0
        group.append(segment)
        size += len(segment.body) + 1
    if group:
        frames.append(_joined(group))
    return frames


def _joined(group: list[Batch]) -> Batch:
    if len(group) == 1:
        return group[0]
    return Batch(Page(sum(segment.count for segment in group), b",".join(segment.body for segment in group)))
