import signal
import time


def test_ignores_interrupt():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    print("ignoring SIGINT now", flush=True)
    while True:
        time.sleep(0.1)
