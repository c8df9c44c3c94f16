import os
import subprocess
import sys
import time

# A child that closes its pipes at once but keeps running, and cleans up when asked to stop.
CHILD = """
import os, signal, sys, time
done = sys.argv[1]
def cleanup(signum, frame):
    time.sleep(1.0)  # e.g. powering a fixture down
    open(done, "w").write("cleaned up")
    sys.exit(0)
signal.signal(signal.SIGTERM, cleanup)
os.close(0); os.close(1); os.close(2)
open(done + ".pid", "w").write(str(os.getpid()))
while True:
    time.sleep(0.05)
"""


def test_leaves_a_quiet_child_running():
    done = os.environ["LITMUS_CHILD_DONE_FILE"]
    subprocess.Popen([sys.executable, "-c", CHILD, done])
    deadline = time.monotonic() + 20
    while not (os.path.exists(done + ".pid") and open(done + ".pid").read()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert open(done + ".pid").read()
