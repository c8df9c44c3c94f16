"""The part of YAML a sidecar file needs, read with the standard library only.

The plugin may import nothing but pytest and the standard library, so sidecar files
(`test_x.yaml` beside `test_x.py`) are read by this small reader. It takes:
- block mappings (`key: value`, `key:` over an indented block) and block sequences (`- item`,
  including `- key: value` starting a mapping), indented with spaces;
- flow mappings and sequences on one line: `{low: 3.2, high: 3.4, unit: V}`, `[3.3, 5.0]`;
- scalars: "double-quoted" (with \\ escapes), 'single-quoted', and plain ones, resolved as
  PyYAML's safe_load (YAML 1.1, what Litmus reads sidecars with) resolves them: null, ~ and
  nothing are None; true/false/yes/no/on/off are bools; 12, 0x1F, 0o17-style 017, 0b101 and
  1_000 are ints; 1.5, 1.5e+3, .5, .inf, .nan are floats; anything else is a string (a date or
  a base-60 number is refused rather than read differently);
- comments (`#` at the start of a line or after a space) and blank lines.
Anything else (anchors, aliases, tags, `|` and `>` blocks, several documents, `?` keys, tabs,
flow collections over several lines, duplicate keys) is refused with a YamlError naming the
line, never guessed at.
"""

from __future__ import annotations

import re

