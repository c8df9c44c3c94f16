"""What the pytest plugin tells the runner, and the runner answers, over their private channel.

The channel is a socket pair inherited by the test process (its fd in LITMUS_LIVE_FD). Each
frame is a 4-byte big-endian length and a msgpack array of reports, so a burst costs one write.
"""

from __future__ import annotations

import struct

import msgspec

FD_ENV = "LITMUS_LIVE_FD"
HEADER = struct.Struct(">I")
MAX_FRAME = 16 * 1024 * 1024


class _Report(msgspec.Struct, frozen=True, kw_only=True, tag_field="t", array_like=True):
    pass


class Collected(_Report, kw_only=True, tag="collected"):
    nodeids: list[str]


class StepStarted(_Report, kw_only=True, tag="step_started"):
    nodeid: str
    ts: float


class StepFinished(_Report, kw_only=True, tag="step_finished"):
    nodeid: str
    outcome: str
    duration: float
    reason: str
    ts: float


class SessionFinished(_Report, kw_only=True, tag="session_finished"):
    exitstatus: int


Report = Collected | StepStarted | StepFinished | SessionFinished

encoder = msgspec.msgpack.Encoder()
decoder = msgspec.msgpack.Decoder(list[Report])


def pack(reports: list[Report]) -> bytes:
    body = encoder.encode(reports)
    return HEADER.pack(len(body)) + body
