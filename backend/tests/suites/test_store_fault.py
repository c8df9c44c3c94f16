"""Tests driven step by step by the store fault tests: each waits for a file the harness
creates in $LITMUS_FAULT_CONTROL, and leaves files there to say how far it got."""

import os
import signal
import threading
import time
from pathlib import Path

import pytest

CONTROL = Path(os.environ.get("LITMUS_FAULT_CONTROL", "."))
LINES = 3000  # about 200 KB: far more than a pipe holds


def wait_for(name: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not (CONTROL / name).exists():
        assert time.monotonic() < deadline, f"{CONTROL / name} never appeared"
        time.sleep(0.02)


def test_prints_through_a_full_disk():
    (CONTROL / "pid").write_text(str(os.getpid()))
    print()  # pytest -v leaves the test's name unfinished on the line before
    for i in range(100):
        print(f"before {i}")
    wait_for("go")
    for i in range(LINES):
        print(f"during {i:05} " + "x" * 40)
    (CONTROL / "printed").touch()
    wait_for("finish")
    print("after")


def test_keeps_printing():
    (CONTROL / "pid").write_text(str(os.getpid()))
    for i in range(12_000):
        print(f"tick {i:05} " + "x" * 40, flush=True)
        time.sleep(0.01)


@pytest.mark.litmus_prompts(irreversible={"message": "Do the irreversible step?", "prompt_type": "confirm"})
def test_acts_on_an_answer(prompt):
    (CONTROL / "pid").write_text(str(os.getpid()))

    def chatter():
        wait_for("go")
        for i in range(LINES):
            print(f"during {i:05} " + "x" * 40)

    threading.Thread(target=chatter, daemon=True).start()
    assert prompt("irreversible") is True
    (CONTROL / "acted").touch()
    print("irreversible step done")


def test_waits_to_be_aborted():
    def interrupted(signum, frame):
        (CONTROL / "sigint").touch()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupted)
    (CONTROL / "pid").write_text(str(os.getpid()))
    print()  # pytest -v leaves the test's name unfinished on the line before
    print("waiting to be aborted", flush=True)
    wait_for("finish", timeout=300)
