"""The YAML subset sidecars are read with: what it takes reads as PyYAML's safe_load reads it, and
anything outside it is refused with the line and the reason, never guessed at."""

from __future__ import annotations

import math

import pytest

from litmus_live.plugin import yaml_subset
from litmus_live.plugin.yaml_subset import YamlError

SIDECAR = """\
# Litmus's sidecar shape
limits:
  v_rail: {low: 3.2, high: 3.4, unit: V}   # a flow mapping
tests:
  TestIdle:
    limits:
      i_idle: {low: 0.0, high: 0.1, unit: A}
  test_sweep:
    sweeps:
      - {vin: [3.3, 5.0, 5.5]}
  test_prompt:
    prompts:
      setup: {message: "Insert the UUT: pins up", prompt_type: confirm}
      pick: {message: 'It''s "b" # not a comment', prompt_type: choice, choices: [a, "b c", 'd']}
  test_runner:
    runner:
      markers:
      - parametrize: ["vin", [3.3, 5.0]]
        extra: -2
      - - nested
        - list
"""


def test_a_sidecar_reads_as_pyyaml_reads_it() -> None:
    assert yaml_subset.load(SIDECAR) == {
        "limits": {"v_rail": {"low": 3.2, "high": 3.4, "unit": "V"}},
        "tests": {
            "TestIdle": {"limits": {"i_idle": {"low": 0.0, "high": 0.1, "unit": "A"}}},
            "test_sweep": {"sweeps": [{"vin": [3.3, 5.0, 5.5]}]},
            "test_prompt": {"prompts": {
                "setup": {"message": "Insert the UUT: pins up", "prompt_type": "confirm"},
                "pick": {"message": "It's \"b\" # not a comment", "prompt_type": "choice",
                         "choices": ["a", "b c", "d"]},
            }},
            "test_runner": {"runner": {"markers": [{"parametrize": ["vin", [3.3, 5.0]], "extra": -2},
                                                   ["nested", "list"]]}},
        },
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "value"),
    [("~", None), ("null", None), ("", None), ("yes", True), ("Off", False), ("TRUE", True), ("12", 12),
     ("-3", -3), ("0x1F", 31), ("017", 15), ("0b101", 5), ("1_000", 1000), ("1.5", 1.5), ("1.5e+3", 1500.0),
     (".5", 0.5), ("-.inf", -math.inf), ("1e3", "1e3"), ("08", "08"), ("nULL", "nULL"), ("http://x:80/y", "http://x:80/y"),
     ('"caf\\u00e9\\n"', "café\n"), ("'a''b'", "a'b"), ("{}", {}), ("[]", [])],
)  # fmt: skip
def test_scalars_resolve_as_in_yaml_1_1(text: str, value: object) -> None:
    assert yaml_subset.load(f"key: {text}\n") == {"key": value}


@pytest.mark.parametrize(
    ("text", "line", "why"),
    [("a: &x 1", 1, "an anchor"), ("a: *x", 1, "an alias"), ("a: !!str 1", 1, "a tag"),
     ("a: |\n  text", 1, "block scalar"), ("a: >\n  text", 1, "folded"), ("---\na: 1", 1, "document marker"),
     ("a: 1\na: 2", 2, 'the key "a" appears twice'), ("a: {b: 1", 1, "closing"), ("a:\n\t- 1", 2, "tab"),
     ("a: b: c", 1, "not a plain value"), ("? a\n: b", 1, "complex key"), ("a: 1\n  b: 2", 2, "indented"),
     ("a: 'x", 1, "does not end"), ("a: 1:30", 1, "base-60"), ("a: 2024-01-02", 1, "a date"),
     ("a: [1,\n  2]", 1, "closing")],
)  # fmt: skip
def test_yaml_outside_the_subset_is_refused_with_its_line(text: str, line: int, why: str) -> None:
    with pytest.raises(YamlError, match=why) as refused:
        yaml_subset.load(text)
    assert refused.value.line == line and f"line {line}:" in str(refused.value)
