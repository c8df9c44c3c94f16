"""The pattern dialect of `input` prompts: a subset of regular expressions that Python's `re`
and JavaScript's `RegExp` read the same way, so a browser can check an answer before sending
it and the server's verdict is the same (PROTOCOL.md §4.6). Standard library only.

Allowed: literal characters; `.` (any character, newlines too); `\\d \\D \\w \\W` (ASCII:
[0-9] and [A-Za-z0-9_]); `\\n \\r \\t`; a backslash before any of `\\ . ^ $ * + ? ( ) [ ] { } | /`;
classes `[...]` / `[^...]` with ranges (and `\\-`); groups `(...)` and `(?:...)`; `|`; the
quantifiers `* + ? {n} {n,} {n,m}`, each optionally lazy (`?`). The whole answer must match.
Python matches with re.fullmatch(pattern, answer, re.ASCII | re.DOTALL); JavaScript with
new RegExp(`^(?:${pattern})$`, "us").test(answer).
"""

from __future__ import annotations

import functools
import re

_SYNTAX = set("\\.^$*+?()[]{}|/")
_CLASSES = set("dDwW")
_CONTROLS = set("nrt")
_QUANTIFIER = re.compile(r"[*+?]\??|\{\d+(,\d*)?\}\??")
_FLAGS = re.ASCII | re.DOTALL
_QUOTED = re.compile(r"'([^']*)'")  # a name re's own message quotes as Python does ('x')


def problem(pattern: str) -> str:
    """'' when `pattern` is in the dialect; otherwise what is not, and where, in words."""
    try:
        re.compile(pattern, _FLAGS)
    except re.error as exc:
        where = "" if exc.pos is None else f" at character {exc.pos + 1}"
        return f"is not a valid regular expression: {_QUOTED.sub(_json_quoted, exc.msg)}{where}"
    try:
        _walk(pattern)
    except ValueError as exc:
        return f"is outside the portable pattern dialect: {exc}"
    return ""


def _json_quoted(match: re.Match[str]) -> str:
    return f'"{match[1]}"'


def is_full_match(pattern: str, value: str) -> bool:
    return _compiled(pattern).fullmatch(value) is not None


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, _FLAGS)


def _walk(pattern: str) -> None:
    i, atom = 0, False  # atom: something a quantifier may follow was just read
    while i < len(pattern):
        char = pattern[i]
        if (quantifier := _QUANTIFIER.match(pattern, i)) and char in "*+?{":
            if not atom:
                raise ValueError(f"a quantifier with nothing to repeat at character {i + 1}")
            i, atom = quantifier.end(), False
            continue
        if char in "^$":
            raise ValueError(f'"{char}" at character {i + 1}: the whole answer is matched, anchors are not needed')
        if char in "{}":
            raise ValueError(f'"{char}" at character {i + 1}: write \\{char} for the character itself')
        if char == "(" and pattern.startswith("(?", i) and not pattern.startswith("(?:", i):
            raise ValueError(f'"(?" at character {i + 1}: only (?:...) groups are portable')
        i, atom = _step(pattern, i)


def _step(pattern: str, i: int) -> tuple[int, bool]:
    """Read the token at `i`; where the next starts, and whether a quantifier may follow it."""
    char = pattern[i]
    if char == "\\":
        return _escape(pattern, i, in_class=False), True
    if char == "[":
        return _class(pattern, i), True
    if char == "(":
        return i + (3 if pattern.startswith("(?:", i) else 1), False
    return i + 1, char != "|"


def _escape(pattern: str, i: int, *, in_class: bool) -> int:
    nxt = pattern[i + 1] if i + 1 < len(pattern) else ""
    if nxt in _SYNTAX or nxt in _CONTROLS or (nxt in _CLASSES and nxt) or (in_class and nxt == "-"):
        return i + 2
    raise ValueError(f'"\\{nxt}" at character {i + 1} is not portable')


def _class(pattern: str, i: int) -> int:
    j = i + 1 + (pattern.startswith("[^", i))
    if pattern[j : j + 1] == "]":
        raise ValueError(f'a "]" first in the class at character {i + 1}: write \\]')
    while pattern[j] != "]":
        if pattern[j] == "[":
            raise ValueError(f'"[" inside the class at character {i + 1}: write \\[')
        if pattern[j] == "\\":
            if pattern[j + 1] in _CLASSES and pattern[j + 2 : j + 3] == "-" and pattern[j + 3 : j + 4] != "]":
                raise ValueError(f"a range from \\{pattern[j + 1]} at character {j + 1}")
            j = _escape(pattern, j, in_class=True)
        else:
            j += 1
    return j + 1
