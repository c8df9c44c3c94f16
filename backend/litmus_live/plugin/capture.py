"""Output live, without changing how pytest captures: lines are read from pytest's own capture
files as a test writes them, and passed on, byte for byte, to the runner's stdout and stderr.

With `--capture=fd` (pytest's default) pytest redirects fds 1 and 2 into temporary files and
empties them after each phase. A thread reads whole lines added since it last looked (pread:
pytest's own file position is never moved), as pytest has no notification for a write: every
POLL_FLOWING seconds while the files grow, backing off (doubling) to POLL_IDLE once they stop,
so a line reaches the runner about a millisecond after it was written while output flows and
an idle test costs a few fstat calls a second. At the end of each phase, just before pytest
reads and empties its files, the rest is read (`finish_phase`). They go to the process's real
stdout and stderr as they were before pytest redirected them (dups taken before pytest
starts), where the runner reads lines.
What the phase's captured section holds beyond that (nothing, with fd capture) is sent from
the section. With `--capture=sys` the sections alone carry the output; with `-s` and
`tee-sys` it reaches the runner's pipes itself, and sections are not sent.
"""

from __future__ import annotations

import os
import threading

import pytest

POLL_FLOWING = 0.002
POLL_IDLE = 0.02


def _capture_files(config: pytest.Config) -> dict[str, int]:
    """stream -> fd of pytest's global capture file, when pytest captures at the fd level."""
    capman = config.pluginmanager.getplugin("capturemanager")
    multi = getattr(capman, "_global_capturing", None)
    found = {}
    for stream in ("stdout", "stderr"):
        capture = getattr(multi, "out" if stream == "stdout" else "err", None)
        tmpfile = getattr(capture, "tmpfile", None)
        try:
            found[stream] = tmpfile.fileno()  # type: ignore[union-attr]
        except (AttributeError, OSError, ValueError):
            continue
    return found


def sends_sections(config: pytest.Config) -> bool:
    """Whether captured sections carry output the runner's pipes never see."""
    return config.getoption("capture", "fd") in ("fd", "sys")


class LiveOutput:
    def __init__(self, files: dict[str, int], terminal: dict[str, int]) -> None:
        self._terminal = terminal
        self._files = files
        self._lock = threading.Lock()
        self._offsets = dict.fromkeys(files, 0)
        self._sent = dict.fromkeys(files, 0)  # characters of this phase's output sent so far
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="litmus-output", daemon=True)

    @classmethod
    def start(cls, config: pytest.Config, terminal: tuple[int, int] | None) -> LiveOutput | None:
        files = _capture_files(config) if config.getoption("capture", "fd") == "fd" and terminal else {}
        if not files or terminal is None:
            return None
        live = cls(files, {"stdout": terminal[0], "stderr": terminal[1]})
        live._thread.start()
        return live

    def finish_phase(self) -> None:
        """The phase is ending: send everything its files hold, partial last lines too."""
        for stream, fd in self._files.items():
            try:
                size = os.fstat(fd).st_size
            except OSError:
                continue
            if size > self._offsets[stream]:  # most phases print nothing: no lock taken for them
                with self._lock:
                    self._read(stream, fd, whole_lines=False)

    def phase_done(self) -> dict[str, int]:
        """pytest has emptied its files: how much of the phase was sent; the next phase starts at 0."""
        with self._lock:
            if not any(self._offsets.values()):  # nothing read this phase (nothing sent either)
                return self._sent
            sent, self._sent = self._sent, dict.fromkeys(self._files, 0)
            self._offsets = dict.fromkeys(self._files, 0)
        return sent

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _follow(self) -> None:
        rest, sizes = POLL_IDLE, dict.fromkeys(self._files, 0)
        while not self._stop.wait(rest):
            with self._lock:
                now = {stream: self._read(stream, fd) for stream, fd in self._files.items()}
            if None in now.values():
                return
            rest = POLL_FLOWING if now != sizes else min(rest * 2, POLL_IDLE)
            sizes = now

    def _read(self, stream: str, fd: int, whole_lines: bool = True) -> int | None:
        """Pass on what `fd` gained since the last read; returns its size, None once it is closed."""
        try:
            size = os.fstat(fd).st_size
            if size <= self._offsets[stream]:
                return size
            data = os.pread(fd, size - self._offsets[stream], self._offsets[stream])
        except OSError:
            return None
        taken = data[: data.rfind(b"\n") + 1] if whole_lines else data
        if taken:
            self._offsets[stream] += len(taken)
            self._sent[stream] += len(taken.decode("utf-8", "replace"))  # counted as pytest decodes it
            _write_all(self._terminal[stream], taken)
        return size


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
