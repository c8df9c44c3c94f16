"""The test process's end of the private channel to the runner.

`report()` never waits on the socket: reports are queued and a sender thread writes
whatever is pending as one frame. If the runner goes away (the server died), the test
process is interrupted rather than left running unobserved.
"""

from __future__ import annotations

import _thread
import os
import socket
import threading

from litmus_live.plugin.report import FD_ENV, Report, pack

_EXIT_GRACE = 10.0


class Channel:
    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._cond = threading.Condition()
        self._queue: list[Report] = []
        self._is_closing = False
        self._sender = threading.Thread(target=self._send_loop, name="litmus-sender", daemon=True)
        self._watcher = threading.Thread(target=self._watch_runner, name="litmus-watcher", daemon=True)
        self._sender.start()
        self._watcher.start()

    @classmethod
    def from_env(cls) -> Channel | None:
        fd = os.environ.get(FD_ENV)
        if not fd:
            return None
        return cls(socket.socket(fileno=int(fd)))

    def report(self, item: Report) -> None:
        with self._cond:
            self._queue.append(item)
            self._cond.notify()

    def close(self) -> None:
        """Send everything queued, then stop; called once, at the end of the session."""
        with self._cond:
            self._is_closing = True
            self._cond.notify()
        self._sender.join()
        self._sock.shutdown(socket.SHUT_WR)

    def _send_loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._is_closing:
                    self._cond.wait()
                batch, self._queue = self._queue, []
                is_last = self._is_closing
            if batch:
                try:
                    self._sock.sendall(pack(batch))
                except OSError:
                    return
            if is_last:
                return

    def _watch_runner(self) -> None:
        try:
            while self._sock.recv(65536):
                pass
        except OSError:
            pass
        with self._cond:
            if self._is_closing:
                return
        # The runner is gone: stop the tests as Ctrl-C would, and make sure the process ends.
        _thread.interrupt_main()
        threading.Timer(_EXIT_GRACE, os._exit, args=(3,)).start()
