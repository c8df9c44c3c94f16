"""Prompt definitions and the answers they accept (the rules the plugin and server share)."""

from __future__ import annotations

import pytest

from litmus_live.plugin.definitions import DefinitionError, PromptType, auto_answer, check_answer, parse


def test_prompt_type_defaults_to_confirm_as_in_litmus() -> None:
    assert parse("go", {"message": "Ready?"}).prompt_type is PromptType.CONFIRM


def test_a_name_over_the_limit_is_refused() -> None:
    with pytest.raises(DefinitionError, match="a prompt name is a string of 1 to 100 characters"):
        parse("n" * 101, {"message": "m"})


def test_a_valid_definition_parses() -> None:
    d = parse("temp", {"message": "Temp?", "prompt_type": "input", "pattern": r"\d+", "min": 0, "max": 90})
    assert (d.prompt_type, d.pattern, d.min, d.max, d.timeout_seconds) == (PromptType.INPUT, r"\d+", 0, 90, None)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ({"message": "Pick", "prompt_type": "choice"}, 'needs a non-empty "choices" array'),
        ({"message": "Pick", "prompt_type": "choice", "choices": []}, 'needs a non-empty "choices" array'),
        ({"message": "Go", "prompt_type": "essay"}, '"prompt_type" is one of confirm, choice, input; got "essay"'),
        ({"message": "Go", "prompt_type": "confirm", "choices": ["a"]}, '"choices" only applies'),
        ({"message": "Go", "prompt_type": "choice", "choices": ["a"], "pattern": "x"}, "only apply to prompt_type"),
        ({"message": "T", "prompt_type": "input", "pattern": "("}, "not a valid regular expression"),
        ({"message": "T", "prompt_type": "input", "pattern": r"\s"}, "outside the portable pattern dialect"),
        ({"message": "T", "prompt_type": "input", "min": 5, "max": 1}, '"min" (5) is greater than "max" (1)'),
        ({"message": "T", "prompt_type": "input", "max": 10, "default": "50"}, '"default" "50" is not a valid'),
        ({"message": "P", "prompt_type": "choice", "choices": ["a"], "default": "b"}, "not one of the choices"),
        ({"message": "T", "prompt_type": "input", "timeout_seconds": 0}, '"timeout_seconds" must be a number > 0'),
        ({"message": "T", "prompt_type": "input", "colour": "red"}, 'unknown field "colour"'),
        ({"prompt_type": "confirm"}, 'missing required field "message"'),
        (
            "just a string",
            "expected an object of message, prompt_type, choices, default, pattern, min, max, timeout_seconds,"
            ' got "just a string"',
        ),
        ({"message": "x" * 2001}, '"message" must be 1 to 2,000 characters long, got 2,001'),
        ({"message": ""}, '"message" must be 1 to 2,000 characters long, got 0'),
        ({"message": 7}, '"message" has the wrong type: got the number 7'),
        ({"message": "T", "prompt_type": "input", "min": True}, '"min" must be a number, got true'),
        (
            {"message": "P", "prompt_type": "choice", "choices": ["a", 3]},
            '"choices" must be an array of strings; choice 2 is the number 3',
        ),
        ({"message": "P", "prompt_type": "choice", "choices": ["x" * 201]}, "1 to 200 characters long"),
    ],
)
def test_invalid_definitions_say_what_is_wrong(raw: object, why: str) -> None:
    with pytest.raises(DefinitionError, match='prompt "p": ') as info:
        parse("p", raw)
    assert why in str(info.value)


@pytest.mark.parametrize(
    ("definition", "value", "why"),
    [
        ({"prompt_type": "confirm"}, True, ""),
        ({"prompt_type": "confirm"}, False, "a confirm prompt takes true"),
        ({"prompt_type": "confirm"}, "yes", "a confirm prompt takes true"),
        ({"prompt_type": "choice", "choices": ["a", "b"]}, "b", ""),
        ({"prompt_type": "choice", "choices": ["a", "b"]}, "c", '"c" is not one of the choices "a", "b"'),
        ({"prompt_type": "input"}, "anything", ""),
        ({"prompt_type": "input"}, 42, "expected a string, got the number 42"),
        ({"prompt_type": "input", "pattern": r"SN-\d{4}"}, "SN-0042", ""),
        ({"prompt_type": "input", "pattern": r"SN-\d{4}"}, "SN-0042x", "not in the form this prompt expects"),
        ({"prompt_type": "input", "min": -40, "max": 125}, "-40", ""),
        ({"prompt_type": "input", "min": -40, "max": 125}, "125.5", "above the maximum 125"),
        ({"prompt_type": "input", "min": -40}, "-41", "below the minimum -40"),
        ({"prompt_type": "input", "max": 1}, "warm", '"warm" is not a number'),
        ({"prompt_type": "input", "max": 1}, "nan", "not a finite number"),
        ({"prompt_type": "input"}, "x" * 1001, "at most 1000 are accepted"),
        ({"prompt_type": "confirm"}, None, "a confirm prompt takes true, got null"),
        ({"prompt_type": "confirm"}, {"a": 1}, "a confirm prompt takes true, got an object"),
        ({"prompt_type": "input"}, [1], "expected a string, got an array"),
        ({"prompt_type": "input", "pattern": r"-?\d+"}, "\u0663", '"\u0663" is not in the form this prompt expects'),
    ],
)
def test_answers_are_checked_against_the_definition(definition: dict, value: object, why: str) -> None:
    d = parse("p", {"message": "m", **definition})
    verdict = check_answer(d, value)
    if why:
        assert why in verdict
    else:
        assert verdict == ""


def test_auto_answers() -> None:
    assert auto_answer(parse("p", {"message": "m", "prompt_type": "confirm"})) is True
    assert auto_answer(parse("p", {"message": "m", "prompt_type": "choice", "choices": ["x", "y"]})) == "x"
    assert auto_answer(parse("p", {"message": "m", "prompt_type": "input", "default": "7"})) == "7"
    assert auto_answer(parse("p", {"message": "m", "prompt_type": "input"})) == ""


def test_a_refused_answer_never_shows_the_operator_the_pattern() -> None:
    d = parse("p", {"message": "m", "prompt_type": "input", "pattern": r"SN-\d{4}"})
    assert check_answer(d, "SN-42") == '"SN-42" is not in the form this prompt expects'
