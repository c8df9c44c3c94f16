"""The group-commit window: how long the store leaves between the start of one commit and
the next, so that the cost of a commit (one fsync, a thread hop, a wake of every viewer)
follows the load.

- A record that arrives after a quiet spell (nothing was waiting when the last window ended)
  is committed at once, and the window after that commit is the floor (the configured
  interval, 2 ms).
- While records keep arriving (some were already waiting when the window ended), each
  commit doubles the window, up to the flowing width: a steady stream pays one fsync per
  flowing width whatever its rate. By default (FLOWING) that is the floor itself, 2 ms.
- A flood (a commit carrying WIDEN_AT records or more) doubles it on up to MAX_WINDOW; once
  commits carry fewer than NARROW_AT it halves back to the flowing width, and a quiet spell
  takes it straight back to the floor.

So a record waits at most the window before its commit starts: the floor when the log is
light, the flowing width while it flows, MAX_WINDOW under a flood.

A server takes another flowing width from LITMUS_COMMIT_WINDOW. A wider one saves fsyncs
(CPU) for a longer wait: at 1,000 records a second, 5 ms makes 200 commits a second instead
of 500 and more than doubles the median latency (the fan-out bench measures both).
"""

from __future__ import annotations

FLOWING = 0.002
WIDEN_AT = 64
NARROW_AT = 8
MAX_WINDOW = 0.016


class CommitWindow:
    def __init__(self, floor: float, flowing: float = FLOWING, ceiling: float = MAX_WINDOW) -> None:
        self.floor = min(floor, flowing)  # a record never waits longer than the flowing width
        self.flowing = flowing
        self.ceiling = max(ceiling, flowing)
        self.seconds = self.floor

    def after(self, carried: int, *, is_flowing: bool) -> float:
        """The window to leave after a commit that carried `carried` records; `is_flowing`:
        they were already waiting when the window before it ended (not after a quiet spell)."""
        if not is_flowing:
            self.seconds = self.floor
        elif carried >= WIDEN_AT:
            self.seconds = min(self.ceiling, self.seconds * 2)
        elif carried < NARROW_AT and self.seconds > self.flowing:
            self.seconds = max(self.flowing, self.seconds / 2)
        else:
            self.seconds = min(self.flowing, self.seconds * 2) if self.seconds < self.flowing else self.seconds
        return self.seconds
