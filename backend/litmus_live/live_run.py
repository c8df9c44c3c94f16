"""One live run as the runner sees it: what the test process reports, turned into records.

The runner feeds it plugin reports and output lines; it emits log records (events,
progress, prompts, the final complete) and keeps the counters and the output tail.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import deque
from collections.abc import Callable
from typing import Protocol

from litmus_live import reports as r
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
    ReportError,
    Resolution,
    Status,
    StepFinished,
    StepStarted,
    Stream,
    Verdict,
    Via,
    utcnow,
)
from litmus_live.output_log import OutputLog

TAIL_LINES = 1000
MAX_NODEIDS = 2000
MAX_LINE = 16 * 1024  # bytes of UTF-8 in one output record
COUNTED = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
OpenPrompt = Callable[[Prompt, Callable[[PromptResolved], None]], Prompt]


class Readings(Protocol):
    """Where channel readings go: the store keeps them all, the board shows them live."""

    def keep(self, run_id: str, samples: r.Samples) -> None: ...
    def finish(self, run_id: str) -> None: ...


def _ts(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def pieces(text: str) -> list[str]:
    """`text` cut into pieces of at most MAX_LINE bytes of UTF-8, never inside a character."""
    if len(text) * 4 <= MAX_LINE:
        return [text]
    data = text.encode("utf-8", "replace")
    if len(data) <= MAX_LINE:
        return [text]
    cut, start = [], 0
    while start < len(data):
        end = min(start + MAX_LINE, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a continuation byte: back to the character's start
            end -= 1
        cut.append(data[start:end].decode())
        start = end
    return cut


class LiveRun:
    def __init__(
        self,
        run_id: str,
        emit: Callable[[Record], Record],
        open_prompt: OpenPrompt,
        readings: Readings,
        log: OutputLog,
    ) -> None:
        self.run_id = run_id
        self._sink = emit
        self.is_closed = False
        self._open_prompt = open_prompt
        self._readings = readings
        self.tail: deque[tuple[Stream, str]] = deque(maxlen=TAIL_LINES)
        self.log = log  # closed by the runner once the run has ended; nothing writes to it after complete
        self.process: asyncio.subprocess.Process | None = None
        self.replies: asyncio.StreamWriter | None = None
        self.is_aborted = False
        self.stop_reason = ""  # set when the server ends the run itself (ERROR, this reason)
        self.aborted_by = "operator"
        self.abort: asyncio.Future[None] | None = None  # recording the abort, then interrupting
        self.is_recorded = False  # run_created is durable: the test process may start
        self._asked: set[str] = set()  # prompt ids the test process asked
        self.done = asyncio.get_running_loop().create_future()
        self.counts = dict.fromkeys(COUNTED, 0)
        self.final_counts: dict[str, int] | None = None
        self.collect_errors: list[str] = []
        self.finished = 0
        self.total = 0
        self.current_step: str | None = None
        self.step_started = utcnow()
        self.started = utcnow()
        self.environment: dict[str, str] = {}

    def _emit(self, record: Record) -> Record:
        # after the complete record (a stopping server closes runs first) the log takes nothing more
        return record if self.is_closed else self._sink(record)

    def event(self, data: EventData, ts: dt.datetime | None = None) -> None:
        self._emit(Event(run_id=self.run_id, ts=ts or utcnow(), data=data))

    def _counts(self) -> dict[str, int]:
        c = self.counts if self.final_counts is None else {**self.counts, **self.final_counts}
        return {
            "total": self.total, "done": self.finished, "passed": c["passed"], "failed": c["failed"],
            "skipped": c["skipped"], "errors": c["error"], "xfailed": c["xfailed"], "xpassed": c["xpassed"],
        }  # fmt: skip

    def progress(self, ts: dt.datetime) -> None:
        self._emit(
            Progress(run_id=self.run_id, ts=ts, status=Status.RUNNING, current_step=self.current_step, **self._counts())
        )

    def on_report(self, item: r.Report) -> None:
        # A record's ts is the server's clock when it is recorded (not the test process's report
        # time), so ts never decreases along seq.
        if self.is_closed:
            return
        match item:
            case r.Collected():
                self.total = item.count
                self.event(Collected(count=self.total, nodeids=item.nodeids[:MAX_NODEIDS]))
                self.progress(utcnow())
            case r.CollectError():
                self._collect_error(item)
            case r.StepStarted():
                self.current_step, self.step_started = item.nodeid, _ts(item.ts)
                self.event(StepStarted(nodeid=item.nodeid), utcnow())
                self.progress(utcnow())
            case r.StepFinished():
                self._step_finished(item)
            case r.SessionFinished():
                self.final_counts = item.counts and {k: item.counts.get(k, 0) for k in COUNTED}
            case _:
                self._on_data(item)

    def _on_data(self, item: r.Report) -> None:
        match item:
            case r.Output():
                self.on_output(item)
            case r.PromptAsk():
                self._ask(item)
            case r.PromptAuto():
                self._auto(item)
            case r.Samples():
                self._readings.keep(self.run_id, item)
            case r.Measurement():
                self._measurement(item)

    def _collect_error(self, item: r.CollectError) -> None:
        self.counts["error"] += 1
        self.collect_errors.append(f"{item.nodeid}: {item.reason}")
        self.event(StepFinished(nodeid=item.nodeid, outcome=Outcome.ERROR, duration=0.0, reason=item.reason))
        self.progress(utcnow())

    def _step_finished(self, item: r.StepFinished) -> None:
        for kind, n in item.tally.items():
            if kind in self.counts:
                self.counts[kind] += n
        self.finished += 1
        if self.current_step == item.nodeid:
            self.current_step = None
        data = StepFinished(nodeid=item.nodeid, outcome=item.outcome, duration=item.duration, reason=item.reason)
        self.event(data, utcnow())
        self.progress(utcnow())

    def _measurement(self, item: r.Measurement) -> None:
        verdict = Verdict.ERROR if item.value is None else Verdict.PASS if item.is_pass else Verdict.FAIL
        data = Measurement(
            name=item.name, value=item.value, low=item.low, high=item.high,
            unit=item.unit, verdict=verdict, step=item.nodeid,
        )  # fmt: skip
        self.event(data, utcnow())

    def on_refused(self, refused: r.Refused) -> None:
        """A line of the channel that was no acceptable report: logged; a prompt it asked is withdrawn."""
        self.event(ReportError(step=refused.nodeid or self.current_step, reason=str(refused)))
        if refused.prompt_id is not None:
            self._send(r.PromptReply(prompt_id=refused.prompt_id, resolution="withdrawn", value=None, who="",
                                     via=None, reason=str(refused)))  # fmt: skip

    def _prompt(self, ask: r.PromptAsk | r.PromptAuto) -> Prompt:
        d = ask.definition
        return Prompt(
            run_id=self.run_id, ts=utcnow(), prompt_id=ask.prompt_id, name=ask.name, prompt_type=d.prompt_type,
            message=d.message, choices=d.choices, default=d.default, pattern=d.pattern, min=d.min, max=d.max,
            step=ask.nodeid, timeout_seconds=d.timeout_seconds,
        )  # fmt: skip

    def _is_new_prompt(self, ask: r.PromptAsk | r.PromptAuto) -> bool:
        """A prompt id is asked once per run: a second ask would leave the log with a prompt that never closes."""
        if ask.prompt_id in self._asked:
            self.event(ReportError(step=ask.nodeid or self.current_step, reason=(
                f"a report from the test process was refused: prompt {ask.prompt_id} was asked already")))  # fmt: skip
            return False
        self._asked.add(ask.prompt_id)
        return True

    def _ask(self, ask: r.PromptAsk) -> None:
        if self._is_new_prompt(ask):
            self._open_prompt(self._prompt(ask), self._reply)

    def _auto(self, auto: r.PromptAuto) -> None:
        if not self._is_new_prompt(auto):
            return
        record = self._emit(self._prompt(auto))
        data = PromptResolved(
            prompt_id=auto.prompt_id, resolution=Resolution.ANSWERED, name=auto.name, value=auto.value,
            who="LITMUS_AUTO_CONFIRM", via=Via.AUTO, waited=0.0,
        )  # fmt: skip
        self.event(data, record.ts)

    def _reply(self, data: PromptResolved) -> None:
        reply = r.PromptReply(
            prompt_id=data.prompt_id,
            resolution=data.resolution.value,
            value=data.value,
            who=data.who,
            via=None if data.via is None else data.via.value,
            reason=data.reason,
        )
        self._send(reply)

    def _send(self, reply: r.PromptReply) -> None:
        if self.replies is not None and not self.replies.is_closing():
            self.replies.write(r.encode_reply(reply) + b"\n")

    def on_line(self, stream: Stream, line: str) -> None:
        for piece in pieces(line):
            self.tail.append((stream, piece))
            self.event(Output(stream=stream, line=piece))

    def on_output(self, item: r.Output) -> None:
        """A captured section pytest holds (sys capture, subtests): kept in the full log, one record a line."""
        self.log.write(item.text.encode("utf-8", "replace"))
        lines = item.text.split("\n")
        if lines[-1] == "":
            lines.pop()
        for line in lines:
            self.on_line(item.stream, line.removesuffix("\r"))

    def complete(self, status: Status, exit_code: int | None, reason: str) -> None:
        self._readings.finish(self.run_id)
        now = utcnow()
        if self.current_step is not None:
            interrupted = StepFinished(
                nodeid=self.current_step, outcome=Outcome.INTERRUPTED,
                duration=max((now - self.step_started).total_seconds(), 0.0),
                reason=f"the run ended while this step was running ({reason or status.value})",
            )  # fmt: skip
            self.event(interrupted, now)
            self.current_step = None
        duration = (now - self.started).total_seconds()
        self._emit(
            Complete(run_id=self.run_id, ts=now, status=status, exit_code=exit_code, reason=reason,
                     duration=duration, **self._counts())
        )  # fmt: skip
        self.is_closed = True
