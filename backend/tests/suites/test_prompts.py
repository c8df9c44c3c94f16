import threading

import pytest

pytestmark = pytest.mark.litmus_prompts(
    insert_uut={"message": "Insert the UUT, then confirm.", "prompt_type": "confirm"},
    pick_bench={"message": "Which bench?", "prompt_type": "choice", "choices": ["bench_01", "bench_02"]},
)


@pytest.mark.litmus_prompts(
    chamber_temp={
        "message": "Chamber temperature (°C):",
        "prompt_type": "input",
        "pattern": r"-?\d+",
        "min": -40,
        "max": 125,
    },
)
def test_setup(prompt):
    assert prompt("insert_uut") is True
    bench = prompt("pick_bench")
    temp = prompt("chamber_temp")
    print(f"answers: bench={bench} temp={temp}")
    assert bench in ("bench_01", "bench_02")


@pytest.mark.litmus_prompts(
    quick={"message": "Answer within a second", "prompt_type": "confirm", "timeout_seconds": 1},
)
def test_times_out(prompt):
    prompt("quick")


class TestScopes:
    pytestmark = pytest.mark.litmus_prompts(
        pick_bench={"message": "Class-level bench?", "prompt_type": "choice", "choices": ["only_bench"]},
    )

    @pytest.mark.litmus_prompts(
        serial={"message": "Serial?", "prompt_type": "input", "default": "SN-DEFAULT"},
    )
    def test_specific_scope_wins(self, prompt):
        assert prompt("pick_bench") == "only_bench"
        print(f"serial: {prompt('serial')}")

    def test_undeclared_name(self, prompt):
        prompt("nonexistent")


@pytest.mark.litmus_prompts(
    left={"message": "Left fixture clamped?", "prompt_type": "confirm"},
    right={"message": "Right fixture clamped?", "prompt_type": "confirm"},
)
def test_two_at_once(prompt):
    answers = {}

    def ask(name):
        answers[name] = prompt(name)

    threads = [threading.Thread(target=ask, args=(name,)) for name in ("left", "right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == {"left": True, "right": True}
