"""The group-commit window: how long the store leaves between the start of one commit and
the next, so that the cost of a commit (one fsync) follows the load.

While commits carry few records the window stays at its floor (the configured interval,
2 ms), so a record waits at most that long before its commit starts; a record that arrives
after a quiet spell is committed at once. Each commit that carried WIDEN_AT records or more
doubles the window, up to MAX_WINDOW, so a flood pays one fsync per many records; each
commit that carried fewer than NARROW_AT halves it again.
"""

from __future__ import annotations

WIDEN_AT = 64
NARROW_AT = 8
MAX_WINDOW = 0.016


class CommitWindow:
    def __init__(self, floor: float, ceiling: float = MAX_WINDOW) -> None:
        self.floor = floor
        self.ceiling = max(ceiling, floor)
        self.seconds = floor

    def after(self, carried: int) -> float:
        """The window to leave after a commit that carried `carried` records."""
        if carried >= WIDEN_AT:
            self.seconds = min(self.ceiling, self.seconds * 2)
        elif carried < NARROW_AT:
            self.seconds = max(self.floor, self.seconds / 2)
        return self.seconds
