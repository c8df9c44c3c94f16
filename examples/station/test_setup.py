"""Fixture setup: the operator seats the UUT, picks the bench and reads the chamber."""

import pytest

pytestmark = pytest.mark.litmus_prompts(
    insert_uut={"message": "Insert the UUT into socket 3, close the clamp, then click Confirm.",
                "prompt_type": "confirm"},
)


@pytest.mark.litmus_prompts(
    pick_bench={"message": "Which bench is this UUT on?", "prompt_type": "choice",
                "choices": ["bench_01", "bench_02", "bench_03"]},
    chamber_temp={"message": "Chamber temperature (°C, integer):", "prompt_type": "input",
                  "pattern": r"-?\d+", "min": -40, "max": 125, "default": "25", "timeout_seconds": 300},
)
def test_fixture_setup(prompt):
    assert prompt("insert_uut") is True
    bench = prompt("pick_bench")
    temp = int(prompt("chamber_temp"))
    print(f"setup: bench={bench} chamber={temp} C")
    assert -40 <= temp <= 125
