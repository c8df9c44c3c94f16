"""The auto-responder: rules (YAML) that answer operator prompts by name and/or message.

Fed by a `client.Client`: the active-runs feed names the live runs, a watch of each run shows
its prompts. Each prompt is considered once: answered by the first matching rule, or left to people.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
from collections.abc import Callable

import msgspec
import yaml

from litmus_live import protocol as p
from litmus_live.client import AnswerOutcome, Client
from litmus_live.events import Complete, Event, Prompt, PromptResolved, Record
from litmus_live.plugin.definitions import PromptType

RULES_FORMAT = """\
rules file (YAML): a list of rules under `rules:`; the first rule that matches a prompt answers it.

  rules:
    - name: insert_uut            # the prompt's declared name (exact match)
      answer: true                # confirm prompts take true
    - name: pick_bench
      answer: bench_02            # one of the choices
    - message: "[Tt]emperature"   # a regular expression searched in the prompt's message
      answer: 25                  # input prompts get the text "25"

A rule needs `answer` and at least one of `name` and `message`; when it has both, both must
match. Prompts no rule matches are left to people. An answer the server refuses as invalid is
reported once and the prompt is left open for people; it is never retried."""


def default_who() -> str:
    return f"responder@{socket.gethostname()}"


class RulesError(ValueError):
    """The rules file is not in the format of RULES_FORMAT; the message says where."""


class Rule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    answer: bool | int | float | str
    name: str | None = None
    message: str | None = None

    def matches(self, prompt: Prompt) -> bool:
        if self.name is not None and self.name != prompt.name:
            return False
        return self.message is None or re.search(self.message, prompt.message) is not None

    def value_for(self, prompt: Prompt) -> bool | str:
        """What goes on the wire: `true` stays a boolean, every other answer is text."""
        if isinstance(self.answer, bool) and prompt.prompt_type is PromptType.CONFIRM:
            return self.answer
        return self.answer if isinstance(self.answer, str) else str(self.answer).lower()


class _RulesFile(msgspec.Struct, forbid_unknown_fields=True):
    rules: list[Rule]


def load_rules(text: str, source: str = "rules") -> list[Rule]:
    try:
        rules = msgspec.convert(yaml.safe_load(text), _RulesFile).rules
    except (yaml.YAMLError, msgspec.ValidationError) as exc:
        raise RulesError(f"{source}: {exc}") from None
    for number, rule in enumerate(rules, 1):
        if rule.name is None and rule.message is None:
            raise RulesError(f"{source}: rule {number} matches every prompt: give it a `name` or a `message`")
        try:
            re.compile(rule.message or "")
        except re.error as exc:
            raise RulesError(
                f"{source}: rule {number}: bad `message` pattern {json.dumps(rule.message, ensure_ascii=False)}: {exc}"
            ) from None
    return rules


class Responder:
    """Answers the prompts of one run or of every live run; `say` gets one line per decision."""

    def __init__(self, client: Client, rules: list[Rule], *, who: str, say: Callable[[str], None] = print) -> None:
        self.client, self.rules, self.who, self.say = client, rules, who, say
        self._considered: set[str] = set()

    async def every_live_run(self) -> None:
        """Follow the active-runs feed forever, responding on each run that appears in it."""
        runs: dict[str, asyncio.Task[Complete | None]] = {}
        try:
            async with contextlib.aclosing(self.client.active()) as feed:
                async for snapshot in feed:
                    for run in snapshot.runs:
                        if run.run_id not in runs:
                            self.say(f"watching run {run.run_id} ({run.test_path}, UUT {run.uut_serial})")
                            runs[run.run_id] = asyncio.create_task(self.respond(run.run_id))
        finally:
            for task in runs.values():
                task.cancel()
            await asyncio.gather(*runs.values(), return_exceptions=True)

    async def respond(self, run_id: str) -> Complete | None:
        """Answer the run's matching prompts until it completes; returns its `complete` record."""
        open_prompts: dict[str, Prompt] = {}
        held, head = 0, None
        async with contextlib.aclosing(self.client.watch(run_id)) as watch:
            async for message in watch:
                if isinstance(message, p.Subscribed):
                    held, head = max(held, message.since_seq), message.head_seq
                    continue
                held = message.seq
                _fold(message, open_prompts)
                if isinstance(message, Complete):
                    return message
                if head is not None and held >= head:  # caught up: what is open now is really open
                    for prompt in list(open_prompts.values()):
                        await self._consider(prompt)
        return None

    async def _consider(self, prompt: Prompt) -> None:
        if prompt.prompt_id in self._considered:
            return
        self._considered.add(prompt.prompt_id)
        where = f"{prompt.name} on run {prompt.run_id}"
        number, rule = next(((n, r) for n, r in enumerate(self.rules, 1) if r.matches(prompt)), (0, None))
        if rule is None:
            self.say(f"no rule for {where}: left to people")
            return
        value = rule.value_for(prompt)
        result = await self.client.answer(prompt.run_id, prompt.prompt_id, value, who=self.who, via=p.AnswerVia.SCRIPT)
        if result.outcome is AnswerOutcome.ACCEPTED:
            self.say(f"answered {where}: {json.dumps(value, ensure_ascii=False)} (rule {number})")
        elif result.outcome is AnswerOutcome.INVALID:
            self.say(f"rule {number} gives an invalid answer to {where}: {result.reason}; left to people")
        else:
            self.say(f"not answered {where}: {result.reason}")


def _fold(record: Record, open_prompts: dict[str, Prompt]) -> None:
    match record:
        case Prompt():
            open_prompts[record.prompt_id] = record
        case Event(data=PromptResolved(prompt_id=prompt_id)):
            open_prompts.pop(prompt_id, None)
