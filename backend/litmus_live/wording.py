"""msgspec's messages about a value that does not fit, told as JSON tells it: the words of every
`bad_message`, every HTTP 400 of a body and every refused report from a test process.

msgspec names types and values as Python does (`str`, 'fax'); a client and a station engineer
read JSON's names (`string`, "fax"). Upstream of everything that decodes: it imports msgspec only.
"""

from __future__ import annotations

import json
import re

import msgspec

_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "dict": "object"}
_TYPES = re.compile(r"`([a-z]+(?: \| [a-z]+)*)`")
# the one quoted value msgspec puts in a message ('fax', the regex '\S'), raw, before the path
_QUOTED = re.compile(r"^([^']*)'(.*)'((?: - at `[^`]*`)?)$", re.DOTALL)


def in_words(exc: msgspec.ValidationError | msgspec.DecodeError) -> str:
    """msgspec's message about a body or message that does not fit, with JSON's names for
    types (`string`, `integer`, `number`) and JSON strings for values ("fax", not 'fax')."""
    if not isinstance(exc, msgspec.ValidationError):  # malformed JSON: "expected ',' or '}'"
        return re.sub(r"'(.)'", lambda m: json.dumps(m[1]), str(exc))
    text = _TYPES.sub(lambda m: "`" + " or ".join(_JSON_TYPES.get(t, t) for t in m[1].split(" | ")) + "`", str(exc))
    if " matching regex " in text:  # the pattern is a Python repr: shown as it was written
        return _QUOTED.sub(lambda m: m[1].replace("regex", "the pattern") + m[2].replace("\\\\", "\\") + m[3], text)
    return _QUOTED.sub(lambda m: m[1] + json.dumps(m[2], ensure_ascii=False) + m[3], text)
