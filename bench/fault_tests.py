"""The fault drill's own tests (copied into its test root as test_drill.py), beside the backend's
fault suites: prompts the plugin must refuse without ending the run."""

import pytest


@pytest.mark.litmus_prompts(ready={"message": "m" * 3000, "prompt_type": "confirm"})
def test_declares_a_3000_character_message(prompt):
    prompt("ready")


@pytest.mark.litmus_prompts(ready={"message": "Ready?", "prompt_type": "confirm"})
def test_asks_with_a_3000_character_message(prompt):
    prompt("ready", message="m" * 3000)


def test_runs_after_them():
    print("the next test ran")
