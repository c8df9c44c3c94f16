"""What happens in a run: the records of a run's log, as frozen msgspec Structs.

The runner builds these; the EventStore numbers them (seq) and keeps their encoded bytes;
the same bytes go to every subscriber, so each record is also a wire message (PROTOCOL.md).
"""

from __future__ import annotations

import datetime as dt
import enum

import msgspec

from litmus_live.plugin.definitions import PromptType


class Status(enum.StrEnum):
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    PASSED = "PASSED"
    FAILED = "FAILED"
    ERROR = "ERROR"
    ABORTED = "ABORTED"

    @property
    def is_final(self) -> bool:
        return self not in (Status.STARTING, Status.RUNNING)


class Outcome(enum.StrEnum):
    """A step's outcome; the first six are pytest's summary categories, `interrupted` is a step
    that was running when its run ended (aborted, crashed, stopped)."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERROR = "error"
    XFAILED = "xfailed"
    XPASSED = "xpassed"
    INTERRUPTED = "interrupted"


class Stream(enum.StrEnum):
    STDOUT = "stdout"
    STDERR = "stderr"


class Resolution(enum.StrEnum):
    ANSWERED = "answered"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class Via(enum.StrEnum):
    UI = "ui"
    SCRIPT = "script"
    TERMINAL = "terminal"
    AUTO = "auto"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class _Kind(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind"):
    """Base of the `data` of an `event` record; `kind` names the shape."""


class RunCreated(_Kind, kw_only=True, tag="run_created"):
    test_path: str
    uut_serial: str
    operator: str = ""
    station: str = ""


class Collected(_Kind, kw_only=True, tag="collected"):
    count: int
    nodeids: list[str]


class StepStarted(_Kind, kw_only=True, tag="step_started"):
    nodeid: str


class StepFinished(_Kind, kw_only=True, tag="step_finished"):
    nodeid: str
    outcome: Outcome
    duration: float
    reason: str = ""


class Output(_Kind, kw_only=True, tag="output"):
    stream: Stream
    line: str


class PromptResolved(_Kind, kw_only=True, tag="prompt_resolved"):
    """How a prompt ended: the first valid answer, its deadline passing, or its run ending."""

    prompt_id: str
    resolution: Resolution
    name: str = ""
    value: bool | str | None = None
    who: str = ""
    via: Via | None = None
    waited: float = 0.0
    reason: str = ""


class Verdict(enum.StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"  # no value could be measured: verify(name, None), as Litmus records it


class Measurement(_Kind, kw_only=True, tag="measurement"):
    """A value checked against limits (either may be null: one-sided) by `verify`; value null: ERROR."""

    name: str
    value: float | None
    low: float | None = None
    high: float | None = None
    unit: str = ""
    verdict: Verdict
    step: str | None = None


class ReportError(_Kind, kw_only=True, tag="report_error"):
    """A report of the test process the server could not accept; the run went on without it."""

    step: str | None = None
    reason: str


class AbortRequested(_Kind, kw_only=True, tag="abort_requested"):
    """Someone aborted the run: committed before the test process is interrupted."""

    who: str


EventData = (
    RunCreated
    | Collected
    | StepStarted
    | StepFinished
    | Output
    | PromptResolved
    | Measurement
    | ReportError
    | AbortRequested
)


class _Record(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """A record of a run's log: `seq` is 0 until the store numbers it."""

    run_id: str
    seq: int = 0
    ts: dt.datetime


class Event(_Record, kw_only=True, tag="event"):
    data: EventData


class Progress(_Record, kw_only=True, tag="progress"):
    """The run's state: pytest's summary counts so far (collection errors count as errors),
    `done` the steps finished of the `total` collected."""

    status: Status
    total: int
    done: int
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    errors: int = 0
    xfailed: int = 0
    xpassed: int = 0
    current_step: str | None = None


class Complete(_Record, kw_only=True, tag="complete"):
    """The last record: the verdict, and the final counts (equal to pytest's terminal summary)."""

    status: Status
    exit_code: int | None
    reason: str = ""
    duration: float = 0.0
    total: int = 0
    done: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    errors: int = 0
    xfailed: int = 0
    xpassed: int = 0


class Prompt(_Record, kw_only=True, tag="prompt"):
    """A test asks the operator; open until a prompt_resolved event with its prompt_id."""

    prompt_id: str
    name: str
    prompt_type: PromptType
    message: str
    choices: list[str] | None = None
    default: str | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    step: str | None = None
    timeout_seconds: float | None = None
    deadline: dt.datetime | None = None


Record = Event | Progress | Prompt | Complete
