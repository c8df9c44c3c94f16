import time


def test_growing_log():
    for _ in range(100_000):
        print("x" * 100)
    # paced long enough to outlast the server's reading of the burst above on a loaded machine:
    # pytest captures into a file, so the burst does not hold the test back as a pipe would
    for i in range(3000):
        print(f"paced {i}", flush=True)
        time.sleep(0.003)
