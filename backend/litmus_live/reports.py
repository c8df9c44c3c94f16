"""The plugin's reports as the runner decodes them: one JSON object per line of the private channel.

The plugin (litmus_live/plugin/report.py, standard library only) writes these shapes; the
limits are the shared ones (plugin/definitions.py), so a report the plugin let through is one
the server accepts. A line that is not one of them is refused on its own (`refusal`), the run
goes on.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

import msgspec

from litmus_live.events import Outcome, Stream
from litmus_live.plugin.definitions import (
    MAX_CHOICE,
    MAX_CHOICES,
    MAX_MESSAGE,
    MAX_NAME,
    MAX_UNIT,
    PromptDefinition,
    PromptType,
    problem_of,
)
from litmus_live.wording import in_words

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME)]
Unit = Annotated[str, msgspec.Meta(max_length=MAX_UNIT)]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Choices = Annotated[list[Annotated[str, msgspec.Meta(max_length=MAX_CHOICE)]], msgspec.Meta(max_length=MAX_CHOICES)]


class _Report(msgspec.Struct, frozen=True, kw_only=True, tag_field="report"):
    pass


class Collected(_Report, kw_only=True, tag="collected"):
    count: int
    nodeids: list[str]


class CollectError(_Report, kw_only=True, tag="collect_error"):
    nodeid: str
    reason: str


class StepStarted(_Report, kw_only=True, tag="step_started"):
    nodeid: str
    ts: float


class StepFinished(_Report, kw_only=True, tag="step_finished"):
    nodeid: str
    outcome: Outcome
    duration: float
    reason: str
    tally: dict[str, int] = {}
    ts: float


class Output(_Report, kw_only=True, tag="output"):
    """A test phase's captured output (pytest captured it; the plugin passes it on)."""

    stream: Stream
    nodeid: str | None = None
    text: str


class SessionFinished(_Report, kw_only=True, tag="session_finished"):
    exitstatus: int
    # the terminal summary's counts; null when pytest ran without its terminal reporter
    counts: dict[str, int] | None = None


class Definition(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    message: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_MESSAGE)]
    prompt_type: PromptType = PromptType.CONFIRM
    choices: Choices | None = None
    default: str | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] | None = None


class PromptAsk(_Report, kw_only=True, tag="prompt_ask"):
    prompt_id: Id
    name: Name
    definition: Definition
    nodeid: str | None


class PromptAuto(_Report, kw_only=True, tag="prompt_auto"):
    """A prompt LITMUS_AUTO_CONFIRM answered inside the test process: logged, not asked."""

    prompt_id: Id
    name: Name
    definition: Definition
    nodeid: str | None
    value: bool | str


class Samples(_Report, kw_only=True, tag="samples"):
    """Readings of one channel: times (epoch seconds) and values, in order."""

    channel: Name
    unit: Unit
    t: list[float]
    v: list[float | int | bool | str]
    # the channel's limits as the test declared them (channels.record(..., low=, high=)), if any
    low: float | None = None
    high: float | None = None


class Measurement(_Report, kw_only=True, tag="measurement"):
    name: Name
    value: float | None  # None: nothing could be measured (recorded ERROR)
    low: float | None
    high: float | None
    unit: Unit
    is_pass: bool
    nodeid: str | None
    ts: float


class PromptReply(msgspec.Struct, frozen=True, kw_only=True, tag_field="report", tag="prompt_reply"):
    """Runner -> test process: how a prompt was resolved."""

    prompt_id: str
    resolution: str
    value: bool | str | None
    who: str
    via: str | None
    reason: str


class _Envelope(msgspec.Struct, frozen=True):
    """What can still be read from a refused report: which step, which prompt."""

    report: str = ""
    nodeid: str | None = None
    prompt_id: str | None = None


Report = (
    Collected | CollectError | StepStarted | StepFinished | Output | SessionFinished
    | PromptAsk | PromptAuto | Samples | Measurement
)  # fmt: skip
_decoder = msgspec.json.Decoder(Report)
_envelope = msgspec.json.Decoder(_Envelope)
encode_reply = msgspec.json.Encoder().encode


class Refused(ValueError):
    """A line of the channel that is no report the server accepts; says why and what it touched."""

    def __init__(self, why: str, nodeid: str | None = None, prompt_id: str | None = None) -> None:
        super().__init__(why)
        self.nodeid, self.prompt_id = nodeid, prompt_id


def decode(line: bytes) -> Report:
    """The report on `line`; raises Refused saying why not."""
    try:
        item = _decoder.decode(line)
    except msgspec.DecodeError as exc:
        raise _refusal(line, f"a report from the test process was refused: {in_words(exc)}") from None
    problem = _problem(item)
    if problem:
        raise _refusal(line, f"a report from the test process was refused: {problem}")
    return item


def _problem(item: Report) -> str:
    if isinstance(item, Samples) and len(item.t) != len(item.v):
        return f"channel {item.channel}: {len(item.t)} times for {len(item.v)} values"
    if isinstance(item, PromptAsk | PromptAuto):
        problem = problem_of(definition(item.definition))
        return f"prompt {item.name}: {problem}" if problem else ""
    return ""


def _refusal(line: bytes, why: str) -> Refused:
    try:
        envelope = _envelope.decode(line)
    except msgspec.DecodeError:
        return Refused(why)
    return Refused(why, envelope.nodeid, envelope.prompt_id)


def definition(d: Definition) -> PromptDefinition:
    return PromptDefinition(**{f.name: getattr(d, f.name) for f in dataclasses.fields(PromptDefinition)})
