import pytest


@pytest.mark.litmus_prompts(pick={"message": "Pick one", "prompt_type": "choice"})
def test_choice_without_choices(prompt):
    prompt("pick")


@pytest.mark.litmus_prompts(what={"message": "What?", "prompt_type": "essay"})
def test_unknown_type(prompt):
    prompt("what")


def test_unrelated_still_runs():
    pass
