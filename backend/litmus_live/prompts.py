"""Pending operator prompts: the first valid answer wins; deadlines expire them.

The runner opens a prompt when a test asks (and gives a `reply` callable that resumes the
test); sessions bring answers. Every opening and resolution goes into the run's log via
`emit`; the store refuses a second resolution of the same prompt (compare-and-set). A
resolution is durable (`durable` returned) before the test hears it and before the answerer
is told it won, so the log never contradicts what the test did.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import time
from collections.abc import Awaitable, Callable

import msgspec

from litmus_live.events import Event, Prompt, PromptResolved, Record, Resolution, Via, utcnow
from litmus_live.plugin.definitions import PromptDefinition, check_answer, describe
from litmus_live.store import PromptClosed, StoreUnavailable

Reply = Callable[[PromptResolved], None]
# Decides which resolution of a prompt wins, given ours; the winner and its request id. One
# node alone decides in memory; a fleet decides in the shared store (fleet/decisions.py).
Claim = Callable[[str, str, PromptResolved, str | None], tuple[PromptResolved, str | None]]


def _ours(
    run_id: str, prompt_id: str, data: PromptResolved, request_id: str | None
) -> tuple[PromptResolved, str | None]:
    return data, request_id


_KEEP_RESOLVED = 10_000


class Outcome(enum.StrEnum):
    ACCEPTED = "accepted"
    ALREADY_ANSWERED = "prompt_already_answered"
    INVALID = "invalid_answer"
    NOT_FOUND = "prompt_not_found"
    STORE_UNAVAILABLE = "store_unavailable"


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    run_id: str
    prompt_id: str
    value: bool | int | float | str | None
    who: str
    via: Via
    request_id: str | None = None


class _Pending:
    def __init__(self, record: Prompt, reply: Reply, timer: asyncio.TimerHandle | None) -> None:
        self.record = record
        self.reply = reply
        self.timer = timer
        self.opened = time.monotonic()


class Prompts:
    def __init__(
        self, emit: Callable[[Record], Record], durable: Callable[[], Awaitable[None]], claim: Claim = _ours
    ) -> None:
        self._emit = emit
        self._durable = durable  # returns once everything emitted so far is committed
        self._claim = claim
        self._replies: set[asyncio.Task[None]] = set()
        self._pending: dict[tuple[str, str], _Pending] = {}
        # (run_id, prompt_id) -> the winning answer, so retries and latecomers get the truth
        self._resolved: dict[tuple[str, str], tuple[PromptResolved, str | None]] = {}

    def open(self, record: Prompt, reply: Reply) -> Prompt:
        """Log `record` (a new prompt) and wait for its resolution, which goes to `reply`."""
        if record.timeout_seconds is not None:
            record = msgspec.structs.replace(record, deadline=record.ts + dt.timedelta(seconds=record.timeout_seconds))
        record = self._emit(record)
        timer = None
        if record.timeout_seconds is not None:
            loop = asyncio.get_running_loop()
            timer = loop.call_later(record.timeout_seconds, self._expire, record.run_id, record.prompt_id)
        self._pending[(record.run_id, record.prompt_id)] = _Pending(record, reply, timer)
        return record

    async def answer(self, answer: Answer) -> tuple[Outcome, str]:
        """Try `answer`; the outcome and, unless accepted, why in words. Accepted only once
        the resolution is durable (while the store cannot commit, that waits)."""
        outcome, why = self._judge(answer)
        if outcome is Outcome.ACCEPTED:
            try:
                await self._durable()
            except StoreUnavailable as exc:
                return Outcome.STORE_UNAVAILABLE, f"the answer was not recorded: {exc}"
        return outcome, why

    def _judge(self, answer: Answer) -> tuple[Outcome, str]:
        key = (answer.run_id, answer.prompt_id)
        pending = self._pending.get(key)
        if pending is None:
            return self._judge_late(key, answer)
        why = check_answer(definition(pending.record), answer.value)
        if why:
            return Outcome.INVALID, f"invalid answer to prompt {pending.record.name}: {why}"
        data = PromptResolved(
            prompt_id=answer.prompt_id,
            resolution=Resolution.ANSWERED,
            name=pending.record.name,
            value=answer.value,
            who=answer.who,
            via=answer.via,
            waited=round(time.monotonic() - pending.opened, 3),
        )
        winner, _ = self._resolve(key, data, answer.request_id)
        if winner is not data:
            return Outcome.ALREADY_ANSWERED, _closed_because(answer.prompt_id, winner)
        return Outcome.ACCEPTED, ""

    def is_pending(self, run_id: str, prompt_id: str) -> bool:
        return (run_id, prompt_id) in self._pending

    def settle(self, run_id: str, prompt_id: str, data: PromptResolved, request_id: str | None) -> None:
        """Resolve a prompt of ours with a resolution decided elsewhere (another node's answer)."""
        if (run_id, prompt_id) in self._pending:
            self._settle((run_id, prompt_id), data, request_id)

    def withdraw(self, run_id: str, reason: str) -> None:
        """Close every prompt of `run_id` still waiting (its test ended, or it was aborted)."""
        for key in [k for k in self._pending if k[0] == run_id]:
            data = PromptResolved(
                prompt_id=key[1],
                resolution=Resolution.WITHDRAWN,
                name=self._pending[key].record.name,
                waited=round(time.monotonic() - self._pending[key].opened, 3),
                reason=reason,
            )
            self._resolve(key, data, None)

    def open_records(self, run_id: str) -> list[Prompt]:
        """The `prompt` records of `run_id` still waiting, oldest first."""
        return [pending.record for key, pending in self._pending.items() if key[0] == run_id]

    def waiting(self, run_id: str) -> int:
        return sum(1 for k in self._pending if k[0] == run_id)

    def _expire(self, run_id: str, prompt_id: str) -> None:
        pending = self._pending.get((run_id, prompt_id))
        if pending is None:
            return
        seconds = pending.record.timeout_seconds
        data = PromptResolved(
            prompt_id=prompt_id,
            resolution=Resolution.EXPIRED,
            name=pending.record.name,
            waited=round(time.monotonic() - pending.opened, 3),
            reason=f"no answer within {seconds:g} s",
        )
        self._resolve((run_id, prompt_id), data, None)

    def _resolve(
        self, key: tuple[str, str], data: PromptResolved, request_id: str | None
    ) -> tuple[PromptResolved, str | None]:
        winner = self._claim(key[0], key[1], data, request_id)
        self._settle(key, *winner)
        return winner

    def _settle(self, key: tuple[str, str], data: PromptResolved, request_id: str | None) -> None:
        pending = self._pending.pop(key)
        if pending.timer is not None:
            pending.timer.cancel()
        try:
            self._emit(Event(run_id=key[0], ts=utcnow(), data=data))
        except PromptClosed:
            return  # resolved through the store by someone else (e.g. the run was closed)
        self._resolved[key] = (data, request_id)
        if len(self._resolved) > _KEEP_RESOLVED:
            del self._resolved[next(iter(self._resolved))]
        task = asyncio.create_task(self._reply_when_durable(pending.reply, data))
        self._replies.add(task)
        task.add_done_callback(self._replies.discard)

    async def _reply_when_durable(self, reply: Reply, data: PromptResolved) -> None:
        try:
            await self._durable()
        except StoreUnavailable:
            return  # never recorded: the test must not act on it (its run ends as stopped)
        reply(data)

    def _judge_late(self, key: tuple[str, str], answer: Answer) -> tuple[Outcome, str]:
        resolved = self._resolved.get(key)
        if resolved is None:
            return Outcome.NOT_FOUND, f"run {key[0]} has no prompt {key[1]}"
        data, request_id = resolved
        return judge_late(answer, data, request_id)


def judge_late(answer: Answer, data: PromptResolved, request_id: str | None) -> tuple[Outcome, str]:
    """An answer to a prompt already resolved as `data`: a retry of the winner, or too late."""
    if answer.request_id is not None and answer.request_id == request_id and answer.value == data.value:
        return Outcome.ACCEPTED, ""  # a retry of the winning answer
    return Outcome.ALREADY_ANSWERED, _closed_because(answer.prompt_id, data)


def _closed_because(prompt_id: str, data: PromptResolved) -> str:
    if data.resolution is Resolution.ANSWERED:
        return f"prompt {prompt_id} was already answered {describe(data.value)} by {data.who} via {data.via}"
    return f"prompt {prompt_id} is closed: {data.resolution} ({data.reason})"


def definition(record: Prompt) -> PromptDefinition:
    return PromptDefinition(
        message=record.message,
        prompt_type=record.prompt_type,
        choices=record.choices,
        default=record.default,
        pattern=record.pattern,
        min=record.min,
        max=record.max,
    )
