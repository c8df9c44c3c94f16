"""A run at a glance (the runs list, results header): a fold of the run's log records.

The stored row of a live run is a checkpoint of that fold, not written with every commit
(`Checkpoints`): the log is the truth, and a run found live at start-up is folded forward
from its row over the records after the row's last_seq.
"""

from __future__ import annotations

import datetime as dt
import time

import msgspec

from litmus_live.events import (
    Complete,
    Event,
    Outcome,
    Progress,
    Prompt,
    PromptResolved,
    Record,
    Resolution,
    RunCreated,
    Status,
    StepFinished,
    StepStarted,
)

_COUNTS = ("total", "done", "passed", "failed", "skipped", "errors", "xfailed", "xpassed")


class RunSummary(msgspec.Struct, kw_only=True):
    run_id: str
    test_path: str
    uut_serial: str
    operator: str = ""
    station: str = ""
    created_at: dt.datetime
    finished_at: dt.datetime | None = None
    status: Status = Status.STARTING
    exit_code: int | None = None
    reason: str = ""
    total: int = 0
    done: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    errors: int = 0
    xfailed: int = 0
    xpassed: int = 0
    current_step: str | None = None
    last_seq: int = 0
    # prompt ids waiting for an answer, oldest first
    open_prompts: list[str] = msgspec.field(default_factory=list)
    # each open prompt's name and when it was asked, and when the current step started: what a
    # close after a crash says of them (not on the wire)
    asked: dict[str, tuple[str, dt.datetime]] = msgspec.field(default_factory=dict)
    step_since: dt.datetime | None = None

    @property
    def is_live(self) -> bool:
        return not self.status.is_final


class RunQuery(msgspec.Struct, frozen=True, kw_only=True):
    """Which runs a list holds: newest first (by created_at, then run_id), every filter given
    matched exactly, strictly older than the `before` cursor, at most `limit` of them."""

    limit: int = 200
    before: tuple[dt.datetime, str] | None = None  # (created_at, run_id) of the last run already held
    uut_serial: str | None = None
    test_path: str | None = None
    status: Status | None = None
    station: str | None = None
    since: dt.datetime | None = None  # created_at >= since
    until: dt.datetime | None = None  # created_at < until

    def matches(self, s: RunSummary) -> bool:
        fields = ((self.uut_serial, s.uut_serial), (self.test_path, s.test_path), (self.status, s.status),
                  (self.station, s.station))  # fmt: skip
        if any(wanted is not None and wanted != value for wanted, value in fields):
            return False
        if self.before is not None and (s.created_at, s.run_id) >= self.before:
            return False
        return (self.since is None or s.created_at >= self.since) and (self.until is None or s.created_at < self.until)


def start(record: Event) -> RunSummary:
    """The summary of a run whose first record is `record` (a run_created event)."""
    meta = record.data
    if not isinstance(meta, RunCreated):
        raise ValueError(
            f"a run's first record must be a run_created event, got {meta.__struct_config__.tag or 'another record'}"
        )
    return RunSummary(
        run_id=record.run_id,
        test_path=meta.test_path,
        uut_serial=meta.uut_serial,
        operator=meta.operator,
        station=meta.station,
        created_at=record.ts,
    )


def fold(summary: RunSummary, record: Record) -> None:
    """Bring `summary` up to date with `record` (in place: summaries are the store's own)."""
    summary.last_seq = record.seq
    match record:
        case Progress():
            summary.status = record.status
            _take_counts(summary, record)
            summary.current_step = record.current_step
        case Complete():
            if any(getattr(record, name) for name in _COUNTS):  # older logs' complete records carry none
                _take_counts(summary, record)
            summary.status = record.status
            summary.exit_code = record.exit_code
            summary.reason = record.reason
            summary.finished_at = record.ts
            summary.current_step = None
        case Prompt():
            summary.open_prompts.append(record.prompt_id)
            summary.asked[record.prompt_id] = (record.name, record.ts)
        case Event(data=PromptResolved(prompt_id=prompt_id)):
            summary.open_prompts.remove(prompt_id)
            summary.asked.pop(prompt_id, None)
        case Event(data=StepStarted()):
            summary.step_since = record.ts
        case Event():
            pass


def _take_counts(summary: RunSummary, record: Progress | Complete) -> None:
    for name in _COUNTS:
        setattr(summary, name, getattr(record, name))


def closing(summary: RunSummary, reason: str, now: dt.datetime) -> list[Record]:
    """What closes a run found live after a crash: its open prompts withdrawn, the step that was
    running interrupted, and an ERROR complete with the counts so far and the real duration."""
    run_id = summary.run_id
    withdrawn: list[Record] = [Event(run_id=run_id, ts=now, data=_withdrawn(summary, p, reason, now))
                               for p in summary.open_prompts]  # fmt: skip
    if summary.current_step is not None:
        ran = (now - summary.step_since).total_seconds() if summary.step_since is not None else 0.0
        step = StepFinished(nodeid=summary.current_step, outcome=Outcome.INTERRUPTED, duration=max(ran, 0.0),
                            reason=f"the run ended while this step was running ({reason})")  # fmt: skip
        withdrawn.append(Event(run_id=run_id, ts=now, data=step))
    counts = {name: getattr(summary, name) for name in _COUNTS}
    duration = max((now - summary.created_at).total_seconds(), 0.0)
    end = Complete(
        run_id=run_id, ts=now, status=Status.ERROR, exit_code=None, reason=reason, duration=duration, **counts
    )
    return [*withdrawn, end]


def _withdrawn(summary: RunSummary, prompt_id: str, reason: str, now: dt.datetime) -> PromptResolved:
    """A prompt withdrawn at the close: it waited from its prompt record until now."""
    name, asked = summary.asked.get(prompt_id, ("", now))  # (rows written before `asked` existed know neither)
    waited = round(max((now - asked).total_seconds(), 0.0), 3)
    return PromptResolved(prompt_id=prompt_id, resolution=Resolution.WITHDRAWN, name=name, waited=waited, reason=reason)


# A live run's row is rewritten when its status changes, else at most this often.
CHECKPOINT_EVERY = 1.0


class Checkpoints:
    """Which live summaries a commit writes to the store."""

    def __init__(self) -> None:
        self._written: dict[str, tuple[Status, float]] = {}

    def is_due(self, summary: RunSummary) -> bool:
        last = self._written.get(summary.run_id)
        return last is None or last[0] is not summary.status or time.monotonic() - last[1] >= CHECKPOINT_EVERY

    def wrote(self, summary: RunSummary) -> None:
        if summary.status.is_final:
            self._written.pop(summary.run_id, None)
        else:
            self._written[summary.run_id] = (summary.status, time.monotonic())
