"""A run at a glance (the runs list, results header): a fold of the run's log records."""

from __future__ import annotations

import datetime as dt

import msgspec

from litmus_live.events import Complete, Event, Progress, Prompt, PromptResolved, Record, RunCreated, Status


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
    current_step: str | None = None
    last_seq: int = 0
    # prompt ids waiting for an answer, oldest first
    open_prompts: list[str] = msgspec.field(default_factory=list)

    @property
    def is_live(self) -> bool:
        return not self.status.is_final


def start(record: Event) -> RunSummary:
    """The summary of a run whose first record is `record` (a run_created event)."""
    meta = record.data
    if not isinstance(meta, RunCreated):
        raise ValueError(f"a run's first record must be a run_created event, got {type(meta).__name__}")
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
            summary.total, summary.done = record.total, record.done
            summary.passed, summary.failed = record.passed, record.failed
            summary.skipped, summary.errors = record.skipped, record.errors
            summary.current_step = record.current_step
        case Complete():
            summary.status = record.status
            summary.exit_code = record.exit_code
            summary.reason = record.reason
            summary.finished_at = record.ts
            summary.current_step = None
        case Prompt():
            summary.open_prompts.append(record.prompt_id)
        case Event(data=PromptResolved(prompt_id=prompt_id)):
            summary.open_prompts.remove(prompt_id)
        case Event():
            pass
