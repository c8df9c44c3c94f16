"""What a `litmus_prompts` marker may declare, which answers a prompt accepts, and the limits of a report.

Shared by the plugin (checked when a test asks; terminal answers) and the server (every answer
from any client is checked against the same rules before it can win; every report from the
test process is held to the same limits). Standard library only: it runs in the station's Python.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import numbers

from . import patterns

# the private channel to the runner: the inherited fd, and the longest line either end accepts (bytes)
FD_ENV = "LITMUS_LIVE_FD"
MAX_FRAME = 1024 * 1024
# Litmus's switch: any non-empty value answers every prompt at once
AUTO_ENV = "LITMUS_AUTO_CONFIRM"
MAX_INPUT = 1000
MAX_MESSAGE = 2000
MAX_CHOICE = 200
MAX_CHOICES = 100
MAX_NAME = 100
MAX_UNIT = 40
MAX_PATTERN = 1000
MAX_TIMEOUT = 30 * 24 * 3600  # seconds a prompt may wait before it expires (longer: no timeout)
_KEYS = ("message", "prompt_type", "choices", "default", "pattern", "min", "max", "timeout_seconds")


class PromptType(str, enum.Enum):
    CONFIRM = "confirm"
    CHOICE = "choice"
    INPUT = "input"

    def __str__(self) -> str:
        return self.value


@dataclasses.dataclass(frozen=True)
class PromptDefinition:
    message: str
    prompt_type: PromptType = PromptType.CONFIRM
    choices: list[str] | None = None
    default: str | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    timeout_seconds: float | None = None


class DefinitionError(ValueError):
    pass


def parse(name: str, raw: object) -> PromptDefinition:
    """A checked definition from a marker's keyword value; raises DefinitionError saying why."""
    if not isinstance(raw, dict):
        raise DefinitionError(f"prompt {quoted(name)}: expected an object of {', '.join(_KEYS)}, got {describe(raw)}")
    unknown = sorted(str(key) for key in raw if key not in _KEYS)
    if unknown:
        raise DefinitionError(
            f"prompt {quoted(name)}: unknown field {quoted(unknown[0])}; the fields are {', '.join(_KEYS)}"
        )
    if "message" not in raw:
        raise DefinitionError(f'prompt {quoted(name)}: missing required field "message"')
    try:
        definition = PromptDefinition(**_typed(raw))
    except (TypeError, ValueError) as exc:
        raise DefinitionError(f"prompt {quoted(name)}: {exc}") from None
    problem = problem_of(definition) or name_problem("prompt", name)
    if problem:
        raise DefinitionError(f"prompt {quoted(name)}: {problem}")
    return definition


def _typed(raw: dict) -> dict:
    values = dict(raw)
    kind = values.get("prompt_type", "confirm")
    if kind not in {t.value for t in PromptType}:
        raise ValueError(f'"prompt_type" is one of confirm, choice, input; got {describe(kind)}')
    values["prompt_type"] = PromptType(kind)
    _expect(values, "message", str)
    for key in ("default", "pattern"):
        _expect(values, key, (str, type(None)))
    for key in ("min", "max", "timeout_seconds"):
        _expect(values, key, (int, float, type(None)))
        if isinstance(values.get(key), bool):
            raise ValueError(f"{quoted(key)} must be a number, got {describe(values[key])}")
        if values.get(key) is not None:
            values[key] = float(values[key])
    choices = values.get("choices")
    if choices is not None and not isinstance(choices, (list, tuple)):
        raise ValueError(f'"choices" must be an array of strings, got {describe(choices)}')
    wrong = [(i, c) for i, c in enumerate(choices or [], 1) if not isinstance(c, str)]
    if wrong:
        raise ValueError(f'"choices" must be an array of strings; choice {wrong[0][0]} is {describe(wrong[0][1])}')
    if choices is not None:
        values["choices"] = list(choices)
    return values


