import os
import time


def test_growing_log():
    for _ in range(100_000):
        print("x" * 100)
    # paced until the watcher has read the log while it grew (the file LITMUS_GROWING_STOP
    # appears), at most 120 s: the watcher decides when enough was seen, not the machine's load
    stop = os.environ.get("LITMUS_GROWING_STOP", "")
    deadline = time.monotonic() + (120 if stop else 9)
    i = 0
    while time.monotonic() < deadline and not (stop and os.path.exists(stop)):
        print(f"paced {i}", flush=True)
        i += 1
        time.sleep(0.003)
