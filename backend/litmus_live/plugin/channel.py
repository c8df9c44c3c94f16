"""The test process's end of the private channel to the runner.

`report()` never waits on the socket: reports are queued and a sender thread writes
whatever is pending in one write. Channel samples are buffered per channel and flushed
every FLUSH_INTERVAL, so recording a reading costs the test an append. If the runner goes
away (the server died), the test process is interrupted rather than left running unobserved.
A report goes at once when the channel is idle. Only in a burst (another report within BURST_GAP
of a write) does the sender let COALESCE seconds of reports gather before the next write, so a
suite of fast tests leaves in a few large writes and neither process pays a wake-up per report.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import threading

from . import report as r
from .definitions import FD_ENV, MAX_FRAME

_EXIT_GRACE = 10.0
_CLOSE_WAIT = 5.0
FLUSH_INTERVAL = 0.05
BURST_GAP = 0.002
COALESCE = 0.02


class _Buffer:
    __slots__ = ("limits", "t", "unit", "v")

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.limits: tuple[float | None, float | None] = (None, None)
        self.t: list[float] = []
        self.v: list = []


class Channel:
    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._cond = threading.Condition()
        self._queue: list[dict] = []
        self._is_closing = False
        self._is_gone = False
        self._is_listening = False  # the sender waits for the next report (not resting in a burst)
        self._waiters: dict[str, tuple[threading.Event, list[dict]]] = {}
        self._samples_lock = threading.Lock()
        self._samples: dict[str, _Buffer] = {}
        self._sender = threading.Thread(target=self._send_loop, name="litmus-sender", daemon=True)
        self._watcher = threading.Thread(target=self._watch_runner, name="litmus-watcher", daemon=True)
        self._sender.start()
        self._watcher.start()

    @classmethod
    def from_env(cls) -> Channel | None:
        """The channel the runner handed over, if any; the variable is removed so child processes don't reuse it."""
        fd = os.environ.pop(FD_ENV, "")
        if not fd.isdigit():
            return None
        try:
            return cls(socket.socket(fileno=int(fd)))
        except OSError:
            return None

    def report(self, item: dict) -> None:
        with self._cond:
            self._queue.append(item)
            if self._is_listening:  # a sender resting in a burst is not woken per report
                self._cond.notify()

    def report_all(self, items: list[dict]) -> None:
        with self._cond:
            self._queue.extend(items)
            if self._is_listening:
                self._cond.notify()

    def sample(self, name: str, unit: str, times: list[float], values: list, limits: tuple = (None, None)) -> None:
        """Buffer readings of channel `name` and its limits (low, high) if given; they leave with the next flush."""
        with self._samples_lock:
            is_first = not self._samples
            buffer = self._samples.get(name)
            if buffer is None:
                buffer = self._samples[name] = _Buffer(unit)
            buffer.unit = unit or buffer.unit
            buffer.limits = limits if limits != (None, None) else buffer.limits
            buffer.t.extend(times)
            buffer.v.extend(values)
        if is_first:
            with self._cond:
                if self._is_listening:
                    self._cond.notify()

    def _take_samples(self) -> list[dict]:
        with self._samples_lock:
            taken, self._samples = self._samples, {}
        return [piece for name, b in taken.items() for piece in r.samples(name, b.unit, b.t, b.v, b.limits)]

    def ask(self, question: dict, timeout: float | None) -> dict | None:
        """Send `question` (a prompt_ask) and block until the runner replies; None if it never does."""
        done, box = threading.Event(), []
        with self._cond:
            if self._is_gone:
                return None
            self._waiters[question["prompt_id"]] = (done, box)
        self.report(question)
        done.wait(timeout)
        with self._cond:
            self._waiters.pop(question["prompt_id"], None)
        return box[0] if box else None

    def close(self) -> None:
        """Send everything queued, say so, wait for the runner to close its end, then close ours."""
        with self._cond:
            self._is_closing = True
            self._cond.notify()
        self._sender.join()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_WR)
        self._watcher.join(_CLOSE_WAIT)
        self._sock.close()

    def _send_loop(self) -> None:
        while True:
            with self._cond:
                self._is_listening = True
                while not self._queue and not self._is_closing:
                    if self._samples:
                        self._cond.wait(FLUSH_INTERVAL)
                        break
                    self._cond.wait()
                self._is_listening = False
                batch, self._queue = self._queue, []
                is_last = self._is_closing
            # readings first: they were taken before the reports that follow them
            batch = [*self._take_samples(), *batch]
            if batch:
                try:
                    self._sock.sendall(b"".join(r.encode(item) for item in batch))
                except OSError:
                    return
            if is_last:
                return
            self._rest()

    def _rest(self) -> None:
        """After a write: if another report follows within BURST_GAP, let COALESCE seconds of them gather."""
        with self._cond:
            if not self._queue and not self._is_closing:
                self._is_listening = True
                self._cond.wait(BURST_GAP)
                self._is_listening = False
            if self._queue:
                self._cond.wait_for(lambda: self._is_closing, COALESCE)  # only close() wakes it

    def _watch_runner(self) -> None:
        try:
            with self._sock.makefile("rb") as replies:
                for line in replies:
                    self._deliver(line)
        except OSError:
            pass
        with self._cond:
            self._is_gone = True
            for done, _ in self._waiters.values():
                done.set()
            if self._is_closing:
                return
        # The runner is gone: stop the tests as Ctrl-C would, and make sure the process ends.
        os.kill(os.getpid(), signal.SIGINT)
        threading.Timer(_EXIT_GRACE, os._exit, args=(3,)).start()

    def _deliver(self, line: bytes) -> None:
        try:
            reply = json.loads(line) if len(line) <= MAX_FRAME else None
        except ValueError:
            return
        if not isinstance(reply, dict) or reply.get("report") != "prompt_reply":
            return
        with self._cond:
            waiter = self._waiters.get(str(reply.get("prompt_id")))
        if waiter is not None:
            waiter[1].append(reply)
            waiter[0].set()
