"""What the store knows about failing commits: since when, why in words, how much waits, and
whether that passed the bound (MAX_PENDING_BYTES waiting, or MAX_OUTAGE seconds failing).

The EventStore reports every byte it queues and every commit's result; an Outage tells
`on_fault` when commits start failing and when one succeeds again, and `on_overflow` once per
outage when the bound is passed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

MAX_PENDING_BYTES = 64 * 1024 * 1024
MAX_OUTAGE = 60.0
log = logging.getLogger(__name__)


class Outage:
    def __init__(self, *, max_pending_bytes: int = MAX_PENDING_BYTES, max_outage: float = MAX_OUTAGE) -> None:
        self.on_fault: Callable[[str | None], None] = lambda reason: None
        self.on_overflow: Callable[[str], None] = lambda reason: None
        self._max_pending_bytes = max_pending_bytes
        self._max_outage = max_outage
        self.pending_bytes = 0
        self.cause: str | None = None  # why commits fail, in words; None while they succeed
        self._since = 0.0
        self._is_over_bound = False

    def describe(self, waiting: int) -> str | None:
        """Why the store cannot commit now (with what waits and since when), or None."""
        if self.cause is None:
            return None
        failing = time.monotonic() - self._since
        return f"the store cannot commit: {self.cause}; {waiting} records waiting in memory for {failing:.0f} s"

    def queued(self, size: int) -> None:
        self.pending_bytes += size
        if self.pending_bytes > self._max_pending_bytes:
            self._overflow(f"more than {self._max_pending_bytes / 2**20:g} MiB of records waited for the store")

    def committed(self, size: int) -> None:
        self.pending_bytes -= size
        if self.cause is not None:
            log.warning("the store commits again after %.1f s", time.monotonic() - self._since)
            self.cause = None
            self.on_fault(None)
        self._is_over_bound &= self.pending_bytes > self._max_pending_bytes

    def failed(self, exc: Exception) -> None:
        if self.cause is None:
            log.error("commit failed, records wait in memory and the commit is retried: %s", exc, exc_info=exc)
            self.cause, self._since = _describe(exc), time.monotonic()
            self.on_fault(f"the store cannot commit: {self.cause}; records wait in memory until it can")
        failing = time.monotonic() - self._since
        if failing > self._max_outage:
            self._overflow(f"the store could not commit for {failing:.0f} s")

    def _overflow(self, what: str) -> None:
        if not self._is_over_bound:
            self._is_over_bound = True
            cause = f" ({self.cause})" if self.cause else ""
            self.on_overflow(f"stopped: {what}{cause}")


def _describe(exc: Exception) -> str:
    """What went wrong, in words: the OS's or SQLite's own message, not a Python repr."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror if exc.filename is None else f"{exc.strerror} ({exc.filename})"
    return str(exc) or type(exc).__name__