TAKES = "block mappings and sequences, one-line {...} and [...], quoted and plain scalars, comments"
# PyYAML's implicit resolvers (yaml/resolver.py), without the base-60 forms
_BOOL = re.compile(r"yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF")
_NULL = re.compile(r"~|null|Null|NULL")
_INT = re.compile(r"[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+")
_FLOAT = re.compile(
    r"[-+]?([0-9][0-9_]*)\.[0-9_]*([eE][-+][0-9]+)?|\.[0-9_]+([eE][-+][0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"
)
_REFUSED_FORMS = (
    (re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?"), "a base-60 number"),
    (re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?"), "a date"),
)
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", " ": " "}
_REFUSED = {"&": "an anchor (&)", "*": "an alias (*)", "!": "a tag (!)", "|": "a block scalar (|)",
            ">": "a folded scalar (>)", "%": "a directive (%)", "@": "a reserved character (@)",
            "`": "a reserved character (`)"}  # fmt: skip


class YamlError(ValueError):
    def __init__(self, line: int, why: str) -> None:
        super().__init__(f"line {line}: {why} (this reader takes {TAKES})")
        self.line = line


class _Line:
    __slots__ = ("indent", "number", "text")

    def __init__(self, number: int, indent: int, text: str) -> None:
        self.number, self.indent, self.text = number, indent, text


def load(text: str) -> object:
    """The value `text` holds: a dict, list or scalar (None for an empty document)."""
    lines = _lines(text)
    if not lines:
        return None
    value, end = _block(lines, 0, lines[0].indent)
    if end < len(lines):
        raise YamlError(lines[end].number, "this line is indented less than the block it follows, or more")
    return value


def _lines(text: str) -> list[_Line]:
    found = []
    for number, raw in enumerate(text.splitlines(), 1):
        body = raw.lstrip(" \t")
        if "\t" in raw[: len(raw) - len(body)] and body:
            raise YamlError(number, "a tab in the indentation (indent with spaces)")
        body = _without_comment(body, number).rstrip()
        if not body:
            continue
        if body in ("---", "...") or body.startswith(("--- ", "%")):
            raise YamlError(number, "a document marker or directive (one document per file)")
        found.append(_Line(number, len(raw) - len(raw.lstrip(" ")), body))
    return found


def _without_comment(text: str, number: int) -> str:
    i = 0
    while i < len(text):
        char = text[i]
        if char in "\"'" and (i == 0 or text[i - 1] in " [{,:-"):
            i = _quoted_end(text[i:], number) + i + 1
            continue
        if char == "#" and (i == 0 or text[i - 1] == " "):
            return text[:i]
        i += 1
    return text


def _block(lines: list[_Line], i: int, indent: int) -> tuple[object, int]:
    if lines[i].text == "-" or lines[i].text.startswith("- "):
        return _sequence(lines, i, indent)
    return _mapping(lines, i, indent)


def _sequence(lines: list[_Line], i: int, indent: int) -> tuple[list, int]:
    items = []
    while i < len(lines) and lines[i].indent == indent and (lines[i].text == "-" or lines[i].text.startswith("- ")):
        line = lines[i]
        rest = line.text[1:].lstrip(" ")
        if not rest:
            value, i = _nested(lines, i + 1, indent, line.number)
        elif rest == "-" or rest.startswith("- ") or _split_key(rest, line.number) is not None:
            # "- key: value" opens a mapping whose keys line up with `key` ("- - x": a sequence)
            lines[i] = _Line(line.number, indent + len(line.text) - len(rest), rest)
            value, i = _block(lines, i, lines[i].indent)
        else:
            value, i = _scalar_or_flow(rest, line.number), i + 1
        items.append(value)
    return items, i


def _mapping(lines: list[_Line], i: int, indent: int) -> tuple[dict, int]:
    found: dict = {}
    while i < len(lines) and lines[i].indent == indent:
        line = lines[i]
        split = _split_key(line.text, line.number)
        if split is None:
            raise YamlError(line.number, f'expected "key: value" here, got "{line.text[:60]}"')
        key, rest = split
        if key in found:
            raise YamlError(line.number, f'the key "{key}" appears twice in one mapping')
        if rest:
            found[key], i = _scalar_or_flow(rest, line.number), i + 1
        else:
            found[key], i = _nested(lines, i + 1, indent, line.number, is_key=True)
    return found, i


def _nested(lines: list[_Line], i: int, indent: int, number: int, is_key: bool = False) -> tuple[object, int]:
    """The block under a `key:` or a lone `-`: more indented (a key's sequence may line up with it)."""
    if i < len(lines) and lines[i].indent > indent:
        return _block(lines, i, lines[i].indent)
    if is_key and i < len(lines) and lines[i].indent == indent and lines[i].text.startswith("- "):
        return _sequence(lines, i, indent)
    return None, i


def _split_key(text: str, number: int) -> tuple[object, str] | None:
    """(key, rest) when `text` is "key: rest" or "key:"; None when it is no mapping entry."""
    if text.startswith(("{", "[", "? ")) or text == "?":
        if text.startswith("?"):
            raise YamlError(number, "a complex key (?)")
        return None
    if text[0] in "\"'":
        end = _quoted_end(text, number)
        key_text, after = text[: end + 1], text[end + 1 :].lstrip(" ")
        if not after.startswith(":") or after[1:2] not in ("", " "):
            return None
        return _scalar(key_text, number), after[1:].strip()
    match = re.search(r":( |$)", text)
    if match is None:
        return None
    key = text[: match.start()].rstrip()
    return _plain(key, number), text[match.end() :].strip()


def _quoted_end(text: str, number: int) -> int:
    quote, i = text[0], 1
    while i < len(text):
        if text[i] == "\\" and quote == '"':
            i += 2
            continue
        if text[i] == quote:
            if quote == "'" and text[i + 1 : i + 2] == "'":
                i += 2
                continue
            return i
        i += 1
    raise YamlError(number, "a quoted string that does not end on its line")


def _scalar_or_flow(text: str, number: int) -> object:
    if text[0] in "{[":
        value, end = _flow(text, 0, number)
        if text[end:].strip():
            raise YamlError(number, f'unexpected "{text[end:].strip()[:30]}" after a flow collection')
        return value
    return _scalar(text, number)


def _flow(text: str, i: int, number: int) -> tuple[object, int]:
    """The flow collection starting at text[i] ('{' or '['), and the index just past it."""
    is_map, closing = text[i] == "{", "}" if text[i] == "{" else "]"
    found: dict | list = {} if is_map else []
    i += 1
    while True:
        i = _skip_spaces(text, i)
        if i >= len(text):
            raise YamlError(number, f'a flow collection without its closing "{closing}" on this line')
        if text[i] == closing:
            return found, i + 1
        if is_map:
            key, i = _flow_item(text, i, number, is_key=True)
            i = _skip_spaces(text, i)
            if text[i : i + 1] != ":":
                raise YamlError(number, f'expected ":" after the key "{key}" in a flow mapping')
            if key in found:
                raise YamlError(number, f'the key "{key}" appears twice in one mapping')
            found[key], i = _flow_item(text, i + 1, number)  # type: ignore[index]
        else:
            value, i = _flow_item(text, i, number)
            found.append(value)  # type: ignore[union-attr]
        i = _skip_spaces(text, i)
        if text[i : i + 1] == ",":
            i += 1
        elif i >= len(text):
            raise YamlError(number, f'a flow collection without its closing "{closing}" on this line')
        elif text[i : i + 1] != closing:
            raise YamlError(number, f'expected "," or "{closing}" in a flow collection, at "{text[i : i + 20]}"')


def _flow_item(text: str, i: int, number: int, is_key: bool = False) -> tuple[object, int]:
    i = _skip_spaces(text, i)
    if text[i : i + 1] in ("{", "["):
        return _flow(text, i, number)
    if text[i : i + 1] in ("'", '"'):
        end = _quoted_end(text[i:], number) + i
        return _scalar(text[i : end + 1], number), end + 1
    end = i
    while end < len(text) and text[end] not in ",]}" and not (is_key and _ends_key(text, end)):
        end += 1
    return _plain(text[i:end].strip(), number), end


def _ends_key(text: str, i: int) -> bool:
    return text[i] == ":" and text[i + 1 : i + 2] in ("", " ", ",", "}", "]")


def _skip_spaces(text: str, i: int) -> int:
    while i < len(text) and text[i] == " ":
        i += 1
    return i


def _scalar(text: str, number: int) -> object:
    if text[0] in "\"'":
        end = _quoted_end(text, number)
        if end != len(text) - 1:
            raise YamlError(number, f'unexpected "{text[end + 1 :].strip()[:30]}" after a quoted string')
        return _unescape(text[1:-1], number) if text[0] == '"' else text[1:-1].replace("''", "'")
    return _plain(text, number)


def _plain(text: str, number: int) -> object:
    if not text:
        return None
    if text[0] in _REFUSED:
        raise YamlError(number, f"{_REFUSED[text[0]]} is outside the subset")
    if text.startswith("- ") or ": " in text:
        raise YamlError(number, f'"{text[:40]}" is not a plain value: quote it, or begin its block on the next line')
    for form, what in _REFUSED_FORMS:
        if form.fullmatch(text):
            raise YamlError(number, f'"{text}" reads as {what} in YAML 1.1: quote it to mean the text')
    return _resolved(text)


def _resolved(text: str) -> object:
    if _NULL.fullmatch(text):
        return None
    if _BOOL.fullmatch(text):
        return text.lower() in ("yes", "true", "on")
    if _INT.fullmatch(text):
        return _int(text.replace("_", ""))
    if _FLOAT.fullmatch(text):
        return float(text.replace("_", "").lower().replace(".inf", "inf").replace(".nan", "nan"))
    return text


def _int(text: str) -> int:
    sign, digits = (-1, text[1:]) if text[0] == "-" else (1, text.lstrip("+"))
    if digits.startswith(("0b", "0x")):
        return sign * int(digits, 0)
    if len(digits) > 1 and digits[0] == "0":
        return sign * int(digits, 8)
    return sign * int(digits)


def _unescape(body: str, number: int) -> str:
    out, i = [], 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        code = body[i + 1 : i + 2]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            i += 2
        elif code in ("x", "u", "U") and re.fullmatch(r"[0-9a-fA-F]+", body[i + 2 : i + 2 + _HEX[code]] or "-"):
            out.append(chr(int(body[i + 2 : i + 2 + _HEX[code]], 16)))
            i += 2 + _HEX[code]
        else:
            raise YamlError(number, f'an unknown escape "\\{code}" in a double-quoted string')
    return "".join(out)


_HEX = {"x": 2, "u": 4, "U": 8}
