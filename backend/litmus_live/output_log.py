"""A run's full output log (`runs/<run_id>/output.log` in the data dir), appended by the runner.

Appending never raises and never blocks on a failing disk, so the readers of the test's pipes
keep reading: what the disk refuses (full, or failing) waits in memory, in order, and goes
out with the next write once the disk takes it again. Past MAX_WAITING bytes, newer output is
left out of this file (the store still has every line) and a line says how much is missing.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

MAX_WAITING = 16 * 1024 * 1024
log = logging.getLogger(__name__)


class OutputLog:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._waiting = bytearray()
        self._left_out = 0
        self._is_failing = False

    def write(self, data: bytes) -> None:
        """Append `data` now, or as soon as the disk takes it (nothing, once closed)."""
        if self._fd < 0:
            return
        if self._left_out or len(self._waiting) + len(data) > MAX_WAITING:
            self._left_out += len(data)
        else:
            self._waiting += data
        self._drain()

    def close(self) -> None:
        if self._fd < 0:
            return
        self._drain()
        if self._waiting or self._left_out:
            log.error("%s: %d bytes of output could not be written", self._path, len(self._waiting) + self._left_out)
        os.close(self._fd)
        self._fd = -1

    def _drain(self) -> None:
        while self._waiting or self._left_out:
            if not self._waiting:  # what was left out goes in its place, in words
                self._waiting += (
                    f"[{self._left_out} bytes of output are missing here: the disk refused them]\n".encode()
                )
                self._left_out = 0
            try:
                written = os.write(self._fd, self._waiting)
            except OSError as exc:
                if not self._is_failing:
                    log.error("%s: output waits in memory: %s", self._path, exc.strerror)
                self._is_failing = True
                return
            del self._waiting[:written]
        if self._is_failing:
            log.warning("%s: output is written again", self._path)
        self._is_failing = False
