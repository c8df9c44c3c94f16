"""The pattern dialect of input prompts: refused outside it at definition time, and read the
same by Python's re (the server) and JavaScript's RegExp (a browser), checked with real Node."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from litmus_live.plugin import patterns
from litmus_live.plugin.definitions import DefinitionError, parse

NODE = shutil.which("node")  # the frontend's build needs it too: make test never runs without it

CASES = [
    (r"-?\d+", ["12", "-7", "\u0663", "1.5", "", "12\n"]),
    (r"SN-\d{4}", ["SN-0042", "SN-004", "sn-0042", "SN-00421"]),
    (r"[A-Z]{2}\w*", ["AB_c9", "Ab", "ABé", "AB"]),
    (r"a.b", ["axb", "a\nb", "a\u2028b", "ab"]),
    (r"(ab|cd)+?", ["abcd", "abc", ""]),
    (r"[^0-9\-]+", ["abc", "a-b", "\u0663"]),
    (r"x\/y\.z\\", ["x/y.z\\", "x/yaz\\"]),
    (r"\d{2,}(?:\.\d{1,3})?", ["10", "10.125", "1.1", "10.1234"]),
    (r"é+\W", ["éé!", "é_"]),
]


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (r"\s+", r'"\s" at character 1 is not portable'),
        (r"^SN$", "anchors are not needed"),
        (r"a{,3}", r"write \{"),
        (r"(?P<n>a)", "only (?:...) groups are portable"),
        (r"(?i)sn", "only (?:...) groups are portable"),
        (r"[]a]", r"write \]"),
        (r"\bword", r'"\b" at character 1 is not portable'),
        (r"(a)\1", r'"\1" at character 4 is not portable'),
        (r"[a[b]", r"write \["),
        ("(", "not a valid regular expression"),
    ],
)
def test_a_pattern_outside_the_dialect_is_refused_at_definition_time(pattern: str, why: str) -> None:
    assert why in patterns.problem(pattern)
    with pytest.raises(DefinitionError, match='"pattern" is '):
        parse("serial", {"message": "Serial?", "prompt_type": "input", "pattern": pattern})


def test_every_pattern_of_the_dialect_matches_the_same_answers_in_python_and_javascript() -> None:
    assert NODE is not None, "node is required (the frontend build needs it as well)"
    assert all(patterns.problem(pattern) == "" for pattern, _ in CASES)
    script = (
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(cases.map(([p, vs]) => vs.map((v) => new RegExp(`^(?:${p})$`, 'us').test(v)))));"
    )
    done = subprocess.run([NODE, "-e", script], input=json.dumps(CASES), capture_output=True, text=True, check=True)
    in_javascript = json.loads(done.stdout)
    in_python = [[patterns.is_full_match(p, v) for v in values] for p, values in CASES]
    assert in_python == in_javascript
    assert in_python[0] == [True, True, False, False, False, False]  # U+0663 is no \d; no trailing newline
    assert in_python[3] == [True, True, True, False]  # `.` is any character, newlines too
