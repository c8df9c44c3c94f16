import os
import time

STEPS = int(os.environ.get("LITMUS_SLOW_STEPS", "6"))


def test_slow_steps():
    for i in range(STEPS):
        print(f"tick {i}", flush=True)
        time.sleep(0.5)
