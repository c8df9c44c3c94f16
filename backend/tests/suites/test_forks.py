import os
import subprocess
import sys
import time

CHILD = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a stubborn one: only SIGKILL ends it
for i in range(100000):
    print(f"child tick {i}", flush=True)
    if i == 1:  # its first ticks are out before the test sees it started
        open(sys.argv[1], "w").write(str(os.getpid()))
    time.sleep(0.05)
"""


def test_leaves_a_child_running(capfd):
    pid_file = os.environ["LITMUS_CHILD_PID_FILE"]
    with capfd.disabled():
        subprocess.Popen([sys.executable, "-c", CHILD, pid_file])
    deadline = time.monotonic() + 20
    while not (os.path.exists(pid_file) and open(pid_file).read()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert open(pid_file).read()  # the test passes at once; its child is left behind
