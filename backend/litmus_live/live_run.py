"""One live run as the runner sees it: what the test process reports, turned into records.

The runner feeds it plugin reports and output lines; it emits log records (events,
progress, prompts, the final complete) and keeps the counters and the output tail.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from litmus_live.events import (
    Collected,
    Complete,
    Event,
    EventData,
    Measurement,
    Outcome,
    Output,
    Progress,
    Prompt,
    PromptResolved,
    Record,
    Status,
    StepFinished,
    StepStarted,
    Stream,
    Verdict,
    utcnow,
)
from litmus_live.plugin import report as r

TAIL_LINES = 1000
MAX_NODEIDS = 2000
OpenPrompt = Callable[[Prompt, Callable[[PromptResolved], None]], Prompt]


class Readings(Protocol):
    """Where channel readings go: the store keeps them all, the board shows them live."""

    def keep(self, run_id: str, samples: r.Samples) -> None: ...
    def finish(self, run_id: str) -> None: ...


def _ts(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


class LiveRun:
    def __init__(
        self,
        run_id: str,
        emit: Callable[[Record], Record],
        open_prompt: OpenPrompt,
        readings: Readings,
        log_path: Path,
    ) -> None:
        self.run_id = run_id
        self._emit = emit
        self._open_prompt = open_prompt
        self._readings = readings
        self.tail: deque[tuple[Stream, str]] = deque(maxlen=TAIL_LINES)
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None
        self.replies: asyncio.StreamWriter | None = None
        self.is_aborted = False
        self.stop_reason = ""  # set when the server ends the run itself (ERROR, this reason)
        self.done = asyncio.get_running_loop().create_future()
        self.counts = {o: 0 for o in Outcome}
        self.total = 0
        self.started = utcnow()
        self.environment: dict[str, str] = {}

    def event(self, data: EventData, ts: dt.datetime | None = None) -> None:
        self._emit(Event(run_id=self.run_id, ts=ts or utcnow(), data=data))

    def progress(self, current_step: str | None, ts: dt.datetime) -> None:
        c = self.counts
        self._emit(
            Progress(
                run_id=self.run_id,
                ts=ts,
                status=Status.RUNNING,
                total=self.total,
                done=sum(c.values()),
                passed=c[Outcome.PASSED],
                failed=c[Outcome.FAILED],
                skipped=c[Outcome.SKIPPED],
                errors=c[Outcome.ERROR],
                current_step=current_step,
            )
        )

    def on_report(self, item: r.Report) -> None:
        match item:
            case r.Collected():
                self.total = len(item.nodeids)
                self.event(Collected(count=self.total, nodeids=item.nodeids[:MAX_NODEIDS]))
                self.progress(None, utcnow())
            case r.StepStarted():
                self.event(StepStarted(nodeid=item.nodeid), _ts(item.ts))
                self.progress(item.nodeid, _ts(item.ts))
            case r.StepFinished():
                outcome = Outcome(item.outcome)
                self.counts[outcome] += 1
                data = StepFinished(nodeid=item.nodeid, outcome=outcome, duration=item.duration, reason=item.reason)
                self.event(data, _ts(item.ts))
                self.progress(None, _ts(item.ts))
            case r.PromptAsk():
                self._ask(item)
            case r.Samples():
                self._readings.keep(self.run_id, item)
            case r.Measurement():
                verdict = Verdict.PASS if item.is_pass else Verdict.FAIL
                data = Measurement(
                    name=item.name, value=item.value, low=item.low, high=item.high,
                    unit=item.unit, verdict=verdict, step=item.nodeid,
                )  # fmt: skip
                self.event(data, _ts(item.ts))
            case r.SessionFinished():
                pass

    def _ask(self, ask: r.PromptAsk) -> None:
        d = ask.definition
        record = Prompt(
            run_id=self.run_id,
            ts=utcnow(),
            prompt_id=ask.prompt_id,
            name=ask.name,
            prompt_type=d.prompt_type,
            message=d.message,
            choices=d.choices,
            default=d.default,
            pattern=d.pattern,
            min=d.min,
            max=d.max,
            step=ask.nodeid,
            timeout_seconds=d.timeout_seconds,
        )
        self._open_prompt(record, self._reply)

    def _reply(self, data: PromptResolved) -> None:
        if self.replies is None or self.replies.is_closing():
            return
        reply = r.PromptReply(
            prompt_id=data.prompt_id,
            resolution=data.resolution.value,
            value=data.value,
            who=data.who,
            via=None if data.via is None else data.via.value,
            reason=data.reason,
        )
        self.replies.write(r.pack([reply]))

    def on_line(self, stream: Stream, line: str) -> None:
        self.tail.append((stream, line))
        self.event(Output(stream=stream, line=line))

    def complete(self, status: Status, exit_code: int | None, reason: str) -> None:
        self._readings.finish(self.run_id)
        now = utcnow()
        duration = (now - self.started).total_seconds()
        self._emit(
            Complete(run_id=self.run_id, ts=now, status=status, exit_code=exit_code, reason=reason, duration=duration)
        )