def _expect(values: dict, key: str, kinds: type | tuple[type, ...]) -> None:
    if key in values and not isinstance(values[key], kinds):
        raise ValueError(f"{quoted(key)} has the wrong type: got {describe(values[key])}")


def name_problem(what: str, name: object) -> str:
    """'' when `name` may name a prompt, channel or measurement; otherwise why not."""
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME:
        return f"a {what} name is a string of 1 to {MAX_NAME} characters, got {describe(name)}"
    return ""


def problem_of(d: PromptDefinition) -> str:
    """'' when `d` is a definition the server accepts; otherwise why not, in words."""
    return _size_problem(d) or _shape_problem(d) or _default_problem(d)


def _size_problem(d: PromptDefinition) -> str:
    if not 0 < len(d.message) <= MAX_MESSAGE:
        return f'"message" must be 1 to {MAX_MESSAGE:,} characters long, got {len(d.message):,}'
    if d.choices is not None and len(d.choices) > MAX_CHOICES:
        return f'"choices" holds at most {MAX_CHOICES} entries, got {len(d.choices):,}'
    if any(not 0 < len(c) <= MAX_CHOICE for c in d.choices or []):
        return f'each of "choices" must be 1 to {MAX_CHOICE} characters long'
    for key in ("default", "pattern"):
        value = getattr(d, key)
        if value is not None and len(value) > (MAX_INPUT if key == "default" else MAX_PATTERN):
            return f"{quoted(key)} is {len(value):,} characters long; too long"
    if d.timeout_seconds is not None and not 0 < d.timeout_seconds <= MAX_TIMEOUT:
        return (
            f'"timeout_seconds" must be a number > 0 and at most {MAX_TIMEOUT:,} (30 days), got {d.timeout_seconds:g}'
        )
    for key in ("min", "max"):
        if getattr(d, key) is not None and not math.isfinite(getattr(d, key)):
            return f"{quoted(key)} must be a finite number"
    return ""


def _shape_problem(d: PromptDefinition) -> str:
    if d.prompt_type is PromptType.CHOICE and not d.choices:
        return 'prompt_type "choice" needs a non-empty "choices" array'
    if d.prompt_type is not PromptType.CHOICE and d.choices is not None:
        return f'"choices" only applies to prompt_type "choice", not {quoted(d.prompt_type.value)}'
    if d.prompt_type is not PromptType.INPUT and (d.pattern, d.min, d.max) != (None, None, None):
        return f'"pattern", "min" and "max" only apply to prompt_type "input", not {quoted(d.prompt_type.value)}'
    if d.pattern is not None:
        why = patterns.problem(d.pattern)
        if why:
            return f'"pattern" {why}'
    if d.min is not None and d.max is not None and d.min > d.max:
        return f'"min" ({d.min:g}) is greater than "max" ({d.max:g})'
    return ""


def _default_problem(d: PromptDefinition) -> str:
    if d.default is not None and d.prompt_type is not PromptType.CONFIRM:
        why = check_answer(d, d.default)
        if why:
            return f'"default" {describe(d.default)} is not a valid answer: {why}'
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
    if isinstance(value, numbers.Real):
        return f"the number {value:g}" if isinstance(value, float) else f"the number {value}"
    if isinstance(value, str):
        return quoted(value[:80]) + ("…" if len(value) > 80 else "")
    return "an array" if isinstance(value, (list, tuple)) else "an object"


def quoted(name: object) -> str:
    """A name as JSON writes a string: "ready", never Python's 'ready' (what is no string: as described)."""
    return json.dumps(name, ensure_ascii=False) if isinstance(name, str) else describe(name)


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
    """The answer LITMUS_AUTO_CONFIRM gives: confirm -> True, choice -> first, input -> default or ''."""
    if d.prompt_type is PromptType.CONFIRM:
        return True
    if d.prompt_type is PromptType.CHOICE:
        return (d.choices or [""])[0]
    return d.default or ""
