"""What a `litmus_prompts` marker may declare, and which answers a prompt accepts.

Shared by the plugin (checked when tests are collected; terminal answers) and the server
(every answer from any client is checked against the same rules before it can win).
"""

from __future__ import annotations

import enum
import math
from typing import Annotated

import msgspec

from litmus_live.plugin import patterns

MAX_INPUT = 1000


class PromptType(enum.StrEnum):
    CONFIRM = "confirm"
    CHOICE = "choice"
    INPUT = "input"


class PromptDefinition(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    message: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    prompt_type: PromptType
    choices: list[Annotated[str, msgspec.Meta(min_length=1, max_length=200)]] | None = None
    default: str | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] | None = None


class DefinitionError(ValueError):
    pass


def parse(name: str, raw: object) -> PromptDefinition:
    """A checked definition from a marker's keyword value; raises DefinitionError saying why."""
    try:
        definition = msgspec.convert(raw, PromptDefinition)
    except msgspec.ValidationError as exc:
        raise DefinitionError(f"prompt {name!r}: {exc}") from None
    problem = _problem(definition)
    if problem:
        raise DefinitionError(f"prompt {name!r}: {problem}")
    return definition


def _problem(d: PromptDefinition) -> str:
    if d.prompt_type is PromptType.CHOICE and not d.choices:
        return "prompt_type 'choice' needs a non-empty 'choices' list"
    if d.prompt_type is not PromptType.CHOICE and d.choices is not None:
        return f"'choices' only applies to prompt_type 'choice', not {d.prompt_type.value!r}"
    if d.prompt_type is not PromptType.INPUT and (d.pattern, d.min, d.max) != (None, None, None):
        return f"'pattern', 'min' and 'max' only apply to prompt_type 'input', not {d.prompt_type.value!r}"
    if d.pattern is not None and (why := patterns.problem(d.pattern)):
        return f"'pattern' {why}"
    if d.min is not None and d.max is not None and d.min > d.max:
        return f"'min' ({d.min}) is greater than 'max' ({d.max})"
    if d.default is not None and d.prompt_type is not PromptType.CONFIRM:
        why = check_answer(d, d.default)
        if why:
            return f"'default' \"{d.default}\" is not a valid answer: {why}"
    return ""


def check_answer(d: PromptDefinition, value: object) -> str:
    """'' when `value` answers the prompt; otherwise why not, in words (JSON's, not Python's)."""
    if d.prompt_type is PromptType.CONFIRM:
        return "" if value is True else f"a confirm prompt takes true, got {describe(value)}"
    if not isinstance(value, str):
        return f"expected a string, got {describe(value)}"
    if d.prompt_type is PromptType.CHOICE:
        choices = ", ".join(f'"{c}"' for c in d.choices or [])
        return "" if value in (d.choices or []) else f'"{value}" is not one of the choices {choices}'
    return _check_input(d, value)


def describe(value: object) -> str:
    """A value as a person reading JSON would name it: true, null, the number 3, "text", an object."""
    if value is True or value is False or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, (int, float)):
        return f"the number {value:g}" if isinstance(value, float) else f"the number {value}"
    if isinstance(value, str):
        return f'"{value[:80]}"' + ("…" if len(value) > 80 else "")
    return "an array" if isinstance(value, (list, tuple)) else "an object"


def _check_input(d: PromptDefinition, value: str) -> str:
    if len(value) > MAX_INPUT:
        return f"the answer is {len(value)} characters long; at most {MAX_INPUT} are accepted"
    if d.pattern is not None and not patterns.is_full_match(d.pattern, value):
        return f'"{value}" is not in the form this prompt expects'  # an operator reads this: no regex
    if d.min is None and d.max is None:
        return ""
    try:
        number = float(value)
    except ValueError:
        return f'"{value}" is not a number'
    if not math.isfinite(number):
        return f'"{value}" is not a finite number'
    if d.min is not None and number < d.min:
        return f"{value} is below the minimum {d.min:g}"
    if d.max is not None and number > d.max:
        return f"{value} is above the maximum {d.max:g}"
    return ""


def auto_answer(d: PromptDefinition) -> bool | str:
    """The answer LITMUS_AUTO_CONFIRM=1 gives: confirm -> True, choice -> first, input -> default."""
    if d.prompt_type is PromptType.CONFIRM:
        return True
    if d.prompt_type is PromptType.CHOICE:
        return (d.choices or [""])[0]
    return d.default or ""
