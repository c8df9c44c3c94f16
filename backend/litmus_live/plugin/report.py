"""What the pytest plugin tells the runner, and the runner answers, over their private channel.

The channel is a socket pair inherited by the test process (its fd in LITMUS_LIVE_FD). Each
frame is a 4-byte big-endian length and a msgpack array of reports, so a burst costs one write.
"""

from __future__ import annotations

import struct

import msgspec

from litmus_live.plugin.definitions import PromptDefinition

FD_ENV = "LITMUS_LIVE_FD"
HEADER = struct.Struct(">I")
MAX_FRAME = 16 * 1024 * 1024


class _Report(msgspec.Struct, frozen=True, kw_only=True, tag_field="report", array_like=True):
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


class PromptAsk(_Report, kw_only=True, tag="prompt_ask"):
    prompt_id: str
    name: str
    definition: PromptDefinition
    nodeid: str | None


class Samples(_Report, kw_only=True, tag="samples"):
    """Readings of one channel: times (epoch seconds) and values, in order."""

    channel: str
    unit: str
    t: list[float]
    v: list[float | int | bool | str]


class Measurement(_Report, kw_only=True, tag="measurement"):
    name: str
    value: float
    low: float | None
    high: float | None
    unit: str
    is_pass: bool
    nodeid: str | None
    ts: float


class PromptReply(_Report, kw_only=True, tag="prompt_reply"):
    """Runner -> test process: how a prompt was resolved."""

    prompt_id: str
    resolution: str
    value: bool | str | None
    who: str
    via: str | None
    reason: str


Report = Collected | StepStarted | StepFinished | SessionFinished | PromptAsk | Samples | Measurement

encoder = msgspec.msgpack.Encoder()
decoder = msgspec.msgpack.Decoder(list[Report])
reply_decoder = msgspec.msgpack.Decoder(list[PromptReply])


def pack(reports: list[Report] | list[PromptReply]) -> bytes:
    body = encoder.encode(reports)
    return HEADER.pack(len(body)) + body
