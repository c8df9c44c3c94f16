"""A test that writes on the private report channel what no plugin would: the run must go on."""

import os
import socket
import time

import pytest


def _channel() -> socket.socket:
    """A second handle on the plugin's own socket to the runner."""
    import litmus_live_plugin

    return socket.socket(fileno=os.dup(litmus_live_plugin._live.channel._sock.fileno()))


@pytest.mark.parametrize(
    "frame",
    [
        b"\xff\xfe not json at all\n",
        b'{"report": "step_finished", "nodeid": 7}\n',
        b'{"report": "prompt_ask", "prompt_id": "p1", "name": "n", "definition": {"message": "'
        + b"m" * 3000
        + b'"}, "nodeid": null}\n',
        b'{"report": "output", "stream": "stdout", "text": "' + b"z" * (2 * 1024 * 1024) + b'"}\n',
        # well-formed, but what the server cannot act on: a time past the calendar, a prompt asked twice
        b'{"report": "step_started", "nodeid": "test_garbage_report.py::nope", "ts": 1e300}\n',
        b'{"report": "prompt_ask", "prompt_id": "dup", "name": "n", "definition": {"message": "m"}, "nodeid": null}\n'
        * 2,
        b'{"report": "prompt_ask", "prompt_id": "t", "name": "n", "nodeid": null,'
        b' "definition": {"message": "m", "timeout_seconds": 1e300}}\n',
    ],
    ids=["garbage", "wrong-type", "message-too-long", "oversized", "time-overflow", "asked-twice", "timeout-overflow"],
)
def test_writes_a_bad_frame(frame):
    time.sleep(0.2)  # let the plugin's own reports of this step leave first: frames must not interleave
    with _channel() as sock:
        sock.sendall(b"\n" + frame)


def test_still_runs():
    pass
