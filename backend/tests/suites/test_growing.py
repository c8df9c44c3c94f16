import time


def test_growing_log():
    for _ in range(100_000):
        print("x" * 100)
    for i in range(3000):
        print(f"paced {i}", flush=True)
        time.sleep(0.001)
