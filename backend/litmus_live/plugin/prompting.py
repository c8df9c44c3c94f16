"""The `prompt` fixture: ask the operator, by the first route that can reach one.

Routes, in order: LITMUS_AUTO_CONFIRM set to anything (answered at once, and logged as an
automatic answer when a server launched the run); the Litmus Live server that launched this
process (every viewer sees the prompt; the first valid answer wins); a terminal on stdin;
otherwise PromptUnavailableError.
"""

from __future__ import annotations

import dataclasses
import os
import select
import sys
import time
import uuid
from collections.abc import Callable

import pytest

from .channel import Channel
from .definitions import (
    AUTO_ENV,
    DefinitionError,
    PromptDefinition,
    PromptType,
    auto_answer,
    check_answer,
    parse,
    problem_of,
    quoted,
)
from .sidecar import scoped

MARKER = "litmus_prompts"
# How long past its own deadline a prompt waits for the server to say it expired.
_DEADLINE_SLACK = 10.0


class PromptUnavailableError(RuntimeError):
    """No operator could be asked, the prompt expired, or it was withdrawn."""


class UndeclaredPromptError(LookupError, pytest.UsageError):
    """prompt(name) for a name no litmus_prompts marker in scope declares (a UsageError, as in Litmus)."""


def definitions_for(item: pytest.Item) -> dict[str, PromptDefinition]:
    """The prompts an item may ask: its markers merged, the most specific scope winning."""
    try:
        merged = scoped(item, MARKER)
    except ValueError as exc:
        raise DefinitionError(str(exc)) from None
    return {name: parse(name, raw) for name, raw in merged.items()}


def is_auto() -> bool:
    """Litmus's rule: any non-empty LITMUS_AUTO_CONFIRM answers at once (read at each prompt)."""
    return bool(os.environ.get(AUTO_ENV))


class Asker:
    """What `prompt(...)` calls: holds the item's definitions and the way to an operator."""

    def __init__(
        self,
        definitions: dict[str, PromptDefinition],
        nodeid: str,
        channel: Channel | None,
        terminal: Callable[[], object],
    ) -> None:
        self._definitions = definitions
        self._nodeid = nodeid
        self._channel = channel
        self._terminal = terminal

    def __call__(self, name: str | None = None, *, message: str | None = None) -> bool | str:
        name, definition = self._find(name)
        if message is not None:
            definition = dataclasses.replace(definition, message=message)
            problem = problem_of(definition)
            if problem:
                raise ValueError(f"prompt {quoted(name)}: {problem}")
        if is_auto():
            return self._auto(name, definition)
        if self._channel is not None:
            return self._over_channel(self._channel, name, definition)
        with self._terminal():  # type: ignore[attr-defined]
            if sys.stdin is not None and sys.stdin.isatty():
                return _ask_terminal(name, definition)
        raise PromptUnavailableError(
            f"cannot ask for prompt {quoted(name)}: this run was not launched by Litmus Live, {AUTO_ENV} is not set,"
            " and stdin is not a terminal"
        )

    def _find(self, name: str | None) -> tuple[str, PromptDefinition]:
        declared = ", ".join(sorted(self._definitions)) or "none"
        if name is None:
            if len(self._definitions) != 1:
                raise UndeclaredPromptError(
                    f"prompt() without a name needs exactly one prompt in scope for {self._nodeid};"
                    f" declared in @{MARKER}: {declared}"
                )
            name = next(iter(self._definitions))
        definition = self._definitions.get(name)
        if definition is None:
            raise UndeclaredPromptError(
                f"no prompt {quoted(name)} is declared for {self._nodeid}; declared in @{MARKER}: {declared}"
            )
        return name, definition

    def _auto(self, name: str, definition: PromptDefinition) -> bool | str:
        value = auto_answer(definition)
        if self._channel is not None:
            self._channel.report({"report": "prompt_auto", **_asked(name, definition, self._nodeid), "value": value})
        return value

    def _over_channel(self, channel: Channel, name: str, definition: PromptDefinition) -> bool | str:
        ask = {"report": "prompt_ask", **_asked(name, definition, self._nodeid)}
        limit = None if definition.timeout_seconds is None else definition.timeout_seconds + _DEADLINE_SLACK
        reply = channel.ask(ask, limit)
        if reply is None:
            raise PromptUnavailableError(f"prompt {quoted(name)}: no answer from the Litmus Live server")
        if reply.get("resolution") == "answered" and reply.get("value") is not None:
            return reply["value"]
        raise PromptUnavailableError(f"prompt {quoted(name)} {reply.get('resolution')}: {reply.get('reason')}")


def _asked(name: str, definition: PromptDefinition, nodeid: str) -> dict:
    return {
        "prompt_id": uuid.uuid4().hex,
        "name": name,
        "definition": {**dataclasses.asdict(definition), "prompt_type": definition.prompt_type.value},
        "nodeid": nodeid,
    }


def _ask_terminal(name: str, d: PromptDefinition) -> bool | str:
    deadline = None if d.timeout_seconds is None else time.monotonic() + d.timeout_seconds
    print(f"\n[prompt {name}] {d.message}", flush=True)
    if d.prompt_type is PromptType.CHOICE:
        for i, choice in enumerate(d.choices or [], 1):
            print(f"  {i}) {choice}")
    hint = {"confirm": "press Enter to confirm", "choice": "number or name", "input": "type the answer"}
    while True:
        remaining = None if deadline is None else max(deadline - time.monotonic(), 0)
        print(f"> ({hint[d.prompt_type.value]}) ", end="", flush=True)
        ready, _, _ = select.select([sys.stdin], [], [], remaining)
        if not ready:
            raise PromptUnavailableError(f"prompt {quoted(name)} expired: no answer within {d.timeout_seconds:g} s")
        value = _parse_terminal(d, sys.stdin.readline().strip())
        why = check_answer(d, value)
        if not why:
            return value
        print(f"  not accepted: {why}", flush=True)


def _parse_terminal(d: PromptDefinition, text: str) -> bool | str:
    if d.prompt_type is PromptType.CONFIRM:
        return text.lower() in ("", "y", "yes")
    if d.prompt_type is PromptType.CHOICE and text.isdigit() and 1 <= int(text) <= len(d.choices or []):
        return (d.choices or [])[int(text) - 1]
    if d.prompt_type is PromptType.INPUT and not text and d.default is not None:
        return d.default
    return text
