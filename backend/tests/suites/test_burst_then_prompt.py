import time

import pytest

LINES = 1000


@pytest.mark.litmus_prompts(go_on={"message": "Go on?", "prompt_type": "confirm"})
def test_burst_then_prompt(prompt):
    for i in range(LINES):
        print(f"burst {i:04d} " + "x" * 60, flush=True)
        time.sleep(0.002)  # a steady stream of small commits, as a busy station makes
    assert prompt("go_on") is True
