"""First valid answer wins across the whole fleet: one atomic decision per prompt in Redis.

Any node judges an answer against the prompt's definition (kept in Redis by the station's
store), then one script sets the decision if none is set and, in the same step, posts it to
the owning station's inbox; the station resolves its prompt with it (the log record everyone
sees) and resumes the test. The station's own resolutions (local answers, expiry, withdrawal)
go through the same decision, so exactly one resolution of a prompt ever wins.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import msgspec
import redis

from litmus_live.events import Prompt, PromptResolved, Resolution, utcnow
from litmus_live.fleet.inbox import Inbox, inbox_key
from litmus_live.plugin.definitions import check_answer
from litmus_live.prompts import Answer, Outcome, Prompts, definition, judge_late
from litmus_live.store.redis import LIVE, RedisStore, prompts_key

log = logging.getLogger(__name__)
KEEP = 7 * 86400
DECISION_KIND = "decision"
# KEYS: the decision, the owner's inbox ("" for none). Returns {won, the decision that stands}.
_DECIDE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  if KEYS[2] ~= '' then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', '1000', '*', 'k', 'decision', 'b', ARGV[1])
  end
  return {1, ARGV[1]}
end
return {0, redis.call('GET', KEYS[1])}
"""


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    run_id: str
    prompt_id: str
    resolution: PromptResolved
    request_id: str | None = None


_decode_decision = msgspec.json.Decoder(Decision).decode
_decode_prompt = msgspec.json.Decoder(Prompt).decode


def _decision_key(run_id: str, prompt_id: str) -> str:
    return f"litmus:answer:{run_id}:{prompt_id}"


class Decisions:
    def __init__(self, store: RedisStore, prompts: Prompts, inbox: Inbox) -> None:
        self._client = store.client
        self._prompts = prompts
        self._inbox = inbox
        self._decide = self._client.register_script(_DECIDE)

    # -- the station's side --------------------------------------------------------------

    def claim(
        self, run_id: str, prompt_id: str, data: PromptResolved, request_id: str | None
    ) -> tuple[PromptResolved, str | None]:
        """Our resolution of our own prompt, unless another node's decision came first."""
        mine = Decision(run_id=run_id, prompt_id=prompt_id, resolution=data, request_id=request_id)
        try:
            keys = [_decision_key(run_id, prompt_id), ""]
            won, standing = self._decide(keys=keys, args=[msgspec.json.encode(mine), KEEP])
        except redis.RedisError as exc:  # the station owns its test: it decides alone until Redis is back
            log.warning("prompt %s decided here without Redis (%s: %s)", prompt_id, type(exc).__name__, exc)
            return data, request_id
        if won:
            return data, request_id
        winner = _decode_decision(standing)
        return winner.resolution, winner.request_id

    async def on_decision(self, body: bytes) -> bytes:
        """A decision another node won for one of our prompts: resolve it here."""
        d = _decode_decision(body)
        self._prompts.settle(d.run_id, d.prompt_id, d.resolution, d.request_id)
        return b""

    # -- any node ------------------------------------------------------------------------

    async def answer(self, answer: Answer) -> tuple[Outcome, str]:
        """Judge `answer` for a prompt of any run of the fleet. Accepted once the decision is in
        Redis (with appendfsync always, on its disk); the station then logs it and resumes."""
        if self._prompts.is_pending(answer.run_id, answer.prompt_id):
            return await self._prompts.answer(answer)
        try:
            return await asyncio.to_thread(self._answer_remote, answer)
        except redis.RedisError as exc:
            return (
                Outcome.STORE_UNAVAILABLE,
                f"the answer was not recorded: the fleet's store cannot be reached ({exc})",
            )

    def _answer_remote(self, answer: Answer) -> tuple[Outcome, str]:
        key = _decision_key(answer.run_id, answer.prompt_id)
        pipe = self._client.pipeline(transaction=False)
        pipe.get(key)
        pipe.hget(prompts_key(answer.run_id), answer.prompt_id)
        pipe.hget(LIVE, answer.run_id)
        standing, prompt_body, owner = pipe.execute()
        if standing is not None:
            return _late(answer, standing)
        if prompt_body is None or owner is None:
            return Outcome.NOT_FOUND, f"run {answer.run_id} has no prompt {answer.prompt_id} waiting"
        prompt = _decode_prompt(prompt_body)
        why = check_answer(definition(prompt), answer.value)
        if why:
            return Outcome.INVALID, f"invalid answer to prompt {prompt.name}: {why}"
        data = PromptResolved(
            prompt_id=answer.prompt_id, resolution=Resolution.ANSWERED, name=prompt.name, value=answer.value,
            who=answer.who, via=answer.via, waited=round(_since(prompt.ts), 3),
        )  # fmt: skip
        mine = Decision(run_id=answer.run_id, prompt_id=answer.prompt_id, resolution=data, request_id=answer.request_id)
        won, standing = self._decide(keys=[key, inbox_key(owner.decode())], args=[msgspec.json.encode(mine), KEEP])
        return (Outcome.ACCEPTED, "") if won else _late(answer, standing)

    def withdraw(self, run_id: str, prompt_id: str, data: PromptResolved) -> None:
        """Close a prompt whose station is gone, so later answers are told it is closed."""
        mine = Decision(run_id=run_id, prompt_id=prompt_id, resolution=data)
        self._decide(keys=[_decision_key(run_id, prompt_id), ""], args=[msgspec.json.encode(mine), KEEP])


def _late(answer: Answer, standing: bytes) -> tuple[Outcome, str]:
    d = _decode_decision(standing)
    return judge_late(answer, d.resolution, d.request_id)


def _since(ts: dt.datetime) -> float:
    return max(0.0, (utcnow() - ts).total_seconds())
